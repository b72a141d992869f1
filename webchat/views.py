"""The web chat's public endpoints (widget script, visitor API, demo page) and its portal page.

The visitor API lives on the public host and answers pages of other websites: no session
and no CSRF token (a visitor is their signed token), CORS only for the widget's allowed
origins. Every answer is JSON, errors included, so the widget can tell a visitor why.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from connections.models import Connection

from . import services
from .demo import DEMO_WIDGET_KEY, demo_items
from .forms import WidgetSettingsForm
from .services import WebchatError, WebchatErrorCode

ERROR_STATUS = {
    WebchatErrorCode.NOT_FOUND: 404,
    WebchatErrorCode.ORIGIN_NOT_ALLOWED: 403,
    WebchatErrorCode.BAD_TOKEN: 403,
    WebchatErrorCode.BAD_REQUEST: 400,
    WebchatErrorCode.EMPTY: 400,
    WebchatErrorCode.TOO_LONG: 413,
    WebchatErrorCode.RATE_LIMITED: 429,
}
#: Browsers may reuse a preflight answer this long (seconds).
PREFLIGHT_MAX_AGE = 600
#: The widget script is not fingerprinted (its URL is in the businesses' pages), so browsers
#: keep it briefly and then revalidate it by ETag.
SCRIPT_MAX_AGE = 300


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    response["Vary"] = "Origin"
    return response


def _error(error: WebchatError, origin: str | None = None) -> JsonResponse:
    body = {"error": {"code": str(error.code), "message": error.message}}
    if error.retry_after:
        body["error"]["retry_after"] = error.retry_after
    response = JsonResponse(body, status=ERROR_STATUS[error.code])
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return _cors(response, origin)


def widget_api(*methods: str):
    """A visitor API view: the widget of the URL's key (404 when unknown or disabled), the
    caller's origin checked against the widget's (403), preflight answered, CORS set."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request, key: str):
            origin = request.headers.get("Origin")
            try:
                widget = services.widget_get(key=key)
            except WebchatError as error:
                # Readable by the widget, which then stays hidden; it tells nothing else.
                return _error(error, origin)
            if not services.origin_allowed(widget_settings=widget.settings, origin=origin):
                return _error(
                    WebchatError(
                        WebchatErrorCode.ORIGIN_NOT_ALLOWED,
                        _("This chat does not run on this website."),
                    )
                )
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = ", ".join([*methods, "OPTIONS"])
                response["Access-Control-Allow-Headers"] = "Content-Type"
                response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
                return _cors(response, origin)
            if request.method not in methods:
                response = JsonResponse(
                    {"error": {"code": "method_not_allowed", "message": request.method}},
                    status=405,
                )
                response["Allow"] = ", ".join([*methods, "OPTIONS"])
                return _cors(response, origin)
            try:
                response = view(request, widget)
            except WebchatError as error:
                return _error(error, origin)
            return _cors(response, origin)

        return wrapped

    return decorator


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise WebchatError(WebchatErrorCode.BAD_REQUEST, _("The request could not be read.")) from (
            error
        )
    if not isinstance(data, dict):
        raise WebchatError(WebchatErrorCode.BAD_REQUEST, _("The request could not be read."))
    return data


