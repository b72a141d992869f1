"""A person signs up in a real browser and lands in their own portal."""

import os
import re
import secrets

import pytest
from django.core import mail

from conftest import chromium_page

pytestmark = pytest.mark.browser

@pytest.fixture
def browser_page(live_server, settings):
    from django.core.cache import cache

    from tenants.services import public_tenant_ensure

    cache.clear()  # sign-up code rate limits from earlier runs
    # Another browser test's live server may have flushed the public host's records.
    public_tenant_ensure()

    with chromium_page(live_server, settings) as page:
        yield page


def test_sign_up_create_a_company_and_log_out(browser_page, live_server, settings):
    page = browser_page
    slug = f"bakery-{secrets.token_hex(3)}"
    port = settings.SITE_PORT

    page.goto(f"{live_server.url}/")
    page.get_by_test_id("start-trial").click()
    page.fill("input[name=email]", "baker@example.com")
    page.get_by_test_id("signup-email-submit").click()

    page.wait_for_url(re.compile(r"/signup/code/$"))
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("input[name=code]", code)
    page.get_by_test_id("signup-code-submit").click()

    page.wait_for_url(re.compile(r"/signup/finish/$"))
    page.fill("input[name=business_name]", "Browser Bakery")
    page.fill("input[name=slug]", slug)
    page.wait_for_selector("#slug-check.ok")
    page.fill("input[name=password1]", "Crusty-Loaf-2026")
    page.fill("input[name=password2]", "Crusty-Loaf-2026")
    page.get_by_test_id("signup-finish-submit").click()

    # landed, logged in, on the business's own host
    page.wait_for_url(f"http://{slug}.localhost:{port}/")
    assert page.get_by_test_id("business-name").inner_text() == "Browser Bakery"
    assert "7 days" in page.get_by_test_id("trial-banner").inner_text()

    page.get_by_test_id("new-company").click()
    page.get_by_test_id("company-save").click()  # nothing filled in: the form says why
    page.wait_for_selector("#company-form .error")
    assert "This field is required." in page.locator("#company-form").inner_text()
    page.fill("input[name=name]", "Sourdough Corner")
    page.select_option("select[name=kind]", "product")
    page.get_by_test_id("company-save").click()
    page.wait_for_url(f"http://{slug}.localhost:{port}/")
    card = page.get_by_test_id("company-card")
    assert card.count() == 1
    assert "Sourdough Corner" in card.inner_text()
    assert "COMP001" in card.inner_text()
    page.screenshot(path=os.environ.get("X8_SCREENSHOT", "/tmp/x8-dashboard.png"), full_page=True)

    page.get_by_test_id("logout").click()
    page.goto(f"http://{slug}.localhost:{port}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.locator("input[name=password]").count() == 1
