"""Connecting WhatsApp: session, QR, status, limits, disconnect, health checks, the pages."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from channels_app.services import (
    ChannelError,
    connection_status_apply,
    whatsapp_connect,
    whatsapp_disconnect,
    whatsapp_qr,
    whatsapp_reconnect,
)
from channels_app.tasks import health_check_task
from connections.models import Connection
from tenants.companies.models import Company


@pytest.fixture
def company(in_business_a):
    return Company.objects.get(name="Alpha Shop Main")


def test_connect_creates_a_signed_session_and_shows_its_qr(company, fake_waha, settings):
    settings.WAHA_WEBHOOK_URL = "https://x8.example/webhooks/waha/"

    channel = whatsapp_connect(company=company)

    connection = channel.connection
    assert (connection.status, connection.platform) == ("connecting", "whatsapp")
    assert connection.external_id.startswith("alpha-")
    assert fake_waha.paths() == ["POST /api/sessions"]
    config = fake_waha.calls[0][2]["config"]
    hook = config["webhooks"][0]
    assert hook["url"] == "https://x8.example/webhooks/waha/"
    assert set(hook["events"]) == {"message", "message.ack", "session.status"}
    assert hook["hmac"]["key"] == connection.secrets["hmac_key"]
    # WAHA repeats a webhook with its first timestamp: every retry must still be fresh.
    assert hook["retries"] == {"delaySeconds": 2, "attempts": 7, "policy": "exponential"}
    assert sum(2 * 2**n for n in range(7 - 1)) < settings.WAHA_WEBHOOK_MAX_AGE_SECONDS
    assert hook["hmac"]["key"] not in connection.secrets_encrypted, "stored encrypted"
    assert whatsapp_qr(channel=channel).data_url.startswith("data:image/png;base64,")


def test_the_trial_allows_one_channel_checked_on_the_server(company, fake_waha):
    whatsapp_connect(company=company)
    with pytest.raises(ChannelError) as caught:
        whatsapp_connect(company=company)
    assert caught.value.code == "limit"
    assert Channel.objects.count() == 1


def test_waha_down_keeps_nothing_and_says_so(company, fake_waha):
    fake_waha.down = True
    with pytest.raises(ChannelError) as caught:
        whatsapp_connect(company=company)
    assert "not reachable" in caught.value.message
    assert not Channel.objects.exists()
    assert not Connection.objects.filter(business__schema_name=db_connection.schema_name).exists()


def test_working_status_connects_and_a_qr_is_no_longer_shown(company, fake_waha):
    channel = whatsapp_connect(company=company)
    change = connection_status_apply(
        connection=channel.connection,
        provider_status="WORKING",
        account_id="79001234567@c.us",
        account_name="Green Shop",
    )
    assert change.changed
    connection = Connection.objects.get(pk=channel.connection_id)
    assert (connection.status, connection.account_id) == ("connected", "79001234567@c.us")
    assert connection.connected_at is not None
    channel.refresh_from_db()
    assert whatsapp_qr(channel=Channel.objects.get(pk=channel.pk)) is None


def test_disconnect_deletes_the_session_and_frees_the_slot(company, fake_waha):
    channel = whatsapp_connect(company=company)
    whatsapp_disconnect(channel=channel)

    assert "DELETE /api/sessions/" + channel.connection.external_id in fake_waha.paths()
    assert Connection.objects.get(pk=channel.connection_id).status == "disconnected"
    whatsapp_connect(company=company)  # the trial's one channel is free again


def test_reconnect_logs_out_and_starts_again_for_a_new_qr(company, fake_waha):
    channel = whatsapp_connect(company=company)
    connection_status_apply(connection=channel.connection, provider_status="FAILED")

    whatsapp_reconnect(channel=Channel.objects.get(pk=channel.pk))

    name = channel.connection.external_id
    assert fake_waha.paths()[-2:] == [
        f"POST /api/sessions/{name}/logout",
        f"POST /api/sessions/{name}/start",
    ]
    assert Connection.objects.get(pk=channel.connection_id).status == "connecting"


def test_a_failed_session_is_restarted_by_the_health_check(company, fake_waha, business_a):
    channel = whatsapp_connect(company=company)
    name = channel.connection.external_id
    fake_waha.sessions[name].update(
        status="FAILED", me={"id": "79001234567@c.us", "pushName": "Shop"}
    )
    db_connection.set_schema_to_public()

    assert health_check_task() >= 1

    with tenant_context(business_a):
        connection = Connection.objects.get(pk=channel.connection_id)
        assert connection.status == "error"
        assert f"POST /api/sessions/{name}/restart" in fake_waha.paths()
        kinds = list(connection.events.values_list("kind", "ok"))
        assert ("restart", True) in kinds
        # The next check finds it working again.
        health_check_task()
        assert Connection.objects.get(pk=channel.connection_id).status == "connected"


def test_a_health_check_that_cannot_reach_waha_is_recorded(company, fake_waha):
    channel = whatsapp_connect(company=company)
    fake_waha.down = True
    db_connection.set_schema_to_public()

    health_check_task()

    connection = Connection.objects.get(pk=channel.connection_id)
    assert connection.error_count == 1
    assert connection.events.filter(kind="check", ok=False).exists()


def test_secrets_never_reach_the_pages(portal_a, business_a, fake_waha):
    with tenant_context(business_a):
        channel = whatsapp_connect(company=Company.objects.get(name="Alpha Shop Main"))
        key = channel.connection.secrets["hmac_key"]
    for path in (f"/channels/{channel.pk}/", f"/companies/{channel.company_id}/channels/", "/"):
        body = portal_a.get(path).content.decode()
        assert key not in body


def test_the_channel_page_shows_the_qr_then_the_account(portal_a, business_a, fake_waha):
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
    response = portal_a.post(f"/companies/{company.pk}/channels/whatsapp/")
    assert response.status_code == 302
    page = portal_a.get(response["Location"]).content.decode()
    assert 'data-testid="whatsapp-qr"' in page

    with tenant_context(business_a):
        channel = Channel.objects.get()
        connection_status_apply(
            connection=channel.connection,
            provider_status="WORKING",
            account_id="79001234567@c.us",
            account_name="Green Shop",
        )
    status = portal_a.get(
        f"/channels/{channel.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="channel-status"
    ).content.decode()
    assert "Green Shop" in status and "<html" not in status
    assert "Connected" in portal_a.get("/").content.decode()

    again = portal_a.post(f"/companies/{company.pk}/channels/whatsapp/")
    assert again.status_code == 302
    assert "allows 1 connected channel" in portal_a.get(again["Location"]).content.decode()


def test_no_qr_while_the_session_is_still_starting(company, fake_waha):
    channel = whatsapp_connect(company=company)
    fake_waha.fail[f"GET /api/{channel.connection.external_id}/auth/qr"] = [422]
    assert whatsapp_qr(channel=channel) is None
