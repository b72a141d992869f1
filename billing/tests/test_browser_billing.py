"""Buying a plan in a real browser: the billing page, Stripe's hosted Checkout and Stripe's
signed events, with the Stripe simulator serving HTTP on a free port in place of Stripe.

The product runs on the live server, in this process, so the key and the API base set here
are the ones it uses. The simulator runs in a thread: it answers the ``stripe`` library's
calls, serves the Checkout page Chromium is sent to, and posts its events, signed, to the
live server's webhook endpoint on the public host.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import stripe
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from conftest import chromium_page

pytestmark = pytest.mark.browser

#: dj-stripe takes only keys shaped like Stripe's: sk_test_ and 24 or more letters or digits.
API_KEY = "sk_test_x8BrowserBilling0123456789abcdef"
WEBHOOK_SECRET = "whsec_x8_browser_billing"
PASSWORD = "pass-word-2026"  # the session's owners' (conftest)
CONTRACTS = Path(__file__).resolve().parents[2].parent / "shared" / "contracts" / "stripe"
PAID_EVENTS = ["customer.subscription.created", "checkout.session.completed", "invoice.paid"]
#: Stripe's news reaches the page by webhook and a poll every 2 s.
NEWS_TIMEOUT = 15_000


@pytest.fixture
def owner_a_on_alpha(live_server):
    """Business A on a fresh 7-day trial, and its owner, who logs in with a password.

    An earlier browser test's live server empties the public tables when it finishes, A's
    row and its owner with them: they are made again then (A's schema is still there).
    """
    from accounts.models import Membership, User
    from billing.models import BillingAccount
    from tenants.models import Business
    from tenants.services import business_create, public_tenant_ensure

    public_tenant_ensure()  # Stripe's events arrive on the public host
    business = Business.objects.filter(slug="alpha").first() or business_create(
        name="Alpha Shop", slug="alpha"
    )
    Business.objects.filter(pk=business.pk).update(trial_ends_at=timezone.now() + timedelta(days=7))
    BillingAccount.objects.filter(business=business).delete()
    BillingAccount.objects.create(business=business)
    owner = User.objects.filter(email="owner-a@example.com").first() or (
        User.objects.create_user(email="owner-a@example.com", password=PASSWORD)
    )
    Membership.objects.get_or_create(
        user=owner, business=business, defaults={"role": Membership.Role.OWNER}
    )
    business.refresh_from_db()
    return business, owner


@pytest.fixture
def stripe_sim(owner_a_on_alpha, live_server, settings, monkeypatch):
    """The simulator on a free port as the platform's Stripe account: the catalog's prices
    created there (``plans_load --sync``) and the webhook endpoint recorded and given to it
    (``stripe_webhook --secret … --simulator …``)."""
    from billing.services import plans_load
    from simulators.stripe import StripeSimServer

    server = StripeSimServer(
        host="127.0.0.1", port=0, api_key=API_KEY, retry_delays=(0.2, 0.5), webhook_timeout=10
    ).start()
    monkeypatch.setattr(stripe, "api_base", server.url)
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.SITE_PORT = int(live_server.url.rsplit(":", 1)[1])  # the webhook URL's port
    plans_load(sync=True)
    call_command(
        "stripe_webhook", secret=WEBHOOK_SECRET, simulator=server.url, stdout=io.StringIO()
    )
    yield server
    server.stop()  # before the live server empties the database: no deliveries into nothing


class CheckoutSpy:
    """Counts the product's Checkout openings that have finished, from the server's threads."""

    def __init__(self, checkout_start) -> None:
        self._checkout_start = checkout_start
        self._lock = threading.Lock()
        self.finished = 0

    def __call__(self, **kwargs):
        try:
            return self._checkout_start(**kwargs)
        finally:
            with self._lock:
                self.finished += 1


@pytest.fixture
def checkout_spy(monkeypatch) -> CheckoutSpy:
    from billing import services

    spy = CheckoutSpy(services.checkout_start)
    monkeypatch.setattr(services, "checkout_start", spy)
    return spy


def _log_in(page, base: str, email: str) -> None:
    from django.core.cache import cache

    cache.clear()  # log-in rate limits from earlier runs
    page.goto(f"{base}/accounts/login/?next=/billing/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/billing/")


def _sim_post(server, path: str, payload: dict) -> dict:
    response = httpx.post(f"{server.url}{path}", json=payload, timeout=5)
    response.raise_for_status()
    return response.json()


def _sim_objects(server, kind: str) -> list[dict]:
    """The simulator's objects of one kind, oldest first, as its state hook shows them."""
    response = httpx.get(f"{server.url}/sim/state", timeout=5)
    response.raise_for_status()
    return response.json()["objects"].get(kind, [])


def _checkout_page(server) -> re.Pattern:
    return re.compile(rf"^{re.escape(server.url)}/c/pay/(cs_\w+)$")


def _prices(session_id: str) -> list[tuple[str, int]]:
    items = stripe.checkout.Session.list_line_items(session_id, api_key=API_KEY).data
    return [(item.price.id, item.quantity) for item in items]


def _eventually(check, *, timeout: float = 15, what: str):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)
    return result


