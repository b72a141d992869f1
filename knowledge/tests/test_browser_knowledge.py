"""A member imports a price list in a real browser, edits a price inline and exports it.

The import runs in a real Celery worker (the ``celery_worker`` fixture) against the test
database: with ``live_server`` everything the browser creates is committed, so the worker
sees the knowledge base and the import job.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from conftest import chromium_page

pytestmark = pytest.mark.browser

CATALOGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "catalogs"
SOURCE = CATALOGS / "rabotahorizont_price_ru.csv"  # 100 products, UTF-8, ";"-separated
PASSWORD = "Price-List-2026"
PROGRESS_URL = re.compile(r"/knowledge/imports/\d+/progress/$")

# One row of the file: SKU;Название товара;Категория;Цена, RUB;...
ITEM_SKU = "TST025"
ITEM_NAME = "Электрический чайник 1.7л"
ITEM_CATEGORY = "Техника"
ITEM_PRICE = "2300.00"
NEW_PRICE = "2150.00"


@pytest.fixture
def member(live_server):
    """A business of its own with one company, and its owner (who logs in with a password).

    Made here rather than taken from the session's businesses: a live server empties the
    public tables when it finishes, so an earlier browser test may have removed those.
    """
    from accounts.models import Membership, User
    from tenants.companies.services import company_create
    from tenants.services import business_create

    slug = f"kb-{secrets.token_hex(3)}"
    business = business_create(name="Horizon Goods", slug=slug)
    with tenant_context(business):
        company_create(name="Horizon Store", kind="product", shop_type="online")
    user = User.objects.create_user(email=f"{slug}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)
    yield business, user
    business.delete(force_drop=True)  # with its schema; the live server empties the rest
    user.delete()


@pytest.fixture
def browser_page(live_server, member, celery_worker, settings):
    """Chromium on the live server; it closes first, before the worker and the business go."""
    from django.core.cache import cache

    cache.clear()  # log-in rate limits from earlier runs

    with chromium_page(live_server, settings, accept_downloads=True) as page:
        yield page


@contextmanager
def _in_business(business, *, atomic: bool = False):
    """The business's schema for database work in the test's body.

    While Playwright's sync API is running, the body gets a database connection of its own
    (not the fixtures' one); it is closed at the end so it does not outlive the test and
    keep the test database from being dropped.
    """
    try:
        with tenant_context(business):
            if atomic:
                with transaction.atomic():
                    yield
            else:
                yield
    finally:
        connection.close()


@contextmanager
def _knowledge_base_held(business, pk: int):
    """Lock a knowledge base's row until the block ends.

    An import locks its knowledge base before it writes (one import per base at a time),
    so the worker starts the job, marks it running and then waits here: long enough for
    the page to show the running import and its progress.
    """
    from knowledge.models import KnowledgeBase

    with _in_business(business, atomic=True):
        KnowledgeBase.objects.select_for_update(no_key=True).get(pk=pk)
        yield


def _log_in(page, host: str, email: str) -> None:
    page.goto(f"{host}/accounts/login/?next=/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{host}/")


def _record_poll(response, polls: list) -> None:
    """Note each answer to the progress poll, with its HX-Refresh header."""
    if PROGRESS_URL.search(response.url):
        polls.append(response.headers.get("hx-refresh"))


def _source_header() -> list[str]:
    with SOURCE.open(encoding="utf-8-sig", newline="") as source:
        return next(csv.reader(source, delimiter=";"))


def test_upload_map_import_edit_a_price_and_export(browser_page, member, settings, tmp_path):
    from playwright.sync_api import expect

    from knowledge.models import ImportJob, Item, KnowledgeBase

    page = browser_page
    business, user = member
    host = f"http://{business.slug}.localhost:{settings.SITE_PORT}"
    _log_in(page, host, user.email)

    # Knowledge → New knowledge base → create it for the company → the upload page
    page.get_by_test_id("nav-knowledge").click()
    page.wait_for_url(f"{host}/knowledge/")
    page.get_by_test_id("new-knowledge-base").click()
    page.wait_for_url(f"{host}/knowledge/new/")
    page.select_option("select[name=company]", label="Horizon Store (COMP001)")
    page.fill("input[name=name]", "Horizon catalogue")
    page.get_by_test_id("knowledge-base-save").click()
    page.wait_for_url(re.compile(r"/knowledge/\d+/import/$"))
    base_id = int(re.search(r"/knowledge/(\d+)/import/$", page.url).group(1))

    # upload the file → the mapping step with its preview
    page.set_input_files("input[name=file]", SOURCE)
    page.get_by_test_id("upload").click()
    page.wait_for_url(re.compile(r"/knowledge/imports/\d+/$"))
    job_url = page.url
    expect(page.get_by_test_id("map-1")).to_have_value("name")  # Название товара
    expect(page.get_by_test_id("map-3")).to_have_value("price")  # Цена, RUB
    preview = page.get_by_test_id("preview-item")
    expect(preview.first).to_contain_text("Тестовый Гаджет X1")
    expect(preview.first).to_contain_text("TST001")
    expect(preview.first).to_contain_text("1499.00 RUB")

    # confirm: the worker imports while the page polls its progress (held before it
    # writes until the running state has been seen)
    status = page.get_by_test_id("import-status")
    polls: list = []
    page.on("response", lambda response: _record_poll(response, polls))
    with _knowledge_base_held(business, base_id):
        page.get_by_test_id("start-import").click()
        page.wait_for_url(job_url)
        expect(status).to_have_attribute("data-status", "running", timeout=60_000)
        expect(status).to_contain_text("Importing…")
        expect(status).to_contain_text("0 of about 100 rows read.")
        expect(page.get_by_test_id("import-progress")).to_have_attribute("value", "0")
        with page.expect_response(PROGRESS_URL) as poll:
            pass  # the page asks every second
        assert poll.value.ok
        assert poll.value.headers.get("hx-refresh") is None
        expect(status).to_have_attribute("data-status", "running")
    # once finished, the poll answers HX-Refresh and the page reloads with the report
    expect(page.get_by_test_id("created-count")).to_have_text("100", timeout=60_000)
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("import-result")).to_have_text("Imported")
    expect(page.get_by_test_id("updated-count")).to_have_text("0")
    expect(page.get_by_test_id("skipped-count")).to_have_text("0")
    assert "true" in polls, "no progress poll answered HX-Refresh"

    # the knowledge base: find the item, edit its price in its row
    page.get_by_test_id("open-knowledge-base").click()
    page.wait_for_url(f"{host}/knowledge/{base_id}/")
    expect(page.get_by_test_id("items-count")).to_contain_text("100 items")
    page.get_by_test_id("item-search").fill("чайник")
    expect(page.get_by_test_id("items-count")).to_contain_text("1 item found of 100")
    row = page.get_by_test_id("item-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("item-name")).to_have_text(ITEM_NAME)
    expect(row.get_by_test_id("item-price")).to_contain_text(f"{ITEM_PRICE} RUB")
    assert "q=" in page.url  # hx-push-url put the search in the address

    row.get_by_test_id("edit-item").click()
    editing = page.get_by_test_id("item-edit-row")
    price = editing.locator("input[name$='-price']")
    expect(price).to_have_value(ITEM_PRICE)
    price.fill(NEW_PRICE)
    editing.get_by_test_id("save-item").click()
    expect(editing).to_have_count(0)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("item-price")).to_contain_text(f"{NEW_PRICE} RUB")
    with _in_business(business):
        base = KnowledgeBase.objects.get(pk=base_id)
        assert base.items.count() == 100
        assert base.source_filename == SOURCE.name
        assert ImportJob.objects.get(knowledge_base=base).status == ImportJob.Status.SUCCEEDED
        item = Item.objects.get(knowledge_base=base, sku=ITEM_SKU)
        assert (item.price, item.price_text) == (Decimal(NEW_PRICE), NEW_PRICE)

    # export: the file's own headers first, and the edited price
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    header = _source_header()
    assert rows[0][: len(header)] == header
    assert len(rows) == 101
    by_sku = {line[0]: line for line in rows[1:]}
    assert by_sku[ITEM_SKU][1:4] == [ITEM_NAME, ITEM_CATEGORY, NEW_PRICE]
    assert by_sku["TST001"][1:4] == ["Тестовый Гаджет X1", "Электроника", "1499.00"]
