from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _

from managers.scoping import is_scoped, scoped_admin


class PlatformAdminSite(admin.AdminSite):
    """The Django admin on the public host, for platform admins and platform managers.

    Admins see everything. Managers see only the businesses assigned to them: every
    ModelAdmin registered here is put behind ``managers.scoping.BusinessScopedAdmin``.
    """

    site_header = _("X8 Network platform")
    site_title = _("X8 Network admin")
    index_title = _("Platform administration")

    def has_permission(self, request) -> bool:
        user = request.user
        if getattr(request, "tenant", None) is not None and request.tenant.schema_name != "public":
            return False
        if not (user.is_active and user.is_staff):
            return False
        return bool(
            getattr(user, "is_platform_admin", False) or getattr(user, "is_platform_manager", False)
        )

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(
            model_or_iterable, scoped_admin(admin_class or admin.ModelAdmin), **options
        )

    def get_urls(self):
        urls = []
        for pattern in super().get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "view_on_site":
                pattern = URLPattern(
                    pattern.pattern,
                    self.admin_view(self.view_on_site_scoped),
                    pattern.default_args,
                    pattern.name,
                )
            urls.append(pattern)
        return urls

    def view_on_site_scoped(self, request, content_type_id, object_id):
        """ "View on site" for an object, which a manager may follow only for objects of
        their assigned businesses (any other is not found)."""
        from django.contrib.contenttypes import views as contenttype_views
        from django.contrib.contenttypes.models import ContentType

        if is_scoped(request):
            try:
                model = ContentType.objects.get_for_id(content_type_id).model_class()
            except (ObjectDoesNotExist, ValueError) as error:
                raise Http404 from error
            model_admin = self._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                raise Http404
            try:
                visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
            except (ValueError, ValidationError) as error:
                raise Http404 from error
            if not visible:
                raise Http404
        return contenttype_views.shortcut(request, content_type_id, object_id)
