"""Test set-up shared by every app: two businesses cloned once per session, clients per host."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Membership, User


def pytest_collection_modifyitems(config, items):
    # Browser tests use a live server, which empties the database when it finishes:
    # run them after everything else.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def _owner(email: str) -> User:
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email=email, password="pass-word-2026")


SESSION_BUSINESSES = (
    ("alpha", "Alpha Shop", "owner-a@example.com"),
    ("beta", "Beta Salon", "owner-b@example.com"),
)


def _session_businesses_ensure() -> None:
    """Businesses A and B (cloned from the template), their owners and a company each.

    Idempotent: a live-server test empties the public tables when it ends (the schemas stay),
    so fixtures of later tests call this again to make the rows anew over the same schemas.
    """
    from tenants.companies.models import Company
    from tenants.companies.services import company_create, company_delete
    from tenants.models import Business
    from tenants.services import business_create, public_tenant_ensure

    public_tenant_ensure()
    for slug, name, email in SESSION_BUSINESSES:
        business = Business.objects.filter(slug=slug).first()
        if business is None:
            business = business_create(name=name, slug=slug)
        with tenant_context(business):
            if not Company.objects.filter(name=f"{name} Main").exists():
                if slug == "beta":
                    # Give B company ids that A does not have, for cross-business probes.
                    for filler in ("Filler 1", "Filler 2"):
                        company_delete(
                            company=company_create(name=filler, kind="product", shop_type="online")
                        )
                company_create(name=f"{name} Main", kind="product", shop_type="online")
        Membership.objects.get_or_create(
            user=_owner(email), business=business, defaults={"role": Membership.Role.OWNER}
        )
    connection.set_schema_to_public()


def _session_business(slug: str):
    from tenants.models import Business

    business = Business.objects.filter(slug=slug).first()
    if business is None:
        _session_businesses_ensure()
        business = Business.objects.get(slug=slug)
    return business


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Create the public host and businesses A and B (by cloning the template) once."""
    with django_db_blocker.unblock():
        _session_businesses_ensure()


@pytest.fixture(scope="session", autouse=True)
def _database_pool_closed_at_the_end(django_db_setup):
    """Close the connection pools before the test database is dropped."""
    yield
    from django.db import connections

    for database in connections.all():
        if getattr(database, "pool", None) is not None:
            database.close_pool()


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    yield
    connection.set_schema_to_public()
    from channels_app.webhooks import _ROUTES

    _ROUTES.clear()  # connections cached by session name do not outlive their test
    from django.utils import translation

    translation.deactivate()  # a page rendered in Russian does not leave Russian on


def committed_session_fixtures():
    """``business_a``, ``business_b``, ``owner_a`` and ``owner_b`` without ``db``'s wrapping
    transaction, for modules whose code under test reads on connections of its own
    (consumers): ``business_a, business_b, owner_a, owner_b = committed_session_fixtures()``.
    """

    @pytest.fixture(name="business_a")
    def committed_business_a(committed_db):
        return _session_business("alpha")

    @pytest.fixture(name="business_b")
    def committed_business_b(committed_db):
        return _session_business("beta")

    @pytest.fixture(name="owner_a")
    def committed_owner_a(business_a):
        return User.objects.get(email="owner-a@example.com")

    @pytest.fixture(name="owner_b")
    def committed_owner_b(business_b):
        return User.objects.get(email="owner-b@example.com")

    return committed_business_a, committed_business_b, committed_owner_a, committed_owner_b


@pytest.fixture
def business_a(db):
    return _session_business("alpha")


@pytest.fixture
def business_b(db):
    return _session_business("beta")


@pytest.fixture
def owner_a(business_a):
    return User.objects.get(email="owner-a@example.com")


@pytest.fixture
def owner_b(business_b):
    return User.objects.get(email="owner-b@example.com")


def host_client(host: str, user: User | None = None) -> Client:
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def public_client(db) -> Client:
    return host_client("localhost")


