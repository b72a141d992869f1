"""``manage.py plans_load [--sync]``: write the plan catalog; with --sync, to Stripe too."""

from django.core.management.base import BaseCommand, CommandError

from billing import services, stripe_api


class Command(BaseCommand):
    help = "Load the plan catalog into the database; --sync also creates its Stripe prices."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Create (or find again) each paid plan's product and monthly price in Stripe.",
        )

    def handle(self, *args, sync: bool, **options):
        if sync and not stripe_api.configured():
            raise CommandError("--sync needs STRIPE_SECRET_KEY in the environment.")
        try:
            plans = services.plans_load(sync=sync, stdout=self.stdout)
        except stripe_api.BillingError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"{len(plans)} plans loaded."))
