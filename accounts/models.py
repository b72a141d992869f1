"""People and their place on the platform: users, memberships, sign-up codes, log-in hand-offs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.querysets import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: business members, platform managers and platform admins."""

    class PlatformRole(models.TextChoices):
        NONE = "", _("None")
        MANAGER = "manager", _("Platform manager")
        ADMIN = "admin", _("Platform admin")

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    platform_role = models.CharField(
        _("platform role"),
        max_length=16,
        choices=PlatformRole,
        default=PlatformRole.NONE,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"),
        default=False,
        help_text=_("Platform managers and admins log in to the admin site."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    #: Live-chat alerts for a new conversation, chosen by each person.
    notify_desktop = models.BooleanField(_("desktop notifications"), default=False)
    notify_sound = models.BooleanField(_("sound"), default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser or self.platform_role == self.PlatformRole.ADMIN

    @property
    def is_platform_manager(self) -> bool:
        return self.platform_role == self.PlatformRole.MANAGER


class Membership(models.Model):
    """A user's role in one business."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.STAFF)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "business"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.business} ({self.get_role_display()})"


class SignupCode(models.Model):
    """A 6-digit code e-mailed to prove an address at sign-up. Stored hashed; single use."""

    email = models.EmailField(db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    requested_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code for {self.email}"


class LoginHandoff(models.Model):
    """A single-use ticket that logs a user in on a business host (cookies are per host)."""

    nonce_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    business = models.ForeignKey("tenants.Business", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"hand-off of {self.user} to {self.business}"
