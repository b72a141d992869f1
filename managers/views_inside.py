"""A read-only look inside a business's schema for its manager (or a platform admin)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors, services


@require_GET
def business_inside(request: HttpRequest, business_id: int) -> TemplateResponse:
    """Companies, knowledge bases (with their rows), channels and the latest conversations.

    Only for a business the user may see (else 404); every look is in the access log.
    """
    business = selectors.business_visible_get(user=request.user, business_id=business_id)
    services.business_view_log(user=request.user, business=business, what="inside")
    inside = selectors.business_inside(business=business)
    context = {
        **admin.site.each_context(request),
        "title": _("Inside %(business)s") % {"business": business.name},
        "business": business,
        "inside": inside,
        "recent_limit": selectors.RECENT_CONVERSATIONS,
    }
    return TemplateResponse(request, "managers/inside/business.html", context)
