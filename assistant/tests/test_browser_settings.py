"""The assistant's settings, the test chat and the help panel in a real browser: the preview
answers with what is typed in the form before saving, the test chat keeps its conversation in
the page for a follow-up and starts over on Clear, and the help panel opens beside any page
and answers with a link to the article."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from conftest import chromium_page

pytestmark = pytest.mark.browser

PASSWORD = "Assistant-Pages-2026"


@pytest.fixture
def member(live_server):
    """A business of its own (a live server empties the public tables when it finishes)."""
    from accounts.models import Membership, User
    from helpdesk.services import help_articles_ensure
    from knowledge.models import Item, KnowledgeBase
    from tenants.companies.services import company_create
    from tenants.services import business_create

    help_articles_ensure()
    slug = f"ap-{secrets.token_hex(3)}"
    business = business_create(name="Tea House", slug=slug)
    with tenant_context(business):
        company = company_create(name="Tea House Shop", kind="product", shop_type="online")
        base = KnowledgeBase.objects.create(company=company, name="Teas")
        Item.objects.create(
            knowledge_base=base,
            name="Sencha Green Tea",
            sku="TEA-SEN-100",
            price=Decimal("450"),
            currency="RUB",
            category="Green tea",
            availability="in stock",
        )
    user = User.objects.create_user(email=f"{slug}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)
    yield business, company, user
    connection.set_schema_to_public()
    business.delete(force_drop=True)
    user.delete()


def test_preview_test_chat_and_help_panel(member, live_server, settings):
    from django.core.cache import cache
    from playwright.sync_api import expect

    from assistant.models import BehaviourSetting

    cache.clear()  # log-in rate limits from earlier runs
    business, _company, user = member
    with chromium_page(live_server, settings) as page:
        host = f"http://{business.slug}.localhost:{settings.SITE_PORT}"
        page.goto(f"{host}/accounts/login/?next=/")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=login]").fill(user.email)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{host}/")

        # The settings page, from the nav; the preview follows the unsaved greeting.
        page.get_by_test_id("nav-assistant").click()
        page.get_by_test_id("assistant-settings-link").click()
        page.locator("#id_greeting").fill("Welcome to the Tea House!")
        page.locator("#id_preview_text").fill("Hello")
        page.get_by_test_id("preview-button").click()
        expect(page.get_by_test_id("preview-reply")).to_contain_text("Welcome to the Tea House!")
        with tenant_context(business):
            assert not BehaviourSetting.objects.exists()
        connection.close()

        # A closing time before the opening time is refused on saving.
        page.locator("input[name=hours_mode][value=hours]").check()
        page.locator("#id_day_0_from").fill("18:00")
        page.locator("#id_day_0_to").fill("09:00")
        page.get_by_test_id("save-behaviour").click()
        expect(page.locator(".hours-error")).to_contain_text("closing time must be after")
        page.locator("#id_day_0_to").fill("20:00")
        page.get_by_test_id("save-behaviour").click()
        expect(page.locator(".messages")).to_contain_text("were saved")

        # The test chat: a question, then a follow-up that needs the first one.
        page.get_by_test_id("open-test-chat").click()
        page.locator("#id_text").fill("Do you have Sencha?")
        page.get_by_test_id("try-send").click()
        expect(page.get_by_test_id("try-reply")).to_have_count(1)
        expect(page.get_by_test_id("reply-item").first).to_contain_text("Sencha Green Tea")
        expect(page.locator("#id_text")).to_have_value("")
        page.locator("#id_text").fill("how much is it?")
        page.get_by_test_id("try-send").click()
        expect(page.get_by_test_id("try-reply")).to_have_count(2)
        expect(page.get_by_test_id("try-reply").nth(1)).to_contain_text("450")
        page.get_by_test_id("try-clear").click()
        expect(page.get_by_test_id("try-reply")).to_have_count(0)

        # The help panel opens beside the page and answers with a link to the article.
        page.get_by_test_id("help-toggle").click()
        panel = page.get_by_test_id("help-panel")
        expect(panel).to_be_visible()
        panel.locator("input[name=question]").fill("How do I connect WhatsApp?")
        panel.get_by_test_id("help-ask").click()
        expect(panel.get_by_test_id("help-reply")).to_contain_text("Linked devices")
        panel.get_by_test_id("help-article-link").click()
        expect(page.get_by_test_id("help-article")).to_contain_text("Reconnect (new QR code)")
        page.get_by_test_id("help-toggle").click()
        page.get_by_test_id("help-close").click()
        expect(page.get_by_test_id("help-panel")).to_have_count(0)
