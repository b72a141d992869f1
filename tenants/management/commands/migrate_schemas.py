"""migrate_schemas that also keeps the tenant template schema migrated.

django-tenants migrates the public schema and every business, but the template that new
businesses are cloned from is not a business, so it would fall behind and clones would be
created with an old structure. This command migrates it whenever business schemas are migrated.
"""

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor

from tenants.schemas import template_schema_ensure, template_schema_name


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        # A run for one named business schema leaves the template alone.
        if self.sync_tenant and self.schema_name in (None, "", "public"):
            created = template_schema_ensure()
            if options.get("verbosity", 1):
                verb = "Created and migrating" if created else "Migrating"
                self.stdout.write(f"{verb} the template schema {template_schema_name()!r}")
            executor = get_executor(codename=self.executor)(self.args, self.options)
            executor.run_migrations(tenants=[template_schema_name()])