def widget_strings() -> dict[str, str]:
    """The widget's words in the visitor's language (from the browser's Accept-Language)."""
    return {
        "open": _("Open the chat"),
        "close": _("Close the chat"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "typing": _("typing…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "unavailable": _("The chat is not available right now."),
        "not_sent": _("Not sent. Tap to try again."),
        "sending": _("Sending…"),
        "attachment": _("Attachment"),
        "empty": _("Write a message first."),
        "too_long": _("The message is too long: at most %(max)s characters.")
        % {"max": settings.MESSAGE_MAX_CHARS},
        "rate_limited": _("You are sending messages too fast. Please wait a moment."),
    }


@widget_api("POST")
def session_view(request, widget: services.Widget):
    """Start a visitor session, or keep the one the widget's stored token belongs to."""
    data = _body(request)
    session = services.visitor_session(
        widget=widget, token=data.get("token"), page=data.get("page"), ip=_client_ip(request)
    )
    return JsonResponse(
        {
            "token": session.token,
            "created": session.created,
            "max_chars": settings.MESSAGE_MAX_CHARS,
            "widget": {
                "title": widget.settings.title,
                "greeting": widget.settings.greeting,
                "accent_color": widget.settings.accent_color,
            },
            "strings": widget_strings(),
        },
        status=201 if session.created else 200,
    )


@widget_api("GET", "POST")
def messages_view(request, widget: services.Widget):
    """GET: the visitor's conversation (``after`` the last message id the widget has).
    POST: a visitor's message (``token``, ``text``, ``client_id``)."""
    if request.method == "GET":
        visitor = services.visitor_token_read(widget=widget, token=request.GET.get("token"))
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError as error:
            raise WebchatError(
                WebchatErrorCode.BAD_REQUEST, _("The request could not be read.")
            ) from error
        messages = services.visitor_messages(widget=widget, visitor=visitor, after=max(after, 0))
        return JsonResponse({"messages": messages})
    data = _body(request)
    visitor = services.visitor_token_read(widget=widget, token=data.get("token"))
    sent = services.visitor_message_send(
        widget=widget,
        visitor=visitor,
        text=data.get("text"),
        client_id=data.get("client_id"),
        ip=_client_ip(request),
    )
    return JsonResponse(
        {"message": sent.message, "created": sent.created}, status=201 if sent.created else 200
    )


@functools.lru_cache(maxsize=2)
def _script(path: str, mtime: float) -> tuple[bytes, str]:
    content = Path(path).read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _script_path() -> str:
    found = finders.find("widget/widget.js")
    if not found:
        raise FileNotFoundError("static/widget/widget.js is missing")
    return found


@require_GET
def widget_script(request):
    """The widget (``static/widget/widget.js``) at a stable address for the snippet."""
    path = _script_path()
    content, etag = _script(path, Path(path).stat().st_mtime)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    # Pages that isolate themselves (COEP) may still load it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def demo_page(request):
    """A sample shop page of the demo business with its web chat, as a customer sees it."""
    connection = (
        Connection.objects.select_related("business")
        .filter(platform=Connection.Platform.WEBCHAT, external_id=DEMO_WIDGET_KEY)
        .first()
    )
    if connection is None:
        return render(request, "webchat/demo_missing.html", status=404)
    with tenant_context(connection.business):
        channel = (
            Channel.objects.select_related("company", "widget")
            .filter(connection_id=connection.pk)
            .first()
        )
        if channel is None:
            return render(request, "webchat/demo_missing.html", status=404)
        items = demo_items(company=channel.company)
    context = {
        "company": channel.company,
        "items": items,
        # The page and its widget come from the host that served it, whatever it is called.
        "script_url": request.build_absolute_uri("/widget.js"),
        "key": connection.external_id,
        "inbox_url": connection.business.portal_url("/conversations/"),
        "enabled": connection.status == Connection.Status.CONNECTED
        and getattr(channel, "widget", None) is not None
        and channel.widget.enabled,
    }
    return render(request, "webchat/demo.html", context)


# Portal -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def widget_settings_view(request, pk: int):
    """A web chat channel's page in the portal: its snippet and its settings."""
    channel = get_object_or_404(
        Channel.objects.select_related("company", "connection", "widget"),
        pk=pk,
        platform=Connection.Platform.WEBCHAT,
    )
    widget_settings = getattr(channel, "widget", None)
    if widget_settings is None:
        channel = services.webchat_enable(company=channel.company)
        widget_settings = channel.widget
    status = 200
    if request.method == "POST":
        form = WidgetSettingsForm(request.POST, instance=widget_settings)
        if form.is_valid():
            services.widget_settings_update(widget_settings=widget_settings, **form.cleaned_data)
            messages.success(request, _("Web chat settings saved."))
            return redirect("webchat_settings", pk=channel.pk)
        status = 422
    else:
        form = WidgetSettingsForm(instance=widget_settings)
    context = {
        "channel": channel,
        "widget": widget_settings,
        "form": form,
        "snippet": services.widget_snippet(key=channel.connection.external_id),
    }
    return render(request, "webchat/settings.html", context, status=status)
