"""Load the demo business, its owner and companies, the platform admin, two platform
managers and the small businesses they look after (idempotent)."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
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
MANAGER_PASSWORD = "manager-pass-2026"
MANAGERS = [("manager1@example.com", "Mira Manager"), ("manager2@example.com", "Max Manager")]
OWNER_PASSWORD = DEMO_OWNER[1]


@dataclass(frozen=True)
class ManagedBusiness:
    """A small business of the demo, looked after by one of the managers."""

    slug: str
    name: str
    manager: str
    owner: tuple[str, str]
    company: dict
    #: "growth" (a plan granted by the admin), "trial_ending" or "trial_ended".
    state: str


MANAGED_BUSINESSES = [
    ManagedBusiness(
        slug="harbor-bakery",
        name="Harbor Bakery",
        manager="manager1@example.com",
        owner=("bakery@example.com", "Hana Baker"),
        company={
            "name": "Harbor Bakery",
            "kind": Company.Kind.PRODUCT,
            "shop_type": Company.ShopType.ONLINE_AND_PHYSICAL,
        },
        state="growth",
    ),
    ManagedBusiness(
        slug="nord-fitness",
        name="Nord Fitness",
        manager="manager2@example.com",
        owner=("fitness@example.com", "Nils Nord"),
        company={
            "name": "Nord Fitness Club",
            "kind": Company.Kind.SERVICE,
            "shop_type": Company.ShopType.SALON,
        },
        state="trial_ending",
    ),
    ManagedBusiness(
        slug="blue-lagoon-spa",
        name="Blue Lagoon Spa",
        manager="manager2@example.com",
        owner=("spa@example.com", "Bella Lagoon"),
        company={
            "name": "Blue Lagoon Spa",
            "kind": Company.Kind.HYBRID,
            "shop_type": Company.ShopType.SALON,
        },
        state="trial_ended",
    ),
]
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
    help = (
        "Create the demo business (demo@example.com / demo-pass-2026), the platform admin and "
        "two platform managers with their businesses, once."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        public_tenant_ensure()
        admin = self._platform_admin()
        business = Business.objects.filter(slug=DEMO_SLUG).first()
        if business is not None:
            self.stdout.write("Demo data is already loaded.")
            self._knowledge(business)
            self._webchat(business)
        else:
            owner = self._owner(DEMO_OWNER[0], DEMO_OWNER[2])
            business = business_create(name="Demo Business", slug=DEMO_SLUG)
            membership_create(user=owner, business=business, role=Membership.Role.OWNER)
            with tenant_context(business):
                for company in DEMO_COMPANIES:
                    company_create(**company)
            self._knowledge(business)
            self._webchat(business)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo business ready: {business.portal_url()} "
                    f"({DEMO_OWNER[0]} / {DEMO_OWNER[1]})"
                )
            )
        self._managers(demo=business, admin=admin)

    def _platform_admin(self) -> User:
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
        return admin

    def _owner(self, email: str, full_name: str) -> User:
        owner = User.objects.filter(email=email).first()
        if owner is None:
            owner = User.objects.create_user(
                email=email, password=OWNER_PASSWORD, full_name=full_name
            )
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
        return owner

    def _managers(self, *, demo: Business, admin: User) -> None:
        """Two platform managers: the demo business and a bakery for the first; a gym whose
        trial ends soon and a spa whose trial has ended for the second."""
        from billing.models import Plan
        from billing.services import plan_grant
        from managers.models import Assignment
        from managers.services import assignment_set

        managers = {}
        for email, full_name in MANAGERS:
            manager, created = User.objects.get_or_create(
                email=email, defaults={"full_name": full_name}
            )
            if created:
                manager.set_password(MANAGER_PASSWORD)
            manager.platform_role = User.PlatformRole.MANAGER
            manager.is_staff = True
            manager.save()
            managers[email] = manager
        looked_after = [(demo, MANAGERS[0][0])]
        for spec in MANAGED_BUSINESSES:
            business = Business.objects.filter(slug=spec.slug).first()
            if business is None:
                business = business_create(name=spec.name, slug=spec.slug)
                owner = self._owner(*spec.owner)
                membership_create(user=owner, business=business, role=Membership.Role.OWNER)
                with tenant_context(business):
                    company_create(**spec.company)
                if spec.state == "growth":
                    plan_grant(
                        business=business,
                        plan=Plan.objects.get(code=Plan.Code.GROWTH),
                        ends_at=timezone.now() + timedelta(days=365),
                        granted_by=admin,
                        note="Demo: a year of Growth",
                    )
                elif spec.state in ("trial_ending", "trial_ended"):
                    days = 2 if spec.state == "trial_ending" else -3
                    business.trial_ends_at = timezone.now() + timedelta(days=days)
                    business.save(update_fields=["trial_ends_at"])
            looked_after.append((business, spec.manager))
        for business, email in looked_after:
            # A business reassigned by hand since the last run keeps its manager.
            if not Assignment.objects.filter(business=business).exists():
                assignment_set(business=business, manager=managers[email], by=admin)
        for email, _name in MANAGERS:
            names = ", ".join(
                Business.objects.filter(manager_assignment__manager=managers[email])
                .order_by("name")
                .values_list("name", flat=True)
            )
            self.stdout.write(f"Platform manager {email} / {MANAGER_PASSWORD}: {names}")

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
