"""The platform's vault of channel connections (public schema): one per linked account.

A connection routes a provider's webhooks to a business (WAHA by session name) and keeps
the account's secrets encrypted. The business's own schema binds it to a company through
a ``channels_app.Channel``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import crypto


class Connection(models.Model):
    class Platform(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        TELEGRAM = "telegram", "Telegram"
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook Messenger"
        EMAIL = "email", _("E-mail")
        WEBCHAT = "webchat", _("Web chat")

    class Status(models.TextChoices):
        DISCONNECTED = "disconnected", _("Disconnected")
        CONNECTING = "connecting", _("Connecting")
        CONNECTED = "connected", _("Connected")
        ERROR = "error", _("Error")

    business = models.ForeignKey(
        "tenants.Business",
        on_delete=models.CASCADE,
        related_name="connections",
        verbose_name=_("business"),
    )
    platform = models.CharField(_("platform"), max_length=16, choices=Platform)
    #: The provider's name for the account: the WAHA session, a bot id, a page id...
    external_id = models.CharField(_("external id"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.DISCONNECTED
    )
    #: The provider's own state word (WAHA: STARTING, SCAN_QR_CODE, WORKING, FAILED...).
    provider_status = models.CharField(_("provider status"), max_length=40, blank=True)
    account_id = models.CharField(_("account"), max_length=200, blank=True)
    account_name = models.CharField(_("account name"), max_length=200, blank=True)
    secrets_encrypted = models.TextField(blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    error_count = models.PositiveIntegerField(_("errors in a row"), default=0)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="connection_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.account_id or self.external_id}"

    @property
    def secrets(self) -> dict[str, str]:
        return crypto.decrypt(self.secrets_encrypted)

    def secrets_set(self, values: dict[str, str]) -> None:
        self.secrets_encrypted = crypto.encrypt(values)


class ConnectionEvent(models.Model):
    """What happened to a connection: status changes, health checks, restarts, errors."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        CHECK = "check", _("Health check")
        RESTART = "restart", _("Restart")
        ERROR = "error", _("Error")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    ok = models.BooleanField(default=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("connection event")
        verbose_name_plural = _("connection events")

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class InboundEvent(models.Model):
    """A provider's webhook, accepted and kept until the worker has processed it.

    Stored before the provider gets its answer, so an accepted event is never lost even
    when the broker is down; unique per connection on the message id (or the delivery's
    id for other events), so a repeated delivery is kept once.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="inbox")
    dedupe_key = models.CharField(max_length=300)
    event = models.CharField(max_length=60)
    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "dedupe_key"], name="inbound_event_unique_delivery"
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(processed_at__isnull=True),
                name="inbound_event_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.dedupe_key}"
