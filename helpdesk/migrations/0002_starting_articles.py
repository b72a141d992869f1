"""The platform's first help articles (the text lives in ``helpdesk.articles``, shared with
``manage.py load_help``)."""

from django.db import migrations


def articles_create(apps, schema_editor):
    from helpdesk.articles import ARTICLES

    HelpArticle = apps.get_model("helpdesk", "HelpArticle")
    for article in ARTICLES:
        HelpArticle.objects.get_or_create(slug=article["slug"], defaults=article)


def articles_delete(apps, schema_editor):
    from helpdesk.articles import ARTICLES

    HelpArticle = apps.get_model("helpdesk", "HelpArticle")
    HelpArticle.objects.filter(slug__in=[article["slug"] for article in ARTICLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0001_initial"),
    ]

    operations = [migrations.RunPython(articles_create, articles_delete)]
