"""Every page of the admin, crawled as a manager who looks after business A and not B.

The crawl walks ``admin.site._registry`` (and each ModelAdmin's own URL patterns), so a
model registered later is crawled too. Wherever a manager lands, nothing of B shows: not
its name, host, owner, connection, Stripe ids, nor a link to one of its objects.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern
from django.utils import timezone

from accounts.models import Membership, User
from billing.entitlements import account_for
from billing.models import Plan
from billing.services import plan_grant
from conftest import host_client
from managers import urls_admin
from managers.models import AccessLog, AssignmentChange
from managers.tests.admin_fixtures import (  # noqa: F401
    admin_client_,
    assigned,
    connection_a,
    connection_b,
    manager,
    manager_client,
    other_manager,
    platform_admin,
)
from tenants.models import Business

pytestmark = pytest.mark.django_db

#: What a manager is meant to see (read-only) of the registered models. A model added to
#: the admin later with a path to a business shows up here as unexpected until listed.
VISIBLE_TO_MANAGERS = {
    "tenants.business",
    "accounts.user",
    "accounts.membership",
    "billing.billingaccount",
    "billing.plangrant",
    "connections.connection",
    "djstripe.customer",
    "djstripe.subscription",
    "djstripe.invoice",
}
OBJECTS_PER_MODEL = 25


# ----------------------------------------------------------------------------- the world


def _paths_to_business(model, depth: int = 2) -> list[str]:
    """Lookups from ``model`` to a business, found independently of the code under test:
    its own link to a business if it has one, else through a related object, else through
    a user's memberships."""
    direct, through, people = [], [], []
    for field in model._meta.concrete_fields:
        related = field.related_model if field.is_relation else None
        if related is None or related is model:
            continue
        if related is Business:
            direct.append(field.name)
        elif related is User:
            people.append(f"{field.name}__memberships__business")
        elif depth > 1:
            through += [f"{field.name}__{path}" for path in _paths_to_business(related, depth - 1)]
    return direct or through or people


def _pks_of(model, business) -> set:
    """Primary keys of ``model``'s objects that belong to ``business``."""
    if model is Business:
        return {business.pk}
    if model is User:
        return set(User.objects.filter(memberships__business=business).values_list("pk", flat=True))
    pks: set = set()
    for path in _paths_to_business(model):
        pks |= set(model._base_manager.filter(**{path: business}).values_list("pk", flat=True))
    return pks


STRIPE_CONTRACTS = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "stripe"


def _contract_object(name: str) -> dict:
    return json.loads((STRIPE_CONTRACTS / name).read_text())["data"]["object"]


def _stripe_objects(business, owner, tag: str) -> list[str]:
    """A Stripe customer of ``business`` with a subscription, an invoice and an event, as
    dj-stripe keeps them (Stripe's own payloads, with ids of their own)."""
    from djstripe.models import Customer, Event, Invoice, Subscription

    ids = {kind: f"{kind}_{tag}0001" for kind in ("cus", "sub", "in", "evt")}
    customer = Customer.objects.create(
        id=ids["cus"],
        livemode=False,
        email=owner.email,
        subscriber=business,
        stripe_data={
            "id": ids["cus"],
            "object": "customer",
            "email": owner.email,
            "name": business.name,
            "balance": 0,
            "currency": "usd",
            "delinquent": False,
            "metadata": {"x8_business": str(business.pk)},
        },
    )
    subscription_data = _contract_object(
        "event.customer.subscription.created.stripe-ruby-mock.json"
    )
    subscription_data.update(id=ids["sub"], customer=ids["cus"], latest_invoice=ids["in"])
    subscription = Subscription.objects.create(
        id=ids["sub"], livemode=False, customer=customer, stripe_data=subscription_data
    )
    invoice_data = _contract_object("event.invoice.paid.stripe-ruby-mock.json")
    invoice_data.update(
        id=ids["in"],
        customer=ids["cus"],
        subscription=ids["sub"],
        customer_email=owner.email,
        customer_name=business.name,
        charge=None,
        payment_intent=None,
    )
    Invoice.objects.create(
        id=ids["in"],
        livemode=False,
        customer=customer,
        subscription=subscription,
        stripe_data=invoice_data,
    )
    Event.objects.create(
        id=ids["evt"],
        livemode=False,
        type="customer.created",
        data={"object": customer.stripe_data},
        stripe_data={"id": ids["evt"], "type": "customer.created"},
    )
    return [ids["cus"], ids["sub"], ids["in"]]


