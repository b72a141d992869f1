"""A business whose plan has lapsed can read everything but change nothing except what
gets it going again: its plan, its account, and disconnecting channels."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse

from .entitlements import entitlements_for

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Views a restricted business may still post to (by URL name or namespace).
ALLOWED_NAMES = {
    "account_settings",
    "account_logout",
    "set_language",
    "business_switch",
    "login_handoff",
    "channel_disconnect",
}
ALLOWED_NAMESPACES = {"billing", "manager"}  # a lapsed business can still ask its manager


def _allowed(path: str, urlconf) -> bool:
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        return True  # let the 404 happen
    if match.url_name in ALLOWED_NAMES or set(match.namespaces) & ALLOWED_NAMESPACES:
        return True
    return bool(match.url_name and match.url_name.startswith(("account_", "help_")))


class BillingReadOnlyMiddleware:
    """Refuse writes of members of a restricted business, saying why (the services refuse
    sends and connects as well, whatever the door)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if membership is None or request.method in SAFE_METHODS:
            return self.get_response(request)
        if _allowed(request.path_info, getattr(request, "urlconf", None)):
            return self.get_response(request)
        ent = entitlements_for(request.tenant)
        if not ent.read_only:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": ent.reason, "code": "billing_read_only"}, status=403)
        if getattr(request, "htmx", False):
            # htmx does not swap error answers: send the page to billing, which says why.
            messages.error(request, ent.reason)
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("billing:home")
            return response
        return render(request, "billing/read_only.html", {"reason": ent.reason}, status=403)
