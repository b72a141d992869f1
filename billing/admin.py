"""Billing in the platform admin: the plan catalog, each business's billing state, and
plans granted by hand (ENTERPRISE and SPECIAL deals, comps) with an end date."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Business

from . import services
from .entitlements import entitlements_for
from .models import BillingAccount, Plan, PlanGrant


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "price",
        "channel_limit",
        "reply_limit",
        "history_retention_days",
        "public",
        "stripe_price_id",
    ]
    list_editable = ["public"]
    readonly_fields = ["code"]
    ordering = ["sort_order"]

    def has_add_permission(self, request):
        return False  # the catalog comes from ``manage.py plans_load``

    def has_delete_permission(self, request, obj=None):
        return False


class PlanGrantForm(forms.ModelForm):
    class Meta:
        model = PlanGrant
        fields = ["business", "plan", "channel_limit", "starts_at", "ends_at", "note"]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        return cleaned


@admin.register(PlanGrant)
class PlanGrantAdmin(admin.ModelAdmin):
    form = PlanGrantForm
    list_display = [
        "business",
        "plan",
        "channel_limit",
        "starts_at",
        "ends_at",
        "granted_by",
        "current",
    ]
    list_filter = ["plan"]
    search_fields = ["business__name", "business__slug", "note"]
    autocomplete_fields = ["business"]
    readonly_fields = ["granted_by", "revoked_at", "created_at"]
    actions = ["revoke"]

    @admin.display(boolean=True, description=_("current"))
    def current(self, obj: PlanGrant) -> bool:
        return obj.is_current()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        services.business_plan_sync(obj.business)

    @admin.action(description=_("Revoke the selected grants now"), permissions=["change"])
    def revoke(self, request, queryset):
        for grant in queryset.filter(revoked_at__isnull=True):
            grant.revoked_at = timezone.now()
            grant.save(update_fields=["revoked_at"])
            services.business_plan_sync(grant.business)


class PlanGrantInline(admin.TabularInline):
    model = PlanGrant
    form = PlanGrantForm
    fk_name = "business"
    extra = 0
    fields = ["plan", "channel_limit", "starts_at", "ends_at", "note", "granted_by", "revoked_at"]
    readonly_fields = ["granted_by", "revoked_at"]


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = [
        "business",
        "state",
        "plan",
        "source",
        "stripe_status",
        "current_period_end",
        "cancel_at_period_end",
    ]
    list_filter = ["source", "stripe_status", "plan", "cancel_at_period_end"]
    search_fields = ["business__name", "business__slug", "stripe_customer_id"]
    list_select_related = ["business", "plan"]
    readonly_fields = [
        "business",
        "state",
        "plan",
        "source",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_status",
        "stripe_price_id",
        "current_period_end",
        "cancel_at_period_end",
        "past_due_since",
        "ended_at",
        "synced_at",
        "trial_reminder_sent_at",
        "trial_ended_sent_at",
    ]
    fields = [*readonly_fields, "channels_override"]

    @admin.display(description=_("state"))
    def state(self, obj: BillingAccount) -> str:
        ent = entitlements_for(obj.business)
        label = {
            "trialing": _("trial"),
            "active": _("active"),
            "past_due": _("past due"),
            "canceled": _("canceled"),
            "expired": _("trial ended"),
        }[ent.state]
        return f"{label} ({ent.reason})" if ent.reason else label

    def has_add_permission(self, request):
        return False  # every business gets one on first use

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.business_plan_sync(obj.business)


def business_billing_state(obj: Business) -> str:
    ent = entitlements_for(obj)
    plan = ent.plan.name if ent.plan else "—"
    return f"{ent.state} · {plan}"
