"""Every database starts with the plan catalog; ``manage.py plans_load`` keeps it current."""

from django.db import migrations


def load(apps, schema_editor):
    from billing.catalog import CATALOG

    Plan = apps.get_model("billing", "Plan")
    for spec in CATALOG:
        Plan.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "price": spec.price,
                "channel_limit": spec.channels,
                "reply_limit": spec.replies,
                "history_retention_days": spec.history_days,
                "public": spec.public,
                "sort_order": spec.order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
