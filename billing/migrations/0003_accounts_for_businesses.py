"""Every business has a billing account from its creation on; give the existing ones theirs."""

from django.db import migrations


def create(apps, schema_editor):
    Business = apps.get_model("tenants", "Business")
    BillingAccount = apps.get_model("billing", "BillingAccount")
    have = set(BillingAccount.objects.values_list("business_id", flat=True))
    BillingAccount.objects.bulk_create(
        BillingAccount(business_id=pk)
        for pk in Business.objects.exclude(schema_name="public").values_list("pk", flat=True)
        if pk not in have
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_plans_catalog"),
        ("tenants", "0003_business_history_retention_days"),
    ]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
