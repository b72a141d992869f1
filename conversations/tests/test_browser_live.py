"""Live chat in a real browser on a real daphne: a customer's WhatsApp message (sent on the
WAHA simulator) appears in the open inbox and conversation without a reload, and the reply's
ticks move as the simulator acknowledges it.

The product runs in a daphne process (HTTP and websockets) and a Celery worker, both on the
test database; the simulator runs in a thread of the test and posts its webhooks to daphne.
"""

from __future__ import annotations

import re
import secrets
import time
from contextlib import contextmanager

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from conftest import chromium, page_elsewhere

pytestmark = pytest.mark.browser

PASSWORD = "Live-Chat-2026"
API_KEY = "live-browser-waha-key"
CUSTOMER_PHONE = "79990000002"


@contextmanager
def in_business(business):
    try:
        with tenant_context(business):
            yield
    finally:
        connection.close()


@pytest.fixture
def shop(daphne_server):
    from accounts.models import Membership, User
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure

    public_tenant_ensure()
    slug = f"live-{secrets.token_hex(3)}"
    business = business_create(name="Live Tea", slug=slug)
    with tenant_context(business):
        company = company_create(name="Live Tea Shop", kind="product", shop_type="online")
    user = User.objects.create_user(
        email=f"{slug}@example.com", password=PASSWORD, full_name="Olga Live"
    )
    Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)
    yield business, company, user, f"http://{slug}.localhost:{daphne_server}"
    connection.set_schema_to_public()
    business.delete(force_drop=True)
    user.delete()


@pytest.fixture
def waha_sim(daphne_server, settings, monkeypatch, request):
    """The simulator, posting to daphne; the worker (started after it) sends through it."""
    from simulators.waha import Timings, WahaSimServer

    server = WahaSimServer(
        host="127.0.0.1",
        port=0,
        api_key=API_KEY,
        timings=Timings(start_delay=0.1, ack_server_delay=0.3, ack_device_delay=1.0),
    ).start()
    settings.WAHA_URL = f"http://127.0.0.1:{server.port}"
    settings.WAHA_API_KEY = API_KEY
    settings.WAHA_WEBHOOK_URL = f"http://localhost:{daphne_server}/webhooks/waha/"
    monkeypatch.setenv("WAHA_URL", settings.WAHA_URL)
    monkeypatch.setenv("WAHA_API_KEY", API_KEY)
    monkeypatch.setenv("CONVERSATION_BURST_SECONDS", "0.5")
    request.getfixturevalue("celery_worker")
    yield server
    server.stop()


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/conversations/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/conversations/")


def _socket_open(page) -> None:
    page.wait_for_function("window.x8Live && window.x8Live.socket().readyState === 1")


def _eventually(check, *, timeout: float = 20, what: str):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)
    return result


def test_a_whatsapp_message_appears_live_in_the_open_inbox_and_conversation(shop, waha_sim):
    from channels_app.services import whatsapp_connect
    from connections.models import Connection

    business, company, user, base = shop
    with in_business(business):
        channel = whatsapp_connect(company=company)
        session = channel.connection.external_id
    httpx.post(
        f"{waha_sim.url}/sim/sessions/{session}/scan",
        json={"phone": "79001230000", "pushName": "Live Tea"},
        timeout=5,
    ).raise_for_status()
    _eventually(
        lambda: Connection.objects.filter(external_id=session, status="connected").exists(),
        what="the session connected",
    )

    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        _log_in(page, base, user.email)
        _socket_open(page)
        page.evaluate("window.notReloaded = true")
        expect(page.get_by_test_id("conversation-row")).to_have_count(0)

        def customer_writes(text: str) -> None:
            httpx.post(
                f"{waha_sim.url}/sim/sessions/{session}/incoming",
                json={"from": CUSTOMER_PHONE, "name": "Мария", "text": text},
                timeout=5,
            ).raise_for_status()

        # A new customer writes: the inbox shows the conversation without a reload.
        customer_writes("Здравствуйте! Есть зелёный чай?")
        row = page.get_by_test_id("conversation-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Мария")
        expect(row).to_contain_text("Есть зелёный чай?")
        assert page.evaluate("window.notReloaded") is True

        # The conversation, open: the next message arrives live, under the first.
        row.get_by_role("link", name="Мария").click()
        page.wait_for_url(re.compile(r"/conversations/\d+/$"))
        page.wait_for_function(
            "document.querySelector('[data-live-state]').dataset.state === 'live'"
        )
        page.evaluate("window.notReloaded = true")
        customer_writes("И сколько он стоит?")
        incoming = page.get_by_test_id("message-in")
        expect(incoming).to_have_count(2)
        expect(incoming.last).to_contain_text("сколько он стоит")
        assert page.evaluate("window.notReloaded") is True

        # The reply goes out through WhatsApp; its ticks follow the simulator's acks, live.
        page.locator("[data-testid=reply-form] textarea[name=text]").fill("Есть, 450 ₽.")
        page.get_by_test_id("send-reply").click()
        # (the assistant may have answered the customer meanwhile: the person's reply is apart)
        outgoing = page.locator("[data-testid=message-out]:not(.assistant)")
        expect(outgoing).to_have_count(1)
        expect(outgoing).to_contain_text("Olga")  # who sent it
        expect(outgoing).to_have_attribute("data-status", "delivered", timeout=20_000)
        expect(page.get_by_test_id("conversation-state")).to_have_attribute("data-mode", "human")
        assert page.evaluate("window.notReloaded") is True
        state = httpx.get(
            f"{waha_sim.url}/sim/state",
            params={"session": session, "phone": CUSTOMER_PHONE},
            timeout=5,
        ).json()
        assert [m["body"] for m in state["messages"] if m["fromMe"]][-1] == "Есть, 450 ₽."


