from django.db import connection
from django_tenants.utils import tenant_context

from tenants.transactions import on_commit_in_schema


def test_work_after_commit_runs_in_the_schema_it_was_registered_in(
    business_a, django_capture_on_commit_callbacks
):
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(business_a):
            on_commit_in_schema(lambda: seen.append(connection.schema_name))
        connection.set_schema_to_public()  # the commit comes after the schema was left
    assert seen == [business_a.schema_name]
    assert connection.schema_name == "public"
