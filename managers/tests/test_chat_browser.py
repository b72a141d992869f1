"""The chat between a business and its manager in two real browsers on a real daphne: the
owner in the portal, the manager in the admin, each seeing the other's messages, the unread
count and the read receipts without a reload."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection
from playwright.sync_api import expect

from conftest import chromium

pytestmark = pytest.mark.browser

PASSWORD = "Manager-Chat-2026"


@pytest.fixture
def chat_pair(daphne_server):
    """A business with its owner, and its assigned manager; removed afterwards."""
    from accounts.models import Membership, User
    from managers.models import Assignment
    from tenants.services import business_create, public_tenant_ensure

    public_tenant_ensure()
    slug = f"chat-{secrets.token_hex(3)}"
    business = business_create(name="Chat Tea", slug=slug)
    owner = User.objects.create_user(
        email=f"{slug}-owner@example.com", password=PASSWORD, full_name="Olga Owner"
    )
    Membership.objects.create(user=owner, business=business, role=Membership.Role.OWNER)
    manager = User.objects.create_user(
        email=f"{slug}-manager@example.com",
        password=PASSWORD,
        full_name="Maria Manager",
        platform_role="manager",
        is_staff=True,
    )
    Assignment.objects.create(business=business, manager=manager)
    yield business, owner, manager, daphne_server
    connection.set_schema_to_public()
    business.delete(force_drop=True)
    owner.delete()
    manager.delete()


def _live(page) -> None:
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")


def test_an_owner_and_their_manager_chat_live(chat_pair):
    business, owner, manager, port = chat_pair
    portal = f"http://{business.slug}.localhost:{port}"
    public = f"http://localhost:{port}"

    with chromium() as browser:
        owner_page = browser.new_context().new_page()
        manager_page = browser.new_context().new_page()
        for page in (owner_page, manager_page):
            page.set_default_timeout(15_000)

        owner_page.goto(f"{portal}/accounts/login/?next=/manager/")
        form = owner_page.locator("form:has(input[name=password])")
        form.locator("input[name=login]").fill(owner.email)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        owner_page.wait_for_url(f"{portal}/manager/")
        expect(owner_page.get_by_test_id("manager-name")).to_contain_text("Maria Manager")
        _live(owner_page)

        manager_page.goto(f"{public}/admin/login/?next=/admin/x8/chat/")
        manager_page.locator("input[name=username]").fill(manager.email)
        manager_page.locator("input[name=password]").fill(PASSWORD)
        manager_page.locator("input[type=submit]").click()
        manager_page.wait_for_url(f"{public}/admin/x8/chat/")
        _live(manager_page)
        expect(manager_page.get_by_test_id("chat-row")).to_have_count(1)

        # The owner writes: the manager's list counts it, without a reload.
        manager_page.evaluate("window.notReloaded = true")
        owner_page.get_by_label("Message").fill("Hello, is my WhatsApp set up right?")
        owner_page.get_by_test_id("chat-send").click()
        expect(owner_page.get_by_test_id("chat-message-mine")).to_have_count(1)
        expect(manager_page.get_by_test_id("chat-unread")).to_have_text("1")
        assert manager_page.evaluate("window.notReloaded") is True

        # The manager opens the chat: the owner sees the message read.
        manager_page.get_by_role("link", name="Chat Tea").click()
        manager_page.wait_for_url(f"{public}/admin/x8/chat/{business.pk}/")
        _live(manager_page)
        expect(manager_page.get_by_test_id("chat-message-theirs")).to_contain_text(
            "is my WhatsApp set up right?"
        )
        expect(owner_page.get_by_test_id("chat-read-state")).to_have_text("Read", timeout=15_000)

        # The manager answers: it arrives in the open portal page, and is read there.
        owner_page.evaluate("window.notReloaded = true")
        manager_page.get_by_label("Message").fill("Yes, it is connected & working.")
        manager_page.get_by_test_id("chat-send").click()
        expect(owner_page.get_by_test_id("chat-message-theirs")).to_contain_text(
            "Yes, it is connected & working."
        )
        assert owner_page.evaluate("window.notReloaded") is True
        expect(manager_page.get_by_test_id("chat-message-mine")).to_have_count(1)
        expect(manager_page.get_by_test_id("chat-read-state")).to_have_text("Read", timeout=15_000)

        # An empty message is refused, saying why.
        manager_page.get_by_label("Message").fill("   ")
        manager_page.get_by_test_id("chat-send").click()
        expect(manager_page.get_by_test_id("chat-error")).to_contain_text("Write a message first.")
