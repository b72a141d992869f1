"""Platform managers and the businesses they look after. All in the public schema.

A business has at most one manager (the primary key of ``Assignment`` is the business), a
manager has many; every change of manager is kept in ``AssignmentChange``. What managers
and admins do to a business's secrets or inside its schema is kept in ``AccessLog``.
``ManagerMessage`` is the chat between a business and its manager.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Assignment(models.Model):
    business = models.OneToOneField(
        "tenants.Business",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="manager_assignment",
        verbose_name=_("business"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_assignments",
        limit_choices_to={"platform_role": "manager"},
        verbose_name=_("manager"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now=True)

    class Meta:
        verbose_name = _("manager assignment")
        verbose_name_plural = _("manager assignments")
        ordering = ["business__name"]

    def __str__(self) -> str:
        return f"{self.business} → {self.manager}"


class AssignmentChange(models.Model):
    """One change of a business's manager: who made it, when, from whom to whom."""

    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="manager_changes"
    )
    previous_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("change of manager")
        verbose_name_plural = _("changes of manager")
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.business}: {self.previous_manager} → {self.manager}"


class AccessLog(models.Model):
    """Who revealed or replaced a secret, reconnected a channel or looked inside a business."""

    class Action(models.TextChoices):
        SECRET_REVEAL = "secret_reveal", _("revealed a secret")
        SECRET_REPLACE = "secret_replace", _("replaced a secret")
        RECONNECT = "reconnect", _("reconnected a channel")
        BUSINESS_VIEW = "business_view", _("looked inside the business")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    #: What was touched: "connection 12 · api_key", "companies", ... never a secret's value.
    target = models.CharField(_("what"), max_length=200)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.target}"


class ManagerMessage(models.Model):
    """A message of the chat between a business and its manager."""

    class Side(models.TextChoices):
        BUSINESS = "business", _("business")
        MANAGER = "manager", _("manager")

    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="manager_messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    side = models.CharField(_("side"), max_length=10, choices=Side)
    text = models.TextField(_("text"), max_length=4000)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    #: When the other side read it.
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    #: When the other side was e-mailed about it (they were not online).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("manager chat message")
        verbose_name_plural = _("manager chat messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["business", "created_at"]),
            models.Index(
                fields=["business", "side"],
                condition=Q(read_at__isnull=True),
                name="mgr_msg_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business} · {self.side}: {self.text[:40]}"