@pytest.fixture
def portal_a(business_a, owner_a) -> Client:
    """Owner A logged in on business A's host."""
    return host_client("alpha.localhost", owner_a)


@pytest.fixture
def in_business_a(business_a):
    with tenant_context(business_a):
        yield business_a


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without a wrapping transaction, for tests that need real commits
    (concurrency, DDL). Unlike transactional_db it does not empty the database afterwards,
    so the tests clean up what they made themselves."""
    with django_db_blocker.unblock():
        # Never the development database, even in a run where no test asked for ``db``.
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        yield
        connection.set_schema_to_public()


@pytest.fixture
def celery_worker():
    """A real Celery worker process on the test broker (and the test database)."""
    from config.celery import app

    # The worker must use the test database that pytest created, not the development one.
    env = _subprocess_env()
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        cwd=Path(__file__).resolve().parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            assert worker.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not answer within 30 s"
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def _subprocess_env() -> dict[str, str]:
    """Environment of a process started by a test: the test database, queue and groups."""
    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_URL"] = _test_database_url(settings.DATABASES["default"])
    env["CELERY_TEST_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE
    env["CHANNEL_LAYER_PREFIX"] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    env["SITE_PORT"] = str(settings.SITE_PORT)
    return env


@pytest.fixture
def daphne_server(transactional_db, settings):
    """The product served by a real daphne process (HTTP and websockets) on a free port.

    Yields the port; pages are reached as ``http://<host>.localhost:<port>/``. The data a test
    writes is committed (transactional_db), so the server sees it.
    """
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SITE_PORT = port
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=Path(__file__).resolve().parent,
        env=_subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "daphne exited"
            assert time.monotonic() < deadline, "daphne did not listen within 30 s"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        settings.SITE_PORT = port
        yield port
    finally:
        server.terminate()
        server.wait(timeout=15)


def _test_database_url(database: dict) -> str:
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright, for browser tests (several contexts at will)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            from django.db import connections

            # ORM calls made while Playwright's loop runs get connections of their own;
            # close them, or the test database cannot be dropped at the end.
            connections.close_all()
            browser.close()


@contextlib.contextmanager
def chromium_page(live_server, settings, **context_options):
    """A page of Debian's Chromium (driven by Playwright) for a browser test on the live server.

    Links on the portal carry ``SITE_PORT``, so it is set to the live server's port.
    """
    settings.SITE_PORT = int(live_server.url.rsplit(":", 1)[1])
    with chromium() as browser:
        context = browser.new_context(**context_options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()


@contextlib.contextmanager
def page_elsewhere(html: str):
    """A web page served from another origin (a business's own website), for widget tests."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/catalog"
    finally:
        server.shutdown()


@pytest.fixture
def fake_waha(monkeypatch):
    """Every WAHA call of the product goes to an in-memory WAHA that speaks the contract."""
    from channels_app import services
    from channels_app.tests.fake_waha import FakeWaha

    waha = FakeWaha()
    client = waha.client()
    monkeypatch.setattr(services, "waha_client", lambda: client)
    return waha


@pytest.fixture
def whatsapp_channel(in_business_a):
    """A connected WhatsApp channel of company "Alpha Shop Main" (session "alpha-test")."""
    from channels_app.models import Channel
    from connections.models import Connection
    from tenants.companies.models import Company

    connection = Connection(
        business=in_business_a,
        platform=Connection.Platform.WHATSAPP,
        external_id="alpha-test",
        status=Connection.Status.CONNECTED,
        provider_status="WORKING",
        account_id="79000000000@c.us",
        account_name="Alpha Shop",
    )
    connection.secrets_set({"hmac_key": "alpha-hmac-key"})
    connection.save()
    company = Company.objects.get(name="Alpha Shop Main")
    return Channel.objects.create(company=company, connection=connection, platform="whatsapp")