@pytest.fixture
def world(
    business_a,
    business_b,
    owner_a,
    owner_b,
    assigned,  # noqa: F811
    manager,  # noqa: F811
    platform_admin,  # noqa: F811
    connection_a,  # noqa: F811
    connection_b,  # noqa: F811
):
    """A and B, each with a member, a billing account, a grant, a connection, a Stripe
    customer with a subscription, an invoice and an event, access-log and history entries."""
    _stripe_objects(business_a, owner_a, "alphaA")
    stripe_b = _stripe_objects(business_b, owner_b, "betaB")
    growth = Plan.objects.get(code="growth")
    ends = timezone.now() + timedelta(days=30)
    for business in (business_a, business_b):
        account_for(business)
        plan_grant(business=business, plan=growth, ends_at=ends, granted_by=platform_admin)
        AccessLog.objects.create(
            user=platform_admin, business=business, action="business_view", target="inside"
        )
        AssignmentChange.objects.create(business=business, changed_by=platform_admin)
    # Someone in both businesses: the manager sees them, but only their membership of A.
    both = User.objects.create_user(email="both@example.com", password="x")
    Membership.objects.create(user=both, business=business_a, role="staff")
    Membership.objects.create(user=both, business=business_b, role="staff")
    markers = [
        "Beta Salon",
        "beta.localhost",
        "owner-b@example.com",
        "beta-bot-hidden",
        "beta-token-9999",
        *stripe_b,
    ]
    return {"a": business_a, "b": business_b, "markers": markers}


# ----------------------------------------------------------------------------- the crawl


class Crawl:
    def __init__(self, client, markers: list[str]) -> None:
        self.client = client
        self.markers = markers
        self.forbidden_links: list[str] = []
        self.problems: list[str] = []
        self.requests = 0

    def _check(self, url: str, response, label: str) -> str:
        self.requests += 1
        body = response.content.decode(errors="replace")
        if response.status_code >= 500:
            self.problems.append(f"{label}: {response.status_code}")
        # A page may repeat its own address (the 404 page's language switch does).
        text = unescape(body).replace(url, "")
        for marker in self.markers:
            if marker in text:
                self.problems.append(f"{label}: shows {marker!r}")
        for link in self.forbidden_links:
            if link in text:
                self.problems.append(f"{label}: links to {link}")
        return body

    def get(self, url: str, expect: set[int] | int | None = None) -> str:
        response = self.client.get(url)
        body = self._check(url, response, url)
        self._expect(url, response.status_code, expect)
        return body

    def post(self, url: str, data: dict, expect: set[int] | int | None = None) -> str:
        response = self.client.post(url, data)
        body = self._check(url, response, f"POST {url}")
        self._expect(f"POST {url}", response.status_code, expect)
        return body

    def _expect(self, url: str, status: int, expect) -> None:
        if expect is None:
            return
        allowed = {expect} if isinstance(expect, int) else expect
        if status not in allowed:
            self.problems.append(f"{url}: {status}, expected {sorted(allowed)}")


