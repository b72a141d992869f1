"""Buying, changing and cancelling a plan end to end: the portal's pages, the ``stripe``
library's real HTTP calls (answered by the simulator's store), and Stripe's signed events
through the real webhook endpoint."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from djstripe.models import Event, Invoice

from billing.entitlements import ACTIVE, CANCELED, PAST_DUE, account_for, entitlements_for
from billing.models import CheckoutAttempt, Plan

pytestmark = pytest.mark.django_db


def _buy(portal, store, deliver, code: str) -> str:
    """Choose ``code`` on the billing page, pay on Checkout, and let Stripe's events in."""
    response = portal.post(f"/billing/checkout/{code}/")
    assert response.status_code == 302, response.content
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    result = store.checkout_pay(session_id)
    assert result.paid
    delivered = deliver.outbox(store)
    paid = ["customer.subscription.created", "checkout.session.completed", "invoice.paid"]
    assert [kind for kind in delivered if kind in paid] == paid
    return session_id


def test_choosing_a_plan_opens_checkout_for_the_businesss_customer(
    portal_a, business_a, stripe_store
):
    response = portal_a.post("/billing/checkout/double/")
    assert response.status_code == 302
    assert response["Location"].startswith("http://stripe.localhost:12111/c/pay/cs_")
    session = stripe_store.all("checkout.session")[0]
    assert session["mode"] == "subscription"
    account = account_for(business_a)
    assert session["customer"] == account.stripe_customer_id
    customer = stripe_store.find(account.stripe_customer_id)
    assert customer["email"] == "owner-a@example.com"
    assert customer["metadata"]["x8_business"] == str(business_a.pk)
    price = Plan.objects.get(code="double").stripe_price_id
    assert stripe_store.render(session)["metadata"] == {
        "x8_business": str(business_a.pk),
        "x8_plan": "double",
    }
    assert price  # synced by plans_load --sync
    query = parse_qs(urlsplit(session["success_url"]).query)
    assert query["checkout"] == ["success"]
    assert query["session_id"] == ["{CHECKOUT_SESSION_ID}"]
    assert session["cancel_url"].endswith("/billing/?checkout=canceled")


def test_a_double_click_opens_one_checkout_session(portal_a, stripe_store):
    first = portal_a.post("/billing/checkout/single/")
    second = portal_a.post("/billing/checkout/single/")
    assert first["Location"] == second["Location"]
    assert len(stripe_store.all("checkout.session")) == 1
    assert len(stripe_store.all("customer")) == 1
    assert CheckoutAttempt.objects.count() == 1


def test_stripe_down_while_opening_checkout_is_said_plainly_and_can_be_retried(
    portal_a, business_a, stripe_store
):
    stripe_store.set_down(True)
    page = portal_a.post("/billing/checkout/single/", follow=True)
    assert "Stripe" in page.content.decode() and "try again in a minute" in page.content.decode()
    assert CheckoutAttempt.objects.count() == 0
    stripe_store.set_down(False)
    retry = portal_a.post("/billing/checkout/single/")
    assert retry.status_code == 302 and "/c/pay/cs_" in retry["Location"]


def test_paying_makes_the_plan_active_and_lists_the_invoice(
    portal_a, business_a, stripe_store, deliver
):
    _buy(portal_a, stripe_store, deliver, "double")
    ent = entitlements_for(business_a)
    assert (ent.state, ent.plan.code, ent.channels_allowed, ent.source) == (
        ACTIVE,
        "double",
        2,
        "stripe",
    )
    assert ent.ends_at is not None
    business_a.refresh_from_db()
    assert business_a.history_retention_days == 180
    page = portal_a.get("/billing/").content.decode()
    assert 'data-state="active"' in page
    assert "0 of 2 connected" in page
    assert page.count('data-testid="invoice-row"') == 1
    assert "19.99 USD" in page
    assert (
        Invoice.objects.filter(customer_id=account_for(business_a).stripe_customer_id).count() == 1
    )