def test_an_owner_buys_single_on_checkout_and_the_page_shows_it_active(
    owner_a_on_alpha, stripe_sim, live_server, settings
):
    from djstripe.models import Event, WebhookEndpoint

    from billing.entitlements import ACTIVE, account_for, entitlements_for
    from billing.models import Plan

    business, owner = owner_a_on_alpha
    single_price = Plan.objects.get(code="single").stripe_price_id
    assert single_price.startswith("price_")  # made in the simulator by plans_load --sync
    endpoint = WebhookEndpoint.objects.get(secret=WEBHOOK_SECRET)
    webhook_url = f"{live_server.url}/stripe/webhook/{endpoint.djstripe_uuid}/"
    contract = json.loads((CONTRACTS / "openapi-fixtures3" / "checkout.session.json").read_text())
    base = f"http://alpha.localhost:{settings.SITE_PORT}"

    with chromium_page(live_server, settings) as page:
        _log_in(page, base, owner.email)

        # given: the billing page of a business on its trial
        state = page.get_by_test_id("billing-state")
        expect(state).to_have_attribute("data-state", "trialing")
        expect(page.get_by_test_id("trial-days-left")).to_contain_text("7 days left")
        expect(page.get_by_test_id("channel-usage")).to_contain_text("0 of 1 connected")
        for code in ("free", "single", "double", "growth", "enterprise"):
            expect(page.get_by_test_id(f"plan-{code}")).to_be_visible()
        expect(page.get_by_test_id("plan-single")).to_contain_text("$9.99")
        expect(page.get_by_test_id("payments-not-configured")).to_have_count(0)
        expect(page.get_by_test_id("no-invoices")).to_be_visible()

        # when: the owner chooses Single
        choose = page.get_by_test_id("choose-single")
        expect(choose).to_have_text("Choose")
        choose.click()

        # then: Stripe's Checkout page, of a subscription to Single for A's customer
        page.wait_for_url(_checkout_page(stripe_sim))
        session_id = _checkout_page(stripe_sim).match(page.url).group(1)
        [session] = _sim_objects(stripe_sim, "checkout.session")
        assert set(session) == set(contract)  # the current API's shape
        assert (session["id"], session["url"]) == (session_id, page.url)
        assert (session["object"], session["mode"], session["status"]) == (
            "checkout.session",
            "subscription",
            "open",
        )
        [customer] = _sim_objects(stripe_sim, "customer")
        assert session["customer"] == customer["id"]
        assert customer["metadata"]["x8_business"] == str(business.pk)
        assert customer["email"] == owner.email
        assert session["metadata"] == {"x8_business": str(business.pk), "x8_plan": "single"}
        assert _prices(session_id) == [(single_price, 1)]
        assert session["success_url"] == (
            f"{base}/billing/?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
        )
        assert session["cancel_url"] == f"{base}/billing/?checkout=canceled"
        expect(page.locator("#amount")).to_contain_text("9.99")
        expect(page.locator("#card_number")).to_have_value(re.compile(r"^4242( ?4242){3}$"))

        # when: the owner pays
        page.locator("#pay").click()

        # then: back on the billing page, which shows Single active and, once Stripe's
        # events are in, its invoice, without being reloaded
        page.wait_for_url(f"{base}/billing/?checkout=success&session_id={session_id}")
        page.evaluate("window.x8NotReloaded = true")
        expect(state).to_have_attribute("data-state", "active", timeout=NEWS_TIMEOUT)
        expect(page.get_by_test_id("current-plan")).to_have_text("Single")
        expect(page.get_by_test_id("channel-usage")).to_contain_text("0 of 1 connected")
        invoice = page.get_by_test_id("invoice-row")
        expect(invoice).to_have_count(1, timeout=NEWS_TIMEOUT)
        expect(invoice).to_contain_text("9.99 USD")
        expect(invoice).to_contain_text("paid")
        expect(page.get_by_test_id("checkout-done")).to_be_visible()
        assert page.evaluate("window.x8NotReloaded") is True

    # and: Stripe's events were posted, signed, to the webhook endpoint and taken at once
    assert stripe_sim.store.wait_deliveries(10)
    deliveries = stripe_sim.store.deliveries()
    assert [d["type"] for d in deliveries if d["type"] in PAID_EVENTS] == PAID_EVENTS
    assert {d["url"] for d in deliveries} == {webhook_url}
    assert [(d["type"], [a["status"] for a in d["attempts"]]) for d in deliveries] == [
        (d["type"], [200]) for d in deliveries
    ]
    assert set(PAID_EVENTS) <= set(Event.objects.values_list("type", flat=True))
    [subscription] = _sim_objects(stripe_sim, "subscription")
    account = account_for(business)
    assert (account.stripe_customer_id, account.stripe_subscription_id) == (
        customer["id"],
        subscription["id"],
    )
    ent = entitlements_for(business)
    assert (ent.state, ent.plan.code, ent.source) == (ACTIVE, "single", "stripe")


