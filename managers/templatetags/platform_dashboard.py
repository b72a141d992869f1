"""``{% platform_dashboard %}``: the figures on the admin's front page, for whoever looks."""

from __future__ import annotations

from django import template

from managers.dashboard import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/managers/dashboard/dashboard.html", takes_context=True)
def platform_dashboard(context) -> dict:
    """The platform's figures for a platform admin, their own businesses' for a manager,
    nothing for anyone else. Reads the revenue period from the page's query string."""
    request = context.get("request")
    if request is None:
        return {"role": None}
    role, figures = dashboard_for(request.user, params=request.GET)
    return {"role": role, "figures": figures, "request": request}
