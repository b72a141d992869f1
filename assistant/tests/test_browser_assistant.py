"""The assistant in a real browser: a visitor on the shop's website asks the price of a real
item of the shop's price list and gets it, then asks for a person, and the staff's inbox shows
the conversation waiting for one. Real daphne, real worker, real widget."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from conftest import chromium, page_elsewhere

pytestmark = pytest.mark.browser

PASSWORD = "Assistant-2026"
CATALOG = "shopify_packt_home_garden_export.csv"


@pytest.fixture
def fast_turns(monkeypatch):
    """Short burst window in every process (set before daphne and the worker start)."""
    monkeypatch.setenv("CONVERSATION_BURST_SECONDS", "0.3")


@pytest.fixture
def shop(fast_turns, daphne_server, request):
    from accounts.models import Membership, User
    from knowledge.models import ImportJob
    from knowledge.services import import_confirm, import_upload, knowledge_base_create
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure
    from webchat.services import webchat_enable

    public_tenant_ensure()
    slug = f"as-{secrets.token_hex(3)}"
    business = business_create(name="Green Home", slug=slug)
    with tenant_context(business):
        company = company_create(name="Green Home Store", kind="product", shop_type="online")
        base = knowledge_base_create(company=company, name="Home and garden")
        path = Path(django_settings.DEMO_CATALOGS_DIR) / CATALOG
        job = import_upload(
            knowledge_base=base,
            upload=SimpleUploadedFile(CATALOG, path.read_bytes()),
            user_email="owner@example.com",
        )
        import_confirm(
            job=job,
            sheet=job.sheet,
            header_row=job.header_row,
            mode=ImportJob.Mode.REPLACE,
            mapping={int(i): field or None for i, field in job.mapping.items()},
            background=False,
        )
        item = base.items.exclude(price=None).order_by("position").first()
        key = webchat_enable(company=company).connection.external_id
    user = User.objects.create_user(email=f"{slug}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)
    request.getfixturevalue("celery_worker")
    yield business, item, key, user, f"http://{slug}.localhost:{daphne_server}", daphne_server
    connection.set_schema_to_public()
    business.delete(force_drop=True)
    user.delete()


def test_a_visitor_gets_a_real_price_then_a_person(shop):
    _business, item, key, user, base, port = shop
    price = f"{item.price:.2f}"
    with (
        page_elsewhere(
            "<!DOCTYPE html><html><body><h1>Green Home</h1>"
            f'<script src="http://localhost:{port}/widget.js" data-key="{key}" async></script>'
            "</body></html>"
        ) as shop_url,
        chromium() as browser,
    ):
        visitor = browser.new_context().new_page()
        visitor.set_default_timeout(20_000)
        visitor.goto(shop_url)
        widget = visitor.locator("#x8-widget")
        widget.locator(".bubble").click()
        widget.locator("textarea").fill(f"How much is the {item.name}?")
        widget.locator("textarea").press("Enter")
        answer = widget.locator(".msg.theirs[data-id] .text").first
        expect(answer).to_contain_text(item.name, timeout=20_000)
        expect(answer).to_contain_text(re.compile(re.escape(price).replace(r"\.", r"[.,]")))

        widget.locator("textarea").fill("I want to talk to a human, please")
        widget.locator("textarea").press("Enter")
        expect(widget.locator(".msg.theirs[data-id] .text")).to_have_count(2)
        expect(widget.locator(".msg.theirs[data-id] .text").last).to_contain_text(
            re.compile("person|colleague|manager", re.I)
        )

        operator = browser.new_context().new_page()
        operator.set_default_timeout(15_000)
        operator.goto(f"{base}/accounts/login/?next=/conversations/")
        form = operator.locator("form:has(input[name=password])")
        form.locator("input[name=login]").fill(user.email)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        operator.wait_for_url(f"{base}/conversations/")
        row = operator.get_by_test_id("conversation-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-status", "pending")
        expect(row).to_contain_text("Waiting for a person")
