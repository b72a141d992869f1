"""SystemData: the connections of a manager's businesses, their secrets and reconnect."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from channels_app.tests.fake_waha import FakeWaha
from conftest import host_client
from connections.models import Connection
from managers.models import AccessLog
from managers.tests.admin_fixtures import (  # noqa: F401
    admin_client_,
    assigned,
    connection_a,
    connection_b,
    connection_make,
    manager,
    manager_client,
    other_manager,
    platform_admin,
)
from tenants.companies.models import Company

pytestmark = pytest.mark.django_db
LIST = "/admin/connections/connection/"


def _tools(connection: Connection) -> str:
    return f"{LIST}{connection.pk}/secrets/"


def _bind(connection: Connection, business, company_name: str) -> Channel:
    with tenant_context(business):
        company = Company.objects.get(name=company_name)
        return Channel.objects.create(
            company=company, connection=connection, platform=connection.platform
        )


@pytest.fixture
def whatsapp_a(business_a) -> Connection:
    """A connected WhatsApp channel of "Alpha Shop Main" with its webhook key."""
    connection = connection_make(
        business_a,
        platform=Connection.Platform.WHATSAPP,
        external_id="alpha-wa",
        secrets={"hmac_key": "alpha-hmac-key-0001"},
        provider_status="WORKING",
    )
    _bind(connection, business_a, "Alpha Shop Main")
    return connection


class WahaTakingConfig(FakeWaha):
    """The fake WAHA, also answering ``PUT /api/sessions/{name}`` (a session's new config)."""

    def _answer(self, method: str, path: str, body: dict | None) -> httpx.Response:
        parts = path.strip("/").split("/")
        if method == "PUT" and parts[:2] == ["api", "sessions"] and len(parts) == 3:
            session = self.sessions.get(parts[2])
            if session is None:
                return httpx.Response(404, json={"message": "Session not found"})
            session["config"] = body["config"]
            return httpx.Response(200, json={**session})
        return super()._answer(method, path, body)


@pytest.fixture
def waha(monkeypatch) -> WahaTakingConfig:
    from channels_app import services

    fake = WahaTakingConfig()
    client = fake.client()
    monkeypatch.setattr(services, "waha_client", lambda: client)
    return fake


# ----------------------------------------------------------------------------- the list


def test_the_list_shows_the_connections_of_assigned_businesses_with_company_and_errors(
    manager_client,  # noqa: F811
    business_a,
    connection_a,  # noqa: F811
    connection_b,  # noqa: F811
    whatsapp_a,
):
    from connections.models import ConnectionEvent

    _bind(connection_a, business_a, "Alpha Shop Main")
    for detail in ("unauthorized", "timeout", "timeout again"):
        ConnectionEvent.objects.create(
            connection=connection_a, kind="check", ok=False, detail=detail
        )
    ConnectionEvent.objects.create(connection=connection_a, kind="check", ok=True)

    page = manager_client.get(LIST)

    html = page.content.decode()
    assert page.status_code == 200
    assert "alpha-bot" in html and "alpha-wa" in html
    assert "beta-bot-hidden" not in html and "Beta Salon" not in html
    row = html.split("alpha-bot")[1].split("</tr>")[0]
    assert "Alpha Shop Main" in row  # the company, from the business's own schema
    assert "Telegram said: Unauthorized" in row
    assert '<td class="field-error_count">2</td>' in row  # errors in a row
    assert '<td class="field-failures">3</td>' in row  # failed events in all


def test_company_names_cost_one_query_per_business_not_per_connection(
    manager_client,  # noqa: F811
    business_a,
    connection_a,  # noqa: F811
):
    _bind(connection_a, business_a, "Alpha Shop Main")
    manager_client.get(LIST)  # warm up (sessions, content types)
    with CaptureQueriesContext(db_connection) as one:
        assert manager_client.get(LIST).status_code == 200
    for n in range(4):
        extra = connection_make(business_a, external_id=f"alpha-more-{n}", secrets={"k": "v"})
        _bind(extra, business_a, "Alpha Shop Main")
    with CaptureQueriesContext(db_connection) as five:
        html = manager_client.get(LIST).content.decode()
    assert html.count("Alpha Shop Main") >= 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_secrets_are_never_shown_in_the_list_the_form_or_the_history(
    manager_client,  # noqa: F811
    connection_a,  # noqa: F811
):
    pages = [
        manager_client.get(LIST),
        manager_client.get(f"{LIST}?q=alpha"),
        manager_client.get(f"{LIST}{connection_a.pk}/change/"),
        manager_client.get(f"{LIST}{connection_a.pk}/history/"),
        manager_client.get(_tools(connection_a)),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "alpha-token-0001" not in html and "alpha-webhook-secret" not in html
        assert connection_a.secrets_encrypted[:40] not in html
    form = pages[2].content.decode()
    assert "bot_token: ••••••••" in form and "webhook_secret: ••••••••" in form


def test_nothing_in_systemdata_is_added_edited_or_deleted_through_the_admin(
    manager_client,  # noqa: F811
    admin_client_,  # noqa: F811
    connection_a,  # noqa: F811
):
    for client in (manager_client, admin_client_):
        assert client.get(f"{LIST}add/").status_code == 403
        assert (
            client.post(f"{LIST}{connection_a.pk}/change/", {"external_id": "x"}).status_code == 403
        )
        assert client.post(f"{LIST}{connection_a.pk}/delete/", {"post": "yes"}).status_code == 403
    connection_a.refresh_from_db()
    assert connection_a.external_id == "alpha-bot"


# ----------------------------------------------------------------------------- reveal


def test_revealing_a_secret_shows_it_once_and_logs_who_what_when_without_the_value(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    connection_a,  # noqa: F811
):
    tools = manager_client.get(_tools(connection_a)).content.decode()
    assert "alpha-token-0001" not in tools

    page = manager_client.post(f"{LIST}{connection_a.pk}/secrets/reveal/", {"key": "bot_token"})

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("alpha-token-0001") == 1
    assert "alpha-webhook-secret" not in html  # only the one asked for
    assert "no-store" in page["Cache-Control"]
    entry = AccessLog.objects.get()
    assert (entry.user, entry.business_id, entry.action) == (
        manager,
        connection_a.business_id,
        AccessLog.Action.SECRET_REVEAL,
    )
    assert "bot_token" in entry.target and "alpha-token-0001" not in entry.target
    assert not LogEntry.objects.filter(change_message__contains="alpha-token-0001").exists()
    # The access log in the admin shows the reveal, never the value.
    admin_page = host_client("localhost", _superuser()).get("/admin/managers/accesslog/")
    assert "bot_token" in admin_page.content.decode()
    assert "alpha-token-0001" not in admin_page.content.decode()


def test_reveal_needs_a_post_with_a_csrf_token(manager, assigned, connection_a):  # noqa: F811
    client = host_client("localhost", manager)
    client.handler.enforce_csrf_checks = True
    url = f"{LIST}{connection_a.pk}/secrets/reveal/"

    assert client.get(url).status_code == 405
    assert client.post(url, {"key": "bot_token"}).status_code == 403
    assert not AccessLog.objects.exists()


def test_a_manager_cannot_reveal_or_replace_the_secrets_of_another_business(
    manager_client,  # noqa: F811
    connection_b,  # noqa: F811
):
    stored = connection_b.secrets_encrypted
    base = f"{LIST}{connection_b.pk}"
    assert manager_client.get(f"{base}/secrets/").status_code == 404
    assert manager_client.post(f"{base}/secrets/reveal/", {"key": "bot_token"}).status_code == 404
    replaced = manager_client.post(
        f"{base}/secrets/replace/", {"key": "bot_token", "value": "taken-over-0001"}
    )
    assert replaced.status_code == 404
    assert manager_client.post(f"{base}/reconnect/").status_code == 404
    connection_b.refresh_from_db()
    assert connection_b.secrets_encrypted == stored
    assert not AccessLog.objects.exists()


def test_an_unknown_secret_is_said_plainly_and_nothing_is_logged(
    manager_client,  # noqa: F811
    connection_a,  # noqa: F811
):
    page = manager_client.post(
        f"{LIST}{connection_a.pk}/secrets/reveal/", {"key": "nope"}, follow=True
    )
    assert "This connection has no secret named “nope”." in page.content.decode()
    assert not AccessLog.objects.exists()


# ----------------------------------------------------------------------------- replace


def test_replacing_a_token_stores_it_encrypted_and_logs_it_without_the_value(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    connection_a,  # noqa: F811
):
    before = connection_a.secrets_encrypted
    url = f"{LIST}{connection_a.pk}/secrets/replace/"
    form = manager_client.get(f"{url}?key=bot_token").content.decode()
    assert 'type="password"' in form and "alpha-token-0001" not in form

    page = manager_client.post(url, {"key": "bot_token", "value": "  fresh-token-2222  "})

    assert page.status_code == 302
    connection_a.refresh_from_db()
    assert connection_a.secrets_encrypted != before
    assert "fresh-token-2222" not in connection_a.secrets_encrypted
    assert connection_a.secrets == {
        "bot_token": "fresh-token-2222",
        "webhook_secret": "alpha-webhook-secret",
    }
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action) == (manager, AccessLog.Action.SECRET_REPLACE)
    assert "bot_token" in entry.target and "fresh-token" not in entry.target
    history = LogEntry.objects.get(object_id=str(connection_a.pk))
    assert "bot_token" in history.change_message
    assert "fresh-token" not in history.change_message
    shown = manager_client.get(f"{LIST}{connection_a.pk}/history/").content.decode()
    assert "Replaced the secret “bot_token”." in shown and "fresh-token" not in shown


def test_an_invalid_replacement_is_refused_with_422_and_the_value_is_not_echoed(
    manager_client,  # noqa: F811
    connection_a,  # noqa: F811
):
    before = connection_a.secrets_encrypted
    page = manager_client.post(
        f"{LIST}{connection_a.pk}/secrets/replace/", {"key": "other", "value": "secret-typed-9"}
    )
    assert page.status_code == 422
    assert "secret-typed-9" not in page.content.decode()
    connection_a.refresh_from_db()
    assert connection_a.secrets_encrypted == before
    assert not AccessLog.objects.exists()


def test_a_new_whatsapp_webhook_key_goes_to_waha_first(
    manager_client,  # noqa: F811
    whatsapp_a,
    waha,
):
    waha.sessions["alpha-wa"] = {"name": "alpha-wa", "status": "WORKING", "config": {}}

    manager_client.post(
        f"{LIST}{whatsapp_a.pk}/secrets/replace/", {"key": "hmac_key", "value": "new-hmac-4444"}
    )

    assert waha.paths() == ["PUT /api/sessions/alpha-wa"]
    hook = waha.sessions["alpha-wa"]["config"]["webhooks"][0]
    assert hook["hmac"] == {"key": "new-hmac-4444"}
    assert waha.sessions["alpha-wa"]["config"]["metadata"]["business"] == "alpha"
    whatsapp_a.refresh_from_db()
    assert whatsapp_a.secrets == {"hmac_key": "new-hmac-4444"}


def test_with_waha_down_the_webhook_key_is_kept_and_the_manager_is_told(
    manager_client,  # noqa: F811
    whatsapp_a,
    waha,
):
    waha.down = True

    page = manager_client.post(
        f"{LIST}{whatsapp_a.pk}/secrets/replace/", {"key": "hmac_key", "value": "new-hmac-4444"}
    )

    assert page.status_code == 422
    assert "not reachable right now, so the key was not replaced" in page.content.decode()
    whatsapp_a.refresh_from_db()
    assert whatsapp_a.secrets == {"hmac_key": "alpha-hmac-key-0001"}
    assert not AccessLog.objects.exists()


# ----------------------------------------------------------------------------- reconnect


def test_reconnect_starts_the_whatsapp_session_over_and_is_logged(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    whatsapp_a,
    fake_waha,
):
    fake_waha.sessions["alpha-wa"] = {"name": "alpha-wa", "status": "WORKING", "config": {}}

    page = manager_client.post(f"{LIST}{whatsapp_a.pk}/reconnect/", follow=True)

    assert "WhatsApp is starting the session over" in page.content.decode()
    assert fake_waha.paths() == [
        "POST /api/sessions/alpha-wa/logout",
        "POST /api/sessions/alpha-wa/start",
    ]
    whatsapp_a.refresh_from_db()
    assert (whatsapp_a.status, whatsapp_a.provider_status) == ("connecting", "STARTING")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action) == (manager, AccessLog.Action.RECONNECT)
    assert "alpha-wa" in entry.target and "failed" not in entry.target


def test_reconnect_with_waha_down_says_so_and_loses_nothing(
    manager_client,  # noqa: F811
    whatsapp_a,
    fake_waha,
):
    fake_waha.down = True

    page = manager_client.post(f"{LIST}{whatsapp_a.pk}/reconnect/", follow=True)

    assert page.status_code == 200
    assert "not reachable right now. Nothing was lost" in page.content.decode()
    whatsapp_a.refresh_from_db()
    assert (whatsapp_a.status, whatsapp_a.provider_status) == ("connected", "WORKING")
    assert whatsapp_a.secrets == {"hmac_key": "alpha-hmac-key-0001"}
    assert AccessLog.objects.get().target.endswith("· failed")


def test_only_whatsapp_connections_are_reconnected(
    manager_client,  # noqa: F811
    connection_a,  # noqa: F811
    fake_waha,
):
    page = manager_client.post(f"{LIST}{connection_a.pk}/reconnect/", follow=True)
    assert "Only WhatsApp connections can be reconnected from here." in page.content.decode()
    assert fake_waha.calls == []
    assert not AccessLog.objects.exists()


def _superuser():
    from accounts.models import User

    return User.objects.create_superuser(email="root-sd@example.com", password="x")
