"""Switching the web chat on from a company's Channels page, its snippet and its settings."""

from __future__ import annotations

import html
import re

from django_tenants.utils import tenant_context

from channels_app.models import Channel
from channels_app.services import channel_limit, channels_in_use, whatsapp_connect
from connections.models import Connection
from tenants.companies.models import Company
from webchat.models import WidgetSettings
from webchat.services import webchat_enable

from .conftest import SHOP, Api


def _company(business) -> Company:
    with tenant_context(business):
        return Company.objects.get(name="Alpha Shop Main")


def test_enabling_web_chat_needs_no_account_and_shows_the_snippet(portal_a, business_a):
    company = _company(business_a)
    page = portal_a.get(f"/companies/{company.pk}/channels/")
    assert 'data-testid="enable-webchat"' in page.content.decode()

    response = portal_a.post(f"/companies/{company.pk}/channels/webchat/")

    connection = Connection.objects.get(business=business_a, platform="webchat")
    assert connection.status == Connection.Status.CONNECTED
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", connection.external_id)
    with tenant_context(business_a):
        channel = Channel.objects.get(connection_id=connection.pk)
        assert (channel.company_id, channel.platform) == (company.pk, "webchat")
        widget = WidgetSettings.objects.get(channel=channel)
        assert (widget.enabled, widget.title, widget.allowed_origins) == (
            True,
            "Alpha Shop Main",
            [],
        )
    assert response.status_code == 302
    assert response["Location"] == f"/channels/{channel.pk}/webchat/"
    snippet = (
        f'<script src="http://localhost:8000/widget.js" data-key="{connection.external_id}" '
        "async></script>"
    )
    channels_page = html.unescape(
        portal_a.get(f"/companies/{company.pk}/channels/").content.decode()
    )
    assert snippet in channels_page
    assert 'data-testid="webchat-copy"' in channels_page
    settings_page = html.unescape(portal_a.get(response["Location"]).content.decode())
    assert snippet in settings_page


def test_the_snippet_follows_the_configured_public_host(portal_a, business_a, settings):
    settings.SITE_SCHEME, settings.SITE_DOMAIN, settings.SITE_PORT = "https", "x8.example", 443
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    page = html.unescape(portal_a.get(f"/channels/{channel.pk}/webchat/").content.decode())

    assert (
        f'<script src="https://x8.example/widget.js" data-key="{channel.connection.external_id}"'
        in page
    )


def test_enabling_twice_keeps_one_channel(business_a):
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
        first = webchat_enable(company=company)
        again = webchat_enable(company=company)
        assert first.pk == again.pk
        assert Channel.objects.filter(platform="webchat").count() == 1
    assert Connection.objects.filter(business=business_a, platform="webchat").count() == 1


def test_web_chat_does_not_count_against_the_trials_channel_limit(in_business_a, fake_waha):
    company = Company.objects.get(name="Alpha Shop Main")
    assert channel_limit(in_business_a) == 1

    webchat_enable(company=company)
    assert channels_in_use(in_business_a) == 0
    whatsapp = whatsapp_connect(company=company)  # the trial's one messaging account

    assert whatsapp.platform == "whatsapp"
    assert channels_in_use(in_business_a) == 1


def test_the_channels_page_counts_only_messaging_accounts(portal_a, business_a):
    company = _company(business_a)
    portal_a.post(f"/companies/{company.pk}/channels/webchat/")

    page = portal_a.get(f"/companies/{company.pk}/channels/").content.decode()

    assert "0 of 1 channels of your plan are in use." in page
    assert 'data-testid="connect-whatsapp" disabled' not in page


def test_the_whatsapp_pages_send_a_web_chat_to_its_own_page(portal_a, business_a):
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    detail = portal_a.get(f"/channels/{channel.pk}/")
    disconnect = portal_a.post(f"/channels/{channel.pk}/disconnect/")

    assert detail.status_code == 302
    assert detail["Location"] == f"/channels/{channel.pk}/webchat/"
    assert disconnect.status_code == 404  # never sent to WAHA


def test_settings_are_saved_with_websites_normalised(portal_a, business_a):
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    response = portal_a.post(
        f"/channels/{channel.pk}/webchat/",
        {
            "enabled": "on",
            "title": "Ask us",
            "greeting": "Hi! <b>Welcome</b>",
            "accent_color": "#0F7B45",
            "allowed_origins": "https://SHOP.example:443/\n\nhttps://*.brand.example\nhttps://shop.example",
        },
    )

    assert response.status_code == 302
    with tenant_context(business_a):
        widget = WidgetSettings.objects.get(channel=channel)
    assert (widget.title, widget.greeting, widget.accent_color) == (
        "Ask us",
        "Hi! <b>Welcome</b>",
        "#0F7B45",
    )
    assert widget.allowed_origins == ["https://shop.example", "https://*.brand.example"]
    page = portal_a.get(f"/channels/{channel.pk}/webchat/").content.decode()
    assert "https://shop.example\nhttps://*.brand.example" in page
    assert "<b>Welcome</b>" not in page  # escaped in the form


def test_wrong_settings_are_shown_with_422_and_nothing_changes(portal_a, business_a):
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    response = portal_a.post(
        f"/channels/{channel.pk}/webchat/",
        {
            "enabled": "on",
            "title": "",
            "greeting": "",
            "accent_color": "red",
            "allowed_origins": "shop.example\nhttps://ok.example/path",
        },
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Not a website address: shop.example, https://ok.example/path" in page
    assert "A colour like #4f46e5." in page
    with tenant_context(business_a):
        widget = WidgetSettings.objects.get(channel=channel)
    assert (widget.title, widget.allowed_origins) == ("Alpha Shop Main", [])


def test_switching_the_widget_off_takes_it_off_every_website(portal_a, public_client, business_a):
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))
    key = channel.connection.external_id
    assert Api(public_client, key).post("session", {}).status_code == 201

    portal_a.post(
        f"/channels/{channel.pk}/webchat/",
        {"title": "Alpha", "greeting": "", "accent_color": "#4f46e5", "allowed_origins": ""},
    )

    assert Connection.objects.get(external_id=key).status == Connection.Status.DISCONNECTED
    assert Api(public_client, key).post("session", {}).status_code == 404
    channels_page = portal_a.get(f"/companies/{channel.company_id}/channels/").content.decode()
    assert 'data-testid="webchat-status">Off' in channels_page
    # and on again from the Channels page
    portal_a.post(f"/companies/{channel.company_id}/channels/webchat/")
    assert Api(public_client, key, origin=SHOP).post("session", {}).status_code == 201


def test_another_business_cannot_open_the_settings(business_a, business_b, owner_b):
    from conftest import host_client

    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    stranger = host_client("alpha.localhost", owner_b)
    assert stranger.get(f"/channels/{channel.pk}/webchat/").status_code == 404
    own_host = host_client("beta.localhost", owner_b)
    assert own_host.get(f"/channels/{channel.pk}/webchat/").status_code == 404


def test_the_snippet_help_shows_the_body_tag_as_text(portal_a, business_a):
    with tenant_context(business_a):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))

    page = portal_a.get(f"/channels/{channel.pk}/webchat/").content.decode()

    assert "before &lt;/body&gt;:" in page