@pytest.fixture
def worker(shop, request):
    """The real worker: it delivers replies (a web chat reply is marked sent and pushed)."""
    return request.getfixturevalue("celery_worker")


def test_a_visitor_and_an_operator_chat_live_in_two_browsers(shop, worker):
    from webchat.services import webchat_enable

    business, company, user, base = shop
    port = base.rsplit(":", 1)[1]
    with in_business(business):
        key = webchat_enable(company=company).connection.external_id

    with (
        page_elsewhere(
            "<!DOCTYPE html><html><head><title>Tea</title></head><body><h1>Our teas</h1>"
            f'<script src="http://localhost:{port}/widget.js" data-key="{key}" async></script>'
            "</body></html>"
        ) as shop_url,
        chromium() as browser,
    ):
        operator = browser.new_context().new_page()
        visitor = browser.new_context().new_page()
        for page in (operator, visitor):
            page.set_default_timeout(15_000)
        _log_in(operator, base, user.email)
        _socket_open(operator)
        operator.evaluate("window.notReloaded = true")

        # The visitor writes on the shop's own website; the operator's inbox shows it live.
        visitor.goto(shop_url)
        widget = visitor.locator("#x8-widget")
        widget.locator(".bubble").click()
        widget.locator("textarea").fill("Is the Sencha in stock?")
        widget.locator("textarea").press("Enter")
        row = operator.get_by_test_id("conversation-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Is the Sencha in stock?")
        assert operator.evaluate("window.notReloaded") is True

        # The assistant answers first (the company's knowledge base is empty: it says so).
        theirs = widget.locator(".msg.theirs[data-id] .text")
        expect(theirs).to_have_count(1, timeout=20_000)

        # The operator opens it and takes it over from the assistant.
        row.get_by_role("link").first.click()
        operator.wait_for_url(re.compile(r"/conversations/\d+/$"))
        operator.wait_for_function(
            "document.querySelector('[data-live-state]').dataset.state === 'live'"
        )
        expect(operator.get_by_test_id("message-in")).to_have_count(1)
        expect(operator.locator("[data-testid=message-out].assistant")).to_have_count(1)
        state = operator.get_by_test_id("conversation-state")
        expect(state).to_have_attribute("data-mode", "assistant")
        operator.get_by_test_id("take-over").click()
        expect(state).to_have_attribute("data-mode", "human")
        expect(operator.get_by_test_id("conversation-mode")).to_contain_text("Olga answers")

        # The visitor types: the operator sees it; the operator replies: the visitor sees it.
        widget.locator("textarea").fill("Also")
        expect(operator.get_by_test_id("typing")).to_contain_text("The customer is typing")
        operator.locator("[data-testid=reply-form] textarea[name=text]").fill("Yes, 120 g tins.")
        operator.get_by_test_id("send-reply").click()
        expect(theirs).to_have_count(2)
        expect(theirs.last).to_have_text("Yes, 120 g tins.")
        outgoing = operator.locator("[data-testid=message-out]:not(.assistant)")
        expect(outgoing).to_have_count(1)
        expect(outgoing).to_have_attribute("data-status", "sent")  # by the worker, live

        # The visitor answers; it arrives in the open conversation, under the reply.
        widget.locator("textarea").fill("Great, thank you!")
        widget.locator("textarea").press("Enter")
        incoming = operator.get_by_test_id("message-in")
        expect(incoming).to_have_count(2)
        expect(incoming.last).to_contain_text("Great, thank you!")
        assert operator.evaluate("window.notReloaded") is True

    with in_business(business):
        from conversations.models import Conversation, Message

        conversation = Conversation.objects.get()
        assert (conversation.mode, conversation.assignee_id) == ("human", user.pk)
        messages = list(Message.objects.order_by("id"))
        assert [(m.direction, m.text) for m in messages if not m.by_assistant] == [
            ("in", "Is the Sencha in stock?"),
            ("out", "Yes, 120 g tins."),
            ("in", "Great, thank you!"),
        ]
        # The assistant answered the first question only: after the take-over it is silent.
        assert [m.pk for m in messages if m.by_assistant] == [messages[1].pk]
