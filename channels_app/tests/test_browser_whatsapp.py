"""An owner connects WhatsApp in a real browser, links it on the simulator's phone page, gets
a customer's message in the business's conversations and answers it.

WAHA is the simulator (simulators/waha/) in a thread of the test process; it posts its
webhooks to the live server. The reply is sent by a real Celery worker (conftest's
``celery_worker``, on the test database), pointed at the same simulator through its environment.
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

from conftest import chromium_page

pytestmark = pytest.mark.browser

PASSWORD = "Whats-App-2026"
API_KEY = "browser-waha-key"
BURST_SECONDS = "0.5"  # the customer's burst window: a turn is collected this soon
BUSINESS_PHONE = "79001234567"
BUSINESS_NAME = "Horizon Tea"
CUSTOMER_PHONE = "79990000001"  # the phone page's default customer
CUSTOMER_NAME = "Мария"
QUESTION = "Привет! Есть чайники?"
ANSWER = "Да, есть."
CHANNEL_URL = re.compile(r"/channels/(\d+)/$")
OUT_STATUSES = ["pending", "sent", "delivered", "read"]
#: Keeps every status the reply shows while the conversation page polls (a status only moves
#: forward, so the list must be in OUT_STATUSES' order).
RECORD_STATUSES = """() => {
  window.outStatuses = [];
  setInterval(() => {
    const status = document.querySelector("[data-testid=message-out]:not(.assistant)")?.dataset.status;
    if (status && window.outStatuses.at(-1) !== status) window.outStatuses.push(status);
  }, 50);
}"""


@pytest.fixture
def member(live_server):
    """A business of its own with one company, and its owner (who logs in with a password).

    A live server empties the public tables when it finishes, so an earlier browser test may
    have removed the session's businesses and the public host's row: both are made here.
    """
    from accounts.models import Membership, User
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure

    public_tenant_ensure()  # the webhooks arrive on the public host (localhost)
    slug = f"wa-{secrets.token_hex(3)}"
    business = business_create(name="Horizon Goods", slug=slug)
    with tenant_context(business):
        company_create(name="Horizon Store", kind="product", shop_type="online")
    user = User.objects.create_user(email=f"{slug}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)
    yield business, user
    connection.set_schema_to_public()
    business.delete(force_drop=True)  # with its schema and connections; the server empties the rest
    user.delete()


@pytest.fixture
def waha_sim(live_server, settings):
    """The WAHA simulator on a free port with short delays; the product points at it."""
    from simulators.waha import Timings, WahaSimServer

    server = WahaSimServer(
        host="127.0.0.1",
        port=0,
        api_key=API_KEY,
        timings=Timings(
            start_delay=0.2,
            qr_interval=1.5,  # the portal's QR code follows the rotation
            ack_server_delay=0.3,
            ack_device_delay=5.0,  # long enough for a poll of the page to show Sent
            webhook_timeout=5,
        ),
    ).start()
    settings.WAHA_URL = f"http://127.0.0.1:{server.port}"
    settings.WAHA_API_KEY = API_KEY
    settings.WAHA_WEBHOOK_URL = f"{live_server.url}/webhooks/waha/"
    settings.CONVERSATION_BURST_SECONDS = float(BURST_SECONDS)
    yield server
    server.stop()  # before the live server goes: no webhook retries into an empty database


@pytest.fixture
def whatsapp_worker(waha_sim, settings, monkeypatch, request):
    """conftest's ``celery_worker``, started with the simulator's URL and key in its
    environment (its settings read them there), and the live server's burst window."""
    monkeypatch.setenv("WAHA_URL", settings.WAHA_URL)
    monkeypatch.setenv("WAHA_API_KEY", settings.WAHA_API_KEY)
    monkeypatch.setenv("CONVERSATION_BURST_SECONDS", BURST_SECONDS)
    return request.getfixturevalue("celery_worker")


@pytest.fixture
def browser_page(live_server, member, waha_sim, whatsapp_worker, settings):
    """Chromium on the live server; it closes first, before the worker, the simulator and
    the business go."""
    from django.core.cache import cache

    cache.clear()  # log-in rate limits from earlier runs

    with chromium_page(live_server, settings) as page:
        yield page


@contextmanager
def _in_business(business):
    """The business's schema for database work in the test's body.

    While Playwright's sync API is running, the body gets a database connection of its own
    (not the fixtures' one); it is closed at the end so it does not outlive the test and
    keep the test database from being dropped.
    """
    try:
        with tenant_context(business):
            yield
    finally:
        connection.close()