def test_returning_from_checkout_before_the_webhook_shows_the_plan_at_once(
    portal_a, business_a, stripe_store
):
    response = portal_a.post("/billing/checkout/growth/")
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    stripe_store.checkout_pay(session_id)
    page = portal_a.get(f"/billing/?checkout=success&session_id={session_id}").content.decode()
    assert 'data-testid="checkout-done"' in page
    assert entitlements_for(business_a).plan.code == "growth"


def test_a_session_of_another_business_is_not_taken_on_return(
    portal_a, business_a, business_b, owner_b, stripe_store
):
    from conftest import host_client

    portal_b = host_client("beta.localhost", owner_b)
    response = portal_b.post("/billing/checkout/growth/")
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    stripe_store.checkout_pay(session_id)
    portal_a.post("/billing/checkout/single/")  # A has a customer of its own
    page = portal_a.get(f"/billing/?checkout=success&session_id={session_id}").content.decode()
    assert 'data-testid="checkout-waiting"' in page
    assert entitlements_for(business_a).state == "trialing"


def test_an_upgrade_takes_effect_at_once_and_is_charged_now(
    portal_a, business_a, stripe_store, deliver
):
    _buy(portal_a, stripe_store, deliver, "single")
    response = portal_a.post("/billing/change/growth/")
    assert response.status_code == 302
    assert entitlements_for(business_a).plan.code == "growth"
    subscription = stripe_store.render(stripe_store.all("subscription")[0])
    assert (
        subscription["items"]["data"][0]["price"]["id"]
        == Plan.objects.get(code="growth").stripe_price_id
    )
    # always_invoice: the difference is invoiced (and paid) now.
    assert len(stripe_store.all("invoice")) == 2
    deliver.outbox(stripe_store)
    assert entitlements_for(business_a).plan.code == "growth"


def test_a_downgrade_needs_channels_chosen_and_gives_no_credit(
    portal_a, business_a, stripe_store, deliver, whatsapp_channel, fake_waha
):
    _buy(portal_a, stripe_store, deliver, "double")
    assert (
        portal_a.post(f"/companies/{whatsapp_channel.company_id}/channels/whatsapp/").status_code
        == 302
    )
    invoices_before = len(stripe_store.all("invoice"))

    refused = portal_a.post("/billing/change/single/")
    assert refused.status_code == 422
    assert entitlements_for(business_a).plan.code == "double"

    done = portal_a.post("/billing/change/single/", {"disconnect": [whatsapp_channel.pk]})
    assert done.status_code == 302
    assert entitlements_for(business_a).plan.code == "single"
    assert len(stripe_store.all("invoice")) == invoices_before  # no proration credit note
    whatsapp_channel.connection.refresh_from_db()
    assert whatsapp_channel.connection.status == "disconnected"


def test_cancel_at_period_end_and_resume(portal_a, business_a, stripe_store, deliver):
    _buy(portal_a, stripe_store, deliver, "single")
    portal_a.post("/billing/cancel/", {"action": "cancel"})
    ent = entitlements_for(business_a)
    assert ent.state == ACTIVE and ent.cancel_at_period_end
    assert "Resume subscription" in portal_a.get("/billing/").content.decode()
    portal_a.post("/billing/cancel/", {"action": "resume"})
    assert not entitlements_for(business_a).cancel_at_period_end


def test_the_customer_portal_opens_for_the_businesss_customer(
    portal_a, business_a, stripe_store, deliver
):
    _buy(portal_a, stripe_store, deliver, "single")
    response = portal_a.post("/billing/portal/")
    assert response.status_code == 302
    assert "/p/session/" in response["Location"]
    session = stripe_store.all("billing_portal.session")[0]
    assert session["customer"] == account_for(business_a).stripe_customer_id
    assert session["return_url"] == "http://alpha.localhost/billing/"


