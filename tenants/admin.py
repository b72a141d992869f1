from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User
from billing.admin import PlanGrantInline, business_billing_state
from billing.models import PlanGrant
from billing.services import business_plan_sync
from managers.dashboard import BusinessStateListFilter
from tenants.models import Business, Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ManagerListFilter(admin.SimpleListFilter):
    """Businesses by their platform manager (platform admins only)."""

    title = _("manager")
    parameter_name = "manager"

    def lookups(self, request, model_admin):
        managers = User.objects.filter(platform_role=User.PlatformRole.MANAGER).order_by("email")
        return [("none", _("No manager")), *((str(user.pk), user.email) for user in managers)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(manager_assignment__isnull=True)
        if value and value.isdigit():
            return queryset.filter(manager_assignment__manager_id=int(value))
        return queryset


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "status",
        "manager",
        "trial_ends_at",
        "trial_state",
        "billing_state",
        "created_at",
        "inside_link",
    ]
    list_filter = ["status", BusinessStateListFilter, ManagerListFilter, "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = [
        "schema_name",
        "created_at",
        "updated_at",
        "inside_link",
        "connections_link",
    ]
    inlines = [DomainInline, MembershipInline, PlanGrantInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(schema_name="public")
            .select_related("manager_assignment__manager")
        )

    def get_readonly_fields(self, request, obj=None):
        # Platform admins get links to (re)assign the business; managers only see the name.
        extra = "manager_link" if request.user.is_platform_admin else "manager"
        return [*super().get_readonly_fields(request, obj), extra]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if not request.user.is_platform_admin:
            filters = [spec for spec in filters if spec is not ManagerListFilter]
        return filters

    @admin.display(description=_("trial"))
    def trial_state(self, obj: Business) -> str:
        days = obj.trial_days_left()
        if days is None:
            return "—"
        return _("ended") if days == 0 else _("%(days)s days left") % {"days": days}

    @admin.display(description=_("billing"))
    def billing_state(self, obj: Business) -> str:
        return business_billing_state(obj)

    @admin.display(description=_("manager"), ordering="manager_assignment__manager__email")
    def manager(self, obj: Business) -> str:
        assignment = getattr(obj, "manager_assignment", None)
        return assignment.manager.email if assignment else "—"

    @admin.display(description=_("manager"))
    def manager_link(self, obj: Business) -> str:
        assignment = getattr(obj, "manager_assignment", None)
        name = assignment.manager.email if assignment else _("No manager")
        if assignment:
            url = reverse("admin:managers_assignment_change", args=[obj.pk])
            return format_html('{} · <a href="{}">{}</a>', name, url, _("change"))
        url = reverse("admin:managers_assignment_add")
        return format_html('{} · <a href="{}?business={}">{}</a>', name, url, obj.pk, _("assign"))

    @admin.display(description=_("inside"))
    def inside_link(self, obj: Business) -> str:
        url = reverse("x8:business_inside", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Look inside"))

    @admin.display(description=_("SystemData"))
    def connections_link(self, obj: Business) -> str:
        url = reverse("admin:connections_connection_changelist")
        count = obj.connections.count()
        return format_html(
            '<a href="{}?business__id__exact={}">{}</a>',
            url,
            obj.pk,
            _("%(count)s connections") % {"count": count},
        )

    def save_formset(self, request, form, formset, change):
        for grant in formset.save(commit=False):
            if isinstance(grant, PlanGrant) and grant.granted_by_id is None:
                grant.granted_by = request.user
            grant.save()
        formset.save_m2m()
        for deleted in formset.deleted_objects:
            deleted.delete()
        if formset.model is PlanGrant:
            business_plan_sync(form.instance)

    def has_add_permission(self, request):
        # Businesses are created through sign-up, which also clones their schema.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a business drops its schema with all its data; only superusers may.
        return request.user.is_superuser