def _eventually(check, *, timeout: float = 20, what: str):
    """Poll ``check`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.25)


def _log_in(page, host: str, email: str) -> None:
    page.goto(f"{host}/accounts/login/?next=/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{host}/")


def _sim_state(server, **params) -> dict:
    return httpx.get(f"{server.url}/sim/state", params=params, timeout=5).json()


def test_connect_whatsapp_receive_and_answer_a_customer(browser_page, member, waha_sim, settings):
    from playwright.sync_api import expect

    from channels_app.models import Channel
    from connections.models import Connection
    from conversations.models import Contact, Message, Turn

    page = browser_page
    business, user = member
    host = f"http://{business.slug}.localhost:{settings.SITE_PORT}"
    _log_in(page, host, user.email)

    # Dashboard → the company's Channels → Connect WhatsApp → the channel's page
    page.get_by_test_id("company-channels").click()
    page.wait_for_url(re.compile(r"/companies/\d+/channels/$"))
    expect(page.get_by_test_id("channel-row")).to_have_count(0)
    page.get_by_test_id("connect-whatsapp").click()
    page.wait_for_url(CHANNEL_URL)
    channel_id = int(CHANNEL_URL.search(page.url).group(1))
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    status = page.get_by_test_id("channel-status")
    badge = page.get_by_test_id("channel-status-badge")
    qr = page.get_by_test_id("whatsapp-qr")
    expect(status).to_have_attribute("data-status", "connecting")
    expect(badge).to_have_text("Connecting")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    first_qr = qr.get_attribute("src")
    # the simulator rotates its QR code; the page's polling shows the new one
    expect(qr).not_to_have_attribute("src", first_qr, timeout=10_000)

    with _in_business(business):
        channel = Channel.objects.select_related("connection", "company").get(pk=channel_id)
        session = channel.connection.external_id
        assert channel.company.name == "Horizon Store"
        assert channel.connection.status == Connection.Status.CONNECTING
    assert session.startswith(f"{business.slug}-")
    hook = next(s for s in _sim_state(waha_sim)["sessions"] if s["name"] == session)["config"]
    assert hook["webhooks"][0]["url"] == settings.WAHA_WEBHOOK_URL
    assert hook["metadata"] == {"business": business.slug, "company": "COMP001"}

    # the business's phone: the simulator's phone page scans the waiting session
    phone = page.context.new_page()
    phone.goto(f"{waha_sim.url}/phone")
    phone.fill("#business-phone", BUSINESS_PHONE)
    phone.fill("#business-name", BUSINESS_NAME)
    waiting = phone.locator(".waiting", has_text=session)
    expect(waiting).to_contain_text("shows a QR code")
    waiting.get_by_role("button", name="Scan").click()
    expect(phone.locator("#session")).to_have_value(session)

    # the portal's page follows, without a reload: connected, with the linked account
    expect(status).to_have_attribute("data-status", "connected", timeout=15_000)
    expect(badge).to_have_text("Connected")
    account = page.get_by_test_id("whatsapp-account")
    expect(account).to_contain_text(BUSINESS_NAME)
    expect(account).to_contain_text(f"{BUSINESS_PHONE}@c.us")
    expect(qr).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    with _in_business(business):
        linked = Connection.objects.get(external_id=session)
        assert linked.status == Connection.Status.CONNECTED
        assert linked.provider_status == "WORKING"
        assert (linked.account_id, linked.account_name) == (f"{BUSINESS_PHONE}@c.us", BUSINESS_NAME)
        assert linked.connected_at is not None

    # the customer writes on the phone page
    phone.fill("#customer-name", CUSTOMER_NAME)
    phone.fill("#text", QUESTION)
    phone.locator("#composer button[type=submit]").click()
    expect(phone.locator("#chat .bubble.customer")).to_have_text(re.compile(re.escape(QUESTION)))

    def question_stored():
        with _in_business(business):
            return Message.objects.filter(
                channel_id=channel_id, direction=Message.Direction.IN, text=QUESTION
            ).exists()

    _eventually(question_stored, what="the customer's message stored")

    # Conversations → the customer's conversation with the message
    page.get_by_test_id("nav-conversations").click()
    page.wait_for_url(f"{host}/conversations/")
    row = page.get_by_test_id("conversation-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(CUSTOMER_NAME)
    expect(row).to_contain_text(CUSTOMER_PHONE)
    expect(row).to_contain_text("Horizon Store")
    row.get_by_role("link", name=CUSTOMER_NAME).click()
    page.wait_for_url(re.compile(r"/conversations/\d+/$"))
    conversation_url = page.url
    expect(page.get_by_test_id("contact-name")).to_contain_text(CUSTOMER_NAME)
    expect(page.get_by_test_id("contact-name")).to_contain_text(CUSTOMER_PHONE)
    incoming = page.get_by_test_id("message-in")
    expect(incoming).to_have_count(1)
    expect(incoming).to_contain_text(QUESTION)
    expect(incoming).to_have_attribute("data-status", "received")

    # the worker collects the customer's turn and marks it seen: blue ticks on the phone;
    # the assistant answers it (the company's knowledge base is empty: it says so) live
    expect(phone.locator("#chat .bubble.customer .ticks.read")).to_have_count(1, timeout=15_000)
    expect(page.locator("[data-testid=message-out].assistant")).to_have_count(1, timeout=15_000)
    phone.close()  # the customer puts the phone away: the answer is delivered, not read

    # the reply: the worker sends it through the simulator; acks move its status on the page
    page.locator("[data-testid=reply-form] textarea[name=text]").fill(ANSWER)
    page.get_by_test_id("send-reply").click()
    page.wait_for_url(conversation_url)
    page.evaluate(RECORD_STATUSES)
    outgoing = page.locator("[data-testid=message-out]:not(.assistant)")
    expect(outgoing).to_have_count(1)
    expect(outgoing).to_contain_text(ANSWER)
    status_text = outgoing.get_by_test_id("message-status")
    expect(outgoing).to_have_attribute("data-status", "sent", timeout=15_000)  # by the worker
    expect(status_text).to_have_attribute("title", "Sent")
    expect(outgoing).to_have_attribute("data-status", "delivered", timeout=15_000)  # DEVICE ack
    expect(status_text).to_have_attribute("title", "Delivered")

    # the customer looks at the chat again: the answer is there, and read (READ ack)
    phone = page.context.new_page()
    phone.goto(f"{waha_sim.url}/phone")
    business_bubble = phone.locator("#chat .bubble.business").last
    expect(business_bubble).to_contain_text(ANSWER)
    expect(business_bubble.locator(".ticks.read")).to_have_count(1)
    expect(outgoing).to_have_attribute("data-status", "read", timeout=15_000)
    expect(status_text).to_have_attribute("title", "Read")
    page.wait_for_function("window.outStatuses.at(-1) === 'read'")
    shown = page.evaluate("window.outStatuses")
    assert shown == sorted(shown, key=OUT_STATUSES.index), f"the status went back: {shown}"
    assert shown[-3:] == ["sent", "delivered", "read"]
    bubbles = page.get_by_test_id("messages").locator(".bubble")
    expect(bubbles).to_have_count(3)
    expect(bubbles.first).to_have_attribute("data-testid", "message-in")

    state = _sim_state(waha_sim, session=session, phone=CUSTOMER_PHONE)
    question = [m for m in state["messages"] if not m["fromMe"]]
    answer = [m for m in state["messages"] if m["fromMe"] and m["body"] == ANSWER]
    assert [(m["body"], m["seen"]) for m in question] == [(QUESTION, True)]
    assert [(m["body"], m["chatId"], m["ackName"]) for m in answer] == [
        (ANSWER, f"{CUSTOMER_PHONE}@c.us", "READ")
    ]

    def webhooks_since_linked():
        """(event, status or ack, accepted) of the session's webhooks from WORKING on.

        The statuses before it are left out: WAHA sends STARTING while the product's connect
        request is still open, so that one may be refused as an unknown session."""
        hooks = [d for d in _sim_state(waha_sim)["deliveries"] if d["session"] == session]
        linked = next(i for i, d in enumerate(hooks) if d["detail"] == "WORKING")
        return [
            (d["event"], d["detail"] if d["event"] != "message" else None, d["delivered"])
            for d in hooks[linked:]
        ]

    def settled(webhooks) -> bool:
        """WORKING, the customer's message, then the acks of the two replies (the assistant's
        and the owner's; their order interleaves): each SERVER and DEVICE, READ at least for
        the owner's, every one accepted by the product (no retries pending)."""
        acks = sorted(detail for event, detail, _ok in webhooks[2:] if event == "message.ack")
        return (
            webhooks[:2] == [("session.status", "WORKING", True), ("message", None, True)]
            and all(ok for _event, _detail, ok in webhooks)
            and acks.count("SERVER") == 2
            and acks.count("DEVICE") == 2
            and acks.count("READ") >= 1
            and len(acks) == len(webhooks) - 2
        )

    deadline = time.monotonic() + 20
    while not settled(webhooks := webhooks_since_linked()) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert settled(webhooks), webhooks

    # the business's database
    with _in_business(business):
        contact = Contact.objects.get(channel_id=channel_id)
        assert (contact.phone, contact.name, contact.chat_id) == (
            CUSTOMER_PHONE,
            CUSTOMER_NAME,
            f"{CUSTOMER_PHONE}@c.us",
        )
        stored = list(
            Message.objects.filter(conversation=contact.conversation).order_by("created_at", "id")
        )
        assert [(m.direction, m.text, m.status) for m in stored if not m.by_assistant] == [
            (Message.Direction.IN, QUESTION, Message.Status.RECEIVED),
            (Message.Direction.OUT, ANSWER, Message.Status.READ),
        ]
        received, assistant_reply, sent = stored
        assert assistant_reply.by_assistant and assistant_reply.message_class == "type1"
        assert received.provider_id == question[0]["id"]
        assert sent.provider_id == answer[0]["id"]
        assert (sent.author_id, sent.attempts, sent.error) == (user.pk, 1, "")
        turn = Turn.objects.get(conversation=contact.conversation)
        assert turn.text == QUESTION
        assert list(turn.messages.all()) == [received]
