from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from tenants.models import Business, Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "trial_ends_at", "trial_state", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline, MembershipInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public")

    @admin.display(description=_("trial"))
    def trial_state(self, obj: Business) -> str:
        days = obj.trial_days_left()
        if days is None:
            return "—"
        return _("ended") if days == 0 else _("%(days)s days left") % {"days": days}

    def has_add_permission(self, request):
        # Businesses are created through sign-up, which also clones their schema.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a business drops its schema with all its data; only superusers may.
        return request.user.is_superuser
