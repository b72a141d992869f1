"""Portal pages: a company's channels, connecting WhatsApp by QR or pairing code, and
switching the web chat on."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.entitlements import BillingRestricted, entitlements_for
from connections.models import Connection, ConnectionEvent
from tenants.companies.models import Company
from webchat.services import webchat_enable, widget_snippet

from .models import Channel
from .services import (
    ChannelError,
    channels_in_use,
    current_business,
    whatsapp_connect,
    whatsapp_disconnect,
    whatsapp_pairing_code,
    whatsapp_qr,
    whatsapp_reconnect,
)


def _channel(pk: int) -> Channel:
    """A WhatsApp-style channel (the web chat has its own page, see ``webchat.views``)."""
    return get_object_or_404(
        Channel.objects.select_related("company", "connection").exclude(
            platform=Connection.Platform.WEBCHAT
        ),
        pk=pk,
    )


@require_GET
def company_channels(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    channels = company.channels.select_related("connection")
    business = current_business()
    ent = entitlements_for(business)
    used = channels_in_use(business)
    context = {
        "company": company,
        "channels": channels,
        "limit": ent.channels_allowed,
        "used": used,
        "can_connect": ent.may_connect_another(used),
    }
    webchat = next((c for c in channels if c.platform == Connection.Platform.WEBCHAT), None)
    if webchat is not None:
        context["webchat"] = webchat
        context["webchat_snippet"] = widget_snippet(key=webchat.connection.external_id)
    return render(request, "channels_app/company_channels.html", context)


@require_POST
def whatsapp_connect_view(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    try:
        channel = whatsapp_connect(company=company)
    except ChannelError as error:
        messages.error(request, error.message)
        return redirect("company_channels", pk=company.pk)
    return redirect("channel_detail", pk=channel.pk)


def _status_context(channel: Channel) -> dict:
    context: dict = {"channel": channel, "connection": channel.connection}
    if channel.connection.status == Connection.Status.CONNECTING:
        try:
            qr = whatsapp_qr(channel=channel)
        except ChannelError as error:
            context["provider_error"] = error.message
        else:
            if qr is not None:
                context["qr_src"] = qr.data_url
    return context


@require_POST
def webchat_enable_view(request, pk: int):
    """Switch the company's web chat on (no account to link) and open its settings."""
    company = get_object_or_404(Company, pk=pk)
    try:
        channel = webchat_enable(company=company)
    except BillingRestricted as error:
        messages.error(request, error.message)
        return redirect("company_channels", pk=company.pk)
    messages.success(
        request, _("Web chat is on. Put the snippet into your website's pages to show it.")
    )
    return redirect("webchat_settings", pk=channel.pk)


@require_GET
def channel_detail(request, pk: int):
    if Channel.objects.filter(pk=pk, platform=Connection.Platform.WEBCHAT).exists():
        return redirect("webchat_settings", pk=pk)
    channel = _channel(pk)
    context = _status_context(channel)
    context["events"] = ConnectionEvent.objects.filter(connection=channel.connection)[:10]
    if request.htmx and request.htmx.target == "channel-status":
        return render(request, "channels_app/channel_detail.html#status", context)
    return render(request, "channels_app/channel_detail.html", context)


@require_POST
def channel_pairing_code(request, pk: int):
    channel = _channel(pk)
    try:
        code = whatsapp_pairing_code(channel=channel, phone=request.POST.get("phone", ""))
    except ChannelError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("On the phone: WhatsApp → Linked devices → Link with phone number, enter %(code)s.")
            % {"code": code},
        )
    return redirect("channel_detail", pk=pk)


@require_POST
def channel_reconnect(request, pk: int):
    channel = _channel(pk)
    try:
        whatsapp_reconnect(channel=channel)
    except ChannelError as error:
        messages.error(request, error.message)
    return redirect("channel_detail", pk=pk)


@require_http_methods(["GET", "POST"])
def channel_disconnect(request, pk: int):
    channel = _channel(pk)
    if request.method == "POST":
        try:
            whatsapp_disconnect(channel=channel)
        except ChannelError as error:
            messages.error(request, error.message)
            return redirect("channel_detail", pk=pk)
        messages.success(request, _("WhatsApp was disconnected."))
        return redirect("company_channels", pk=channel.company_id)
    return render(request, "channels_app/channel_confirm_disconnect.html", {"channel": channel})
