"""One search document in PostgreSQL's ``russian`` configuration instead of two.

``russian`` stems Latin words with the English stemmer, so English and Russian questions
are both served, and every import computes one document per item instead of two.
A generated column cannot be altered: it is dropped and added again, with its index.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


def _document():
    search = django.contrib.postgres.search
    return search.CombinedSearchVector(
        search.CombinedSearchVector(
            search.SearchVector("name", config="russian", weight="A"),
            "||",
            search.SearchVector("sku", "category", config="russian", weight="B"),
            search.SearchConfig("russian"),
        ),
        "||",
        search.SearchVector("description_text", config="russian", weight="C"),
        search.SearchConfig("russian"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="item", name="knowledge_item_search"),
        migrations.RemoveField(model_name="item", name="search_document"),
        migrations.AddField(
            model_name="item",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=_document(),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_document"], name="knowledge_item_search"
            ),
        ),
    ]
