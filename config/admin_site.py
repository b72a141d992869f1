from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class PlatformAdminSite(admin.AdminSite):
    """The Django admin on the public host, for platform staff only."""

    site_header = _("X8 Network platform")
    site_title = _("X8 Network admin")
    index_title = _("Platform administration")

    def has_permission(self, request) -> bool:
        user = request.user
        if getattr(request, "tenant", None) is not None and request.tenant.schema_name != "public":
            return False
        return bool(user.is_active and user.is_staff and getattr(user, "is_platform_admin", False))
