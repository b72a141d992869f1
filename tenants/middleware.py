"""Only members reach a business's portal; everyone else is sent to log in or gets a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from accounts.selectors import membership_get

# Paths on a business host that do not need a membership: logging in (and the hand-off that
# logs in), static files, health, language switch, the API's published schema.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/schema/", "/api/docs/")
# The API authenticates tokens itself (and answers 404 to non-members then); here only
# visitors with no session at all are let through to it.
API_PREFIX = "/api/"


class BusinessMemberMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        request.membership = None
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        if request.user.is_authenticated:
            request.membership = membership_get(user=request.user, business=tenant)
        if not request.path.startswith(OPEN_PREFIXES):
            if not request.user.is_authenticated and request.path.startswith(API_PREFIX):
                return self.get_response(request)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if request.membership is None:
                # 404, not 403: a stranger learns nothing about what this business has.
                raise Http404("Not a member of this business")
        return self.get_response(request)