def _admin_base(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _extra_routes(model_admin) -> list[str]:
    standard = {str(p.pattern) for p in admin.ModelAdmin.get_urls(model_admin)}
    return [
        str(p.pattern)
        for p in model_admin.get_urls()
        if isinstance(p, URLPattern) and str(p.pattern) not in standard
    ]


def _fill_route(route: str, pk) -> str:
    def value(match: re.Match) -> str:
        name = match.group(2)
        is_id = name in ("object_id", "id", "pk") or name.endswith("_id")
        return str(quote(pk)) if is_id else "x"

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _filter_links(body: str) -> list[str]:
    found = re.search(r'<nav id="changelist-filter".*?</nav>', body, re.S)
    if not found:
        return []
    return sorted({unescape(href) for href in re.findall(r'href="(\?[^"]*)"', found.group(0))})


def _snapshot(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_a_manager_sees_nothing_of_an_unassigned_business_anywhere_in_the_admin(
    world,
    manager_client,  # noqa: F811
):
    business_a = world["a"]
    crawl = Crawl(manager_client, world["markers"])
    request_user = User.objects.get(email="manager-one@example.com")
    visible_seen: set[str] = set()
    outside: list[tuple] = []  # (model_admin, object) of what the manager must not reach

    # Links to objects of B must not appear anywhere.
    for model in admin.site._registry:
        for pk in _pks_of(model, world["b"]) - _pks_of(model, business_a):
            crawl.forbidden_links.append(f"{_admin_base(model)}{quote(pk)}/change/")

    crawl.get("/admin/", 200)
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        base = _admin_base(model)
        visible = label in VISIBLE_TO_MANAGERS
        a_pks = _pks_of(model, business_a)

        # the list, its search, its filters, its popup for raw-id and related lookups
        body = crawl.get(base, 200 if visible else 403)
        if "result_list" in body or 'id="changelist"' in body:
            visible_seen.add(label)
        if visible:
            for term in ("Salon", "owner-b", "eta", "cus_", "sub_"):
                crawl.get(f"{base}?{urlencode({'q': term})}", {200})
            for link in _filter_links(body):
                crawl.get(f"{base}{link}", {200})
            for spec in model_admin.get_list_filter(_Request(request_user)):
                name = (
                    spec if isinstance(spec, str) else spec[0] if isinstance(spec, tuple) else None
                )
                if not name:
                    continue
                for value in (world["b"].pk, "no-such-value"):
                    crawl.get(f"{base}?{urlencode({f'{name}__exact': value})}", {200, 302, 400})
                    crawl.get(f"{base}?{urlencode({f'{name}__id__exact': value})}", {200, 302, 400})
        to_field = model._meta.pk.attname
        crawl.get(f"{base}?_popup=1&_to_field={to_field}", {200} if visible else {403})
        crawl.get(f"{base}add/", 403)

        # every object: the manager's own are readable, any other does not exist
        for obj in model._base_manager.all()[:OBJECTS_PER_MODEL]:
            pk = quote(obj.pk)
            mine = visible and obj.pk in a_pks
            if not mine:
                outside.append((model_admin, obj))
            crawl.get(f"{base}{pk}/change/", 200 if mine else 404)
            crawl.get(f"{base}{pk}/history/", 200 if mine else 404)
            crawl.get(f"{base}{pk}/delete/", 403 if mine else 404)
            crawl.get(f"{base}{pk}/", 302 if mine else 404)
            content_type = ContentType.objects.get_for_model(model)
            crawl.get(f"/admin/r/{content_type.pk}/{pk}/", {302, 404} if mine else 404)
            for route in _extra_routes(model_admin):
                url = f"{base}{_fill_route(route, obj.pk)}"
                expected = {200, 302, 405} if mine and "object_id" in route else {404}
                if not mine or "object_id" not in route:
                    crawl.get(url, expected)
                    crawl.post(url, {"key": "bot_token", "value": "stolen-value-1"}, expected)

    # a change form posted for an object outside the scope changes nothing
    for model_admin, obj in outside:
        if model_admin.model._meta.label_lower not in VISIBLE_TO_MANAGERS:
            continue
        before = _snapshot(obj)
        data = {field.attname: "" for field in obj._meta.concrete_fields}
        data.update({"name": "Taken over", "status": "suspended", "platform_role": "admin"})
        crawl.post(f"{_admin_base(obj.__class__)}{quote(obj.pk)}/change/", data, 404)
        obj.refresh_from_db()
        if _snapshot(obj) != before:
            crawl.problems.append(f"{obj._meta.label} {obj.pk} changed by a refused post")

    # autocomplete, for every relation field that points at a searchable admin
    for source in _all_models():
        for field in source._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            target_admin = admin.site._registry.get(field.related_model)
            if target_admin is None or not target_admin.search_fields:
                continue
            visible = field.related_model._meta.label_lower in VISIBLE_TO_MANAGERS
            query = urlencode(
                {
                    "app_label": source._meta.app_label,
                    "model_name": source._meta.model_name,
                    "field_name": field.name,
                    "term": "",
                }
            )
            body = crawl.get(f"/admin/autocomplete/?{query}", 200 if visible else 403)
            if visible:
                target = field.related_model
                to_field = field.remote_field.field_name
                mine = {
                    str(value)
                    for value in target._base_manager.filter(
                        pk__in=_pks_of(target, business_a)
                    ).values_list(to_field, flat=True)
                }
                for result in json.loads(body)["results"]:
                    if result["id"] not in mine:
                        crawl.problems.append(f"autocomplete {query}: offers {result}")

    # each app's page, and the managers' own pages under admin/x8/
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        apps_visible = {label.split(".")[0] for label in VISIBLE_TO_MANAGERS}
        crawl.get(f"/admin/{app_label}/", 200 if app_label in apps_visible else 404)
    for pattern in urls_admin.urlpatterns:
        crawl.get(f"/admin/x8/{_fill_route(str(pattern.pattern), world['b'].pk)}", 404)
        crawl.get(f"/admin/x8/{_fill_route(str(pattern.pattern), business_a.pk)}", 200)

    assert not crawl.problems, "\n".join(crawl.problems)
    assert visible_seen == VISIBLE_TO_MANAGERS
    assert crawl.requests > 300


class _Request:
    """Enough of a request for ``get_list_filter``."""

    def __init__(self, user) -> None:
        self.user = user
        self.GET = {}


def _all_models():
    from django.apps import apps

    return apps.get_models()


# ----------------------------------------------------------------------------- around the crawl


def test_platform_admins_still_see_every_business(admin_client_, connection_a, connection_b):  # noqa: F811
    businesses = admin_client_.get("/admin/tenants/business/").content.decode()
    connections = admin_client_.get("/admin/connections/connection/").content.decode()
    assert "Alpha Shop" in businesses and "Beta Salon" in businesses
    assert "alpha-bot" in connections and "beta-bot-hidden" in connections
    for path in ("/admin/billing/plan/", "/admin/helpdesk/helparticle/", "/admin/djstripe/event/"):
        assert admin_client_.get(path).status_code == 200


def test_a_platform_admin_who_is_not_a_superuser_sees_everything_too(business_b, settings):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "managers.backends.PlatformAdminPermissionsBackend",
    ]
    role_admin = User.objects.create_user(
        email="role-admin@example.com", password="x", platform_role="admin", is_staff=True
    )
    client = host_client("localhost", role_admin)
    assert "Beta Salon" in client.get("/admin/tenants/business/").content.decode()
    assert client.get("/admin/managers/assignment/add/").status_code == 200
    # What the admin refuses to everyone but superusers stays refused.
    assert client.get(f"/admin/tenants/business/{business_b.pk}/delete/").status_code == 403


def test_a_manager_deactivated_mid_session_is_refused_on_the_next_request(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    business_a,
):
    assert manager_client.get("/admin/tenants/business/").status_code == 200

    User.objects.filter(pk=manager.pk).update(is_active=False)

    page = manager_client.get(f"/admin/tenants/business/{business_a.pk}/change/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_a_manager_who_loses_the_role_mid_session_is_refused(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
):
    User.objects.filter(pk=manager.pk).update(platform_role="")
    page = manager_client.get("/admin/tenants/business/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_a_business_unassigned_mid_session_disappears_at_once(
    manager_client,  # noqa: F811
    business_a,
):
    from managers.models import Assignment

    Assignment.objects.filter(business=business_a).delete()
    assert manager_client.get(f"/admin/tenants/business/{business_a.pk}/change/").status_code == 404
    assert "Alpha Shop" not in manager_client.get("/admin/tenants/business/").content.decode()


def test_relation_fields_offer_only_objects_of_assigned_businesses(
    manager,  # noqa: F811
    assigned,  # noqa: F811
    business_a,
    owner_a,
):
    from django.test import RequestFactory

    from accounts.models import Membership
    from billing.models import PlanGrant

    request = RequestFactory().get("/admin/")
    request.user = manager
    grant_admin = admin.site._registry[PlanGrant]
    membership_admin = admin.site._registry[Membership]

    business_field = grant_admin.formfield_for_foreignkey(
        PlanGrant._meta.get_field("business"), request
    )
    user_field = membership_admin.formfield_for_foreignkey(
        Membership._meta.get_field("user"), request
    )
    plan_field = grant_admin.formfield_for_foreignkey(PlanGrant._meta.get_field("plan"), request)

    assert list(business_field.queryset) == [business_a]
    assert list(user_field.queryset) == [owner_a]
    assert list(plan_field.queryset) == []  # the plan catalog is not a manager's to choose


def test_a_manager_cannot_delete_a_business_change_a_role_or_run_an_action(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    business_a,
    owner_a,
    platform_admin,  # noqa: F811
):
    from billing.models import PlanGrant

    grant = plan_grant(
        business=business_a,
        plan=Plan.objects.get(code="growth"),
        ends_at=timezone.now() + timedelta(days=30),
        granted_by=platform_admin,
    )
    deleted = manager_client.post(
        f"/admin/tenants/business/{business_a.pk}/delete/", {"post": "yes"}
    )
    promoted = manager_client.post(
        f"/admin/accounts/user/{manager.pk}/change/", {"platform_role": "admin"}
    )
    owner_changed = manager_client.post(
        f"/admin/accounts/user/{owner_a.pk}/change/",
        {"email": owner_a.email, "platform_role": "admin", "is_staff": "on"},
    )
    revoked = manager_client.post(
        "/admin/billing/plangrant/", {"action": "revoke", "_selected_action": [grant.pk]}
    )
    granted = manager_client.post(
        "/admin/billing/plangrant/add/",
        {"business": business_a.pk, "plan": grant.plan_id, "ends_at": "2099-01-01 00:00"},
    )

    assert deleted.status_code == 403
    assert promoted.status_code == 404  # the manager is not a member of any business
    assert owner_changed.status_code == 403
    assert revoked.status_code == 200  # the list again: managers have no actions
    assert granted.status_code == 403
    assert Business.objects.filter(pk=business_a.pk).exists()
    owner_a.refresh_from_db()
    manager.refresh_from_db()
    assert (owner_a.platform_role, manager.platform_role) == ("", "manager")
    assert PlanGrant.objects.get(pk=grant.pk).revoked_at is None
    assert PlanGrant.objects.count() == 1


def test_every_admin_page_still_opens_for_a_platform_admin(
    world,
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
):
    problems = []
    for model, model_admin in admin.site._registry.items():
        base = _admin_base(model)
        urls = [base, f"{base}?q=a", f"{base}?_popup=1&_to_field={model._meta.pk.attname}"]
        for obj in model_admin.get_queryset(_Request(platform_admin))[:3]:
            urls += [f"{base}{quote(obj.pk)}/change/", f"{base}{quote(obj.pk)}/history/"]
        for url in urls:
            status = admin_client_.get(url).status_code
            if status != 200:
                problems.append(f"{url}: {status}")
    assert not problems, "\n".join(problems)
