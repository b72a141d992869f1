"""Add the platform's starting help articles that are missing (existing ones are kept)."""

from django.core.management.base import BaseCommand
from django.db import connection

from helpdesk.services import help_articles_ensure


class Command(BaseCommand):
    help = "Create the starting help articles that are missing; edited ones are left alone."

    def handle(self, *args, **options):
        connection.set_schema_to_public()  # help articles live in the public schema
        created = help_articles_ensure()
        for article in created:
            self.stdout.write(f"Created: {article.title_en}")
        self.stdout.write(self.style.SUCCESS(f"{len(created)} help article(s) created."))
