from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["business"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Managers see, read-only, the people of their businesses (and nobody else).
    manager_business_path = "memberships__business"
    ordering = ["email"]
    list_display = ["email", "full_name", "platform_role", "is_active", "is_staff", "date_joined"]
    list_filter = ["platform_role", "is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "language"]}),
        (_("Platform"), {"fields": ["platform_role", "is_active", "is_staff", "is_superuser",
                                    "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "platform_role", "password1", "password2"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "business", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "business__name", "business__slug"]
    autocomplete_fields = ["user", "business"]