def test_stripe_down_is_said_plainly_a_retry_works_and_a_double_click_opens_one_session(
    owner_a_on_alpha, stripe_sim, checkout_spy, live_server, settings
):
    from billing.models import Plan

    _business, owner = owner_a_on_alpha
    double_price = Plan.objects.get(code="double").stripe_price_id
    base = f"http://alpha.localhost:{settings.SITE_PORT}"

    with chromium_page(live_server, settings) as page:
        _log_in(page, base, owner.email)

        # given: Stripe answers every call with an error
        _sim_post(stripe_sim, "/sim/down", {"down": True})

        # when: the owner chooses Single
        page.get_by_test_id("choose-single").click()

        # then: the billing page says what happened and what to do, and nothing was opened
        expect(page.locator(".messages .message.error")).to_have_text(
            "Stripe had a problem answering. Nothing was charged; try again in a minute."
        )
        expect(page).to_have_url(f"{base}/billing/")
        assert checkout_spy.finished == 1
        assert _sim_objects(stripe_sim, "checkout.session") == []

        # when: Stripe is back and the owner chooses Single again
        _sim_post(stripe_sim, "/sim/down", {"down": False})
        page.get_by_test_id("choose-single").click()

        # then: Checkout opens
        page.wait_for_url(_checkout_page(stripe_sim))
        [single] = _sim_objects(stripe_sim, "checkout.session")
        assert single["url"] == page.url

        # when: back on the billing page, the owner double-clicks Double
        page.goto(f"{base}/billing/")
        sent = []

        def count_checkout_posts(request) -> None:
            if request.method == "POST" and request.url == f"{base}/billing/checkout/double/":
                sent.append(request.url)

        page.on("request", count_checkout_posts)
        page.get_by_test_id("choose-double").dblclick()

        # then: the browser is on one Checkout session of Double, the only one made
        page.wait_for_url(_checkout_page(stripe_sim))
        _eventually(
            lambda: checkout_spy.finished >= 2 + len(sent),
            what="the product answered every Checkout request the browser sent",
        )
        sessions = _sim_objects(stripe_sim, "checkout.session")
        doubles = [s for s in sessions if _prices(s["id"]) == [(double_price, 1)]]
        assert [s["url"] for s in doubles] == [page.url]
        assert len(sessions) == 2