def test_a_failed_renewal_is_past_due_then_paid_again_is_active(
    portal_a, business_a, stripe_store, deliver, settings
):
    _buy(portal_a, stripe_store, deliver, "single")
    subscription_id = stripe_store.all("subscription")[0]["id"]
    stripe_store.subscription_fail_payment(subscription_id)
    types = deliver.outbox(stripe_store)
    assert "invoice.payment_failed" in types
    ent = entitlements_for(business_a)
    assert ent.state == PAST_DUE and not ent.read_only and ent.warning
    # The owner pays the open invoice (as on Stripe's hosted invoice page or portal).
    [open_invoice] = [i for i in stripe_store.all("invoice") if i["status"] == "open"]
    stripe.Invoice.pay(open_invoice["id"], api_key=settings.STRIPE_SECRET_KEY)
    deliver.outbox(stripe_store)
    assert entitlements_for(business_a).state == ACTIVE
    assert account_for(business_a).past_due_since is None


def test_a_deleted_subscription_ends_the_plan_and_a_late_update_does_not_revive_it(
    portal_a, business_a, stripe_store, deliver
):
    _buy(portal_a, stripe_store, deliver, "single")
    subscription_id = stripe_store.all("subscription")[0]["id"]
    stripe_store.subscription_cancel_at_period_end(subscription_id, True)
    [updated] = stripe_store.outbox_drain()
    stripe_store.subscription_delete(subscription_id)
    deliver.outbox(stripe_store)
    assert entitlements_for(business_a).state == CANCELED
    # The older "updated" event arrives after the deletion: the state stays right.
    assert deliver(updated).status_code == 200
    assert entitlements_for(business_a).state == CANCELED


def test_a_replayed_event_changes_nothing(portal_a, business_a, stripe_store, deliver):
    response = portal_a.post("/billing/checkout/single/")
    session_id = urlsplit(response["Location"]).path.rsplit("/", 1)[-1]
    stripe_store.checkout_pay(session_id)
    events = stripe_store.outbox_drain()
    for event in events:
        assert deliver(event).status_code == 200
    count = Event.objects.count()
    account = account_for(business_a)
    synced = account.synced_at
    for event in events:  # days later, the same ids again
        assert deliver(event).status_code == 200
    assert Event.objects.count() == count
    assert account_for(business_a).synced_at == synced


def test_a_boosted_click_leaves_for_checkout_through_hx_redirect(portal_a, stripe_store):
    # An XMLHttpRequest cannot follow a redirect to Stripe's site; htmx is told instead.
    response = portal_a.post("/billing/checkout/single/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("http://stripe.localhost:12111/c/pay/cs_")


def test_the_plan_buttons_are_plain_forms_that_leave_the_site(portal_a, stripe_store):
    html = portal_a.get("/billing/").content.decode()
    assert 'action="/billing/checkout/single/" hx-boost="false"' in html


def test_syncing_the_catalog_again_creates_nothing_new_in_stripe(stripe_store):
    from billing.services import plans_load

    before = {plan.code: plan.stripe_price_id for plan in Plan.objects.all()}
    prices = len(stripe_store.all("price"))
    plans_load(sync=True)
    assert {plan.code: plan.stripe_price_id for plan in Plan.objects.all()} == before
    assert len(stripe_store.all("price")) == prices == 4  # free and enterprise are not sold
    assert before["free"] == "" and before["enterprise"] == ""


def test_a_changed_catalog_price_gets_a_new_stripe_price(stripe_store):
    from decimal import Decimal

    from billing import catalog
    from billing.services import plans_load

    old = Plan.objects.get(code="single").stripe_price_id
    specs = tuple(
        spec
        if spec.code != "single"
        else catalog.PlanSpec(**{**spec.__dict__, "price": Decimal("11.99")})
        for spec in catalog.CATALOG
    )
    catalog_before = catalog.CATALOG
    catalog.CATALOG = specs
    try:
        plans_load(sync=True)
    finally:
        catalog.CATALOG = catalog_before
    new = Plan.objects.get(code="single")
    assert new.stripe_price_id != old
    assert stripe_store.find(new.stripe_price_id)["unit_amount"] == 1199
