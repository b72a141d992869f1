"""Managers in the platform admin: who manages which business (platform admins only), the
history of those changes and the access log. None of it is shown to managers."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from . import services
from .models import AccessLog, Assignment, AssignmentChange


class AssignmentForm(forms.ModelForm):
    #: The manager shown when the form was opened, so a change made meanwhile by someone
    #: else is noticed instead of silently overwritten.
    expected_manager = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Assignment
        fields = ["business", "manager"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            existing = not self.instance._state.adding
            self.initial["expected_manager"] = self.instance.manager_id if existing else ""
        if "manager" in self.fields:
            self.fields["manager"].queryset = User.objects.filter(
                platform_role=User.PlatformRole.MANAGER, is_active=True, is_staff=True
            ).order_by("email")

    def clean_expected_manager(self) -> int | None:
        value = self.cleaned_data.get("expected_manager") or ""
        if value and not value.isdigit():
            raise forms.ValidationError(_("Reload the page and try again."))
        return int(value) if value else None


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    manager_business_path = None
    form = AssignmentForm
    list_display = ["business", "manager", "assigned_by", "assigned_at"]
    list_filter = ["manager", "assigned_at"]
    list_select_related = ["business", "manager", "assigned_by"]
    search_fields = ["business__name", "business__slug", "manager__email"]
    autocomplete_fields = ["business"]
    ordering = ["business__name"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["business", "assigned_by", "assigned_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "business":
            field.queryset = field.queryset.exclude(schema_name="public")
        return field

    def save_model(self, request, obj, form, change):
        services.assignment_set(
            business=obj.business,
            manager=obj.manager,
            by=request.user,
            expected_manager_id=form.cleaned_data.get("expected_manager"),
        )

    def delete_model(self, request, obj):
        services.assignment_set(business=obj.business, manager=None, by=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("business"):
            services.assignment_set(business=assignment.business, manager=None, by=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ManagersError as error:
            # The whole save was rolled back; show who won instead of a failed page.
            self.message_user(request, error.message, messages.ERROR)
            business_id = object_id or request.POST.get("business", "")
            if business_id.isdigit() and Assignment.objects.filter(pk=business_id).exists():
                return HttpResponseRedirect(
                    reverse("admin:managers_assignment_change", args=[business_id])
                )
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssignmentChange)
class AssignmentChangeAdmin(ReadOnlyAdmin):
    manager_business_path = None
    list_display = ["changed_at", "business", "previous_manager", "manager", "changed_by"]
    list_filter = ["manager", "changed_at"]
    list_select_related = ["business", "previous_manager", "manager", "changed_by"]
    search_fields = ["business__name", "business__slug"]
    date_hierarchy = "changed_at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    manager_business_path = None
    list_display = ["at", "user", "business", "action", "target"]
    list_filter = ["action", "at"]
    list_select_related = ["user", "business"]
    search_fields = ["user__email", "business__name", "business__slug", "target"]
    date_hierarchy = "at"
