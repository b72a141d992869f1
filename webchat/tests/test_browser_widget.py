"""The widget in a real browser, on a shop page of another origin, against a real daphne.

The visitor writes; the message is in the business's inbox; a staff reply (with a script
in it) appears live as plain text; staff typing shows; a reload keeps the conversation.
"""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from conftest import chromium, page_elsewhere
from conversations import live
from conversations.models import Conversation, Message
from conversations.services import message_send

pytestmark = pytest.mark.browser

ATTACK = '<img src=x onerror="window.__x8_attacked = 1">'


def staff(business, func):
    """Run staff's side in a thread of its own: Playwright's loop owns this one, and the
    live updates need a thread without an event loop."""

    def run():
        try:
            with tenant_context(business):
                return func()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def shop_widget(daphne_server):
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure
    from webchat.services import webchat_enable

    public_tenant_ensure()
    business = business_create(name="Widget Tea", slug=f"wt-{secrets.token_hex(3)}")
    with tenant_context(business):
        company = company_create(name="Widget Tea Shop", kind="product", shop_type="online")
        channel = webchat_enable(company=company)
    connection.set_schema_to_public()
    yield business, channel, daphne_server
    connection.set_schema_to_public()
    business.delete(force_drop=True)


@pytest.fixture
def shop_page(shop_widget):
    """The business's own website: a page on another origin with the snippet in it."""
    _business, channel, port = shop_widget
    with page_elsewhere(
        "<!DOCTYPE html><html><head><title>Tea</title></head><body><h1>Tea shop</h1>"
        f'<script src="http://localhost:{port}/widget.js" '
        f'data-key="{channel.connection.external_id}" async></script></body></html>'
    ) as url:
        yield url


def test_a_visitor_chats_on_another_website_and_sees_replies_live(shop_widget, shop_page):
    business, channel, _port = shop_widget
    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        page.goto(shop_page)
        widget = page.locator("#x8-widget")
        widget.locator(".bubble").click()
        expect(widget.locator(".title")).to_have_text("Widget Tea Shop")
        widget.locator("textarea").fill("Do you have green tea?")
        widget.locator("textarea").press("Enter")
        expect(widget.locator(".msg.mine:not(.pending) .text")).to_have_text(
            ["Do you have green tea?"]
        )

        conversation = staff(
            business,
            lambda: Conversation.objects.select_related("contact").get(channel_id=channel.pk),
        )
        assert conversation.contact.source == shop_page
        # Staff pages repeat "typing" while a person types; the widget's socket may still be
        # joining the conversation it has just made.
        for _attempt in range(10):
            staff(
                business,
                lambda: live.typing_published(
                    conversation_id=conversation.pk, who="Olga", side="staff", active=True
                ),
            )
            if widget.locator(".typing").is_visible():
                break
            page.wait_for_timeout(500)
        expect(widget.locator(".typing")).to_be_visible()
        # a reply goes out to the widget as soon as it is committed
        reply = staff(
            business, lambda: message_send(conversation=conversation, text=ATTACK, sent_by="Olga")
        )

        theirs = widget.locator(f'.msg.theirs[data-id="{reply.pk}"] .text')
        expect(theirs).to_have_text(ATTACK)
        expect(widget.locator(".typing")).to_be_hidden()
        assert widget.locator(".log img").count() == 0
        assert page.evaluate("window.__x8_attacked") is None

        page.reload()
        widget = page.locator("#x8-widget")
        expect(widget.locator(".panel")).to_be_visible()  # stays open in this tab
        expect(widget.locator(".msg[data-id] .text")).to_have_text(
            ["Do you have green tea?", ATTACK]
        )
        widget.locator("textarea").fill("Thanks!")
        widget.locator(".send").click()
        expect(widget.locator(".msg.mine:not(.pending) .text")).to_have_text(
            ["Do you have green tea?", "Thanks!"]
        )

    texts = staff(
        business,
        lambda: list(
            Message.objects.filter(channel_id=channel.pk)
            .order_by("id")
            .values_list("text", flat=True)
        ),
    )
    assert texts == ["Do you have green tea?", ATTACK, "Thanks!"]
    assert staff(business, Conversation.objects.filter(channel_id=channel.pk).count) == 1


def test_a_dropped_socket_catches_up_without_losing_or_repeating(shop_widget, shop_page):
    business, channel, _port = shop_widget
    sockets = []

    def keep(route):
        route.connect_to_server()
        sockets.append(route)

    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        page.route_web_socket(re.compile(r".*/ws/widget/.*"), keep)
        page.goto(shop_page)
        widget = page.locator("#x8-widget")
        widget.locator(".bubble").click()
        widget.locator("textarea").fill("Hello")
        widget.locator("textarea").press("Enter")
        expect(widget.locator(".msg.mine:not(.pending)")).to_have_count(1)
        conversation = staff(business, lambda: Conversation.objects.get(channel_id=channel.pk))
        assert sockets

        sockets[-1].close()  # the connection drops (a train enters a tunnel)
        expect(widget.locator(".status")).to_have_text("Connection lost. Reconnecting…")
        away = staff(
            business, lambda: message_send(conversation=conversation, text="While you were away")
        )

        theirs = widget.locator(".msg.theirs[data-id] .text")
        expect(theirs).to_have_text(["While you were away"])
        expect(widget.locator(".status")).to_be_hidden()
        assert len(sockets) >= 2, "a new socket"
        back = staff(business, lambda: message_send(conversation=conversation, text="Back online"))
        expect(theirs).to_have_text(["While you were away", "Back online"])
        ids = widget.locator(".msg[data-id]").evaluate_all(
            "items => items.map(item => item.getAttribute('data-id'))"
        )
        assert len(ids) == len(set(ids)) == 3
        assert {str(away.pk), str(back.pk)} <= set(ids)
