"""Load the demo business, its owner and companies, and the platform admin (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from accounts.services import membership_create
from tenants.companies.models import Company
from tenants.companies.services import company_create
from tenants.models import Business
from tenants.services import business_create, public_tenant_ensure

DEMO_SLUG = "demo"
DEMO_OWNER = ("demo@example.com", "demo-pass-2026", "Dana Demo")
PLATFORM_ADMIN = ("admin@example.com", "admin-pass-2026")
DEMO_COMPANIES = [
    {
        "name": "Green Home Store",
        "kind": Company.Kind.PRODUCT,
        "shop_type": Company.ShopType.ONLINE,
        "description": "Garden and home goods, delivered across the city.",
    },
    {
        "name": "Master Electric",
        "kind": Company.Kind.SERVICE,
        "shop_type": Company.ShopType.ON_SITE,
        "description": "Electricians on call: wiring, sockets, lighting.",
    },
]


class Command(BaseCommand):
    help = "Create the demo business (demo@example.com / demo-pass-2026) once."

    @transaction.atomic
    def handle(self, *args, **options):
        public_tenant_ensure()
        admin, created = User.objects.get_or_create(
            email=PLATFORM_ADMIN[0],
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "platform_role": "admin",
                "full_name": "Platform Admin",
            },
        )
        if created:
            admin.set_password(PLATFORM_ADMIN[1])
            admin.save()
        business = Business.objects.filter(slug=DEMO_SLUG).first()
        if business is not None:
            self.stdout.write("Demo data is already loaded.")
            self._knowledge(business)
            self._webchat(business)
            return
        owner = User.objects.filter(email=DEMO_OWNER[0]).first()
        if owner is None:
            owner = User.objects.create_user(
                email=DEMO_OWNER[0], password=DEMO_OWNER[1], full_name=DEMO_OWNER[2]
            )
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
        business = business_create(name="Demo Business", slug=DEMO_SLUG)
        membership_create(user=owner, business=business, role=Membership.Role.OWNER)
        with tenant_context(business):
            for company in DEMO_COMPANIES:
                company_create(**company)
        self._knowledge(business)
        self._webchat(business)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo business ready: {business.portal_url()} ({DEMO_OWNER[0]} / {DEMO_OWNER[1]})"
            )
        )

    def _webchat(self, business: Business) -> None:
        """The demo company's web chat, shown on the public demo page (/widget/demo/)."""
        from tenants.models import public_url
        from webchat.demo import demo_widget_load

        with tenant_context(business):
            channel = demo_widget_load()
        if channel is not None:
            self.stdout.write(f"Web chat demo: {public_url('/widget/demo/')}")

    def _knowledge(self, business: Business) -> None:
        """Knowledge bases from real price lists (also added to a demo loaded before them)."""
        from knowledge.demo import demo_knowledge_load

        with tenant_context(business):
            for line in demo_knowledge_load():
                self.stdout.write(f"Knowledge base: {line}")
