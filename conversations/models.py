"""Customers, their conversations and messages (business schema)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from channels_app.models import Channel
from media_library.storage import media_storage


def message_media_upload_to(instance: Message, filename: str) -> str:
    """``<business>/conversations/<random>.<ext>`` in the business's media storage."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{connection.schema_name}/conversations/{uuid.uuid4().hex}{suffix}"


class Contact(models.Model):
    """A customer as one channel knows them: WhatsApp by phone and by its hidden ``@lid`` id."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    lid = models.CharField(_("hidden WhatsApp id"), max_length=64, blank=True)
    #: The chat id replies go to (``<phone>@c.us``, or ``<id>@lid`` while the phone is unknown).
    chat_id = models.CharField(_("chat"), max_length=100)
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "phone"],
                condition=~models.Q(phone=""),
                name="contact_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["channel", "lid"], condition=~models.Q(lid=""), name="contact_unique_lid"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.phone or self.lid


class Conversation(models.Model):
    class Mode(models.TextChoices):
        ASSISTANT = "assistant", _("The assistant answers")
        HUMAN = "human", _("A person answers")

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="conversation")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    mode = models.CharField(_("mode"), max_length=16, choices=Mode, default=Mode.ASSISTANT)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return str(self.contact)


class Turn(models.Model):
    """Consecutive customer messages answered as one (a burst merged within a short window)."""

    class Status(models.TextChoices):
        AWAITING_REPLY = "awaiting_reply", _("Awaiting a reply")
        ANSWERED = "answered", _("Answered")
        SKIPPED = "skipped", _("Skipped")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.AWAITING_REPLY
    )
    text = models.TextField(_("what the customer said"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("To the customer")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        FILE = "file", _("File")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        LOCATION = "location", _("Location")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction)
    kind = models.CharField(_("type"), max_length=16, choices=Kind, default=Kind.TEXT)
    status = models.CharField(_("status"), max_length=16, choices=Status)
    text = models.TextField(_("text"), blank=True)
    #: The provider's message id; unique per channel, so a redelivered webhook stores nothing.
    provider_id = models.CharField(_("provider id"), max_length=200, null=True, blank=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    media = models.FileField(
        _("media"),
        upload_to=message_media_upload_to,
        storage=media_storage,
        max_length=500,
        blank=True,
    )
    media_source_url = models.URLField(_("media at the provider"), max_length=1000, blank=True)
    media_mimetype = models.CharField(max_length=100, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    turn = models.ForeignKey(
        Turn, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    sent_by = models.CharField(_("sent by"), max_length=254, blank=True)
    provider_timestamp = models.DateTimeField(_("time at the provider"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], name="message_unique_provider_id"
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_conversation_time"),
            models.Index(
                fields=["conversation"],
                condition=models.Q(direction="in", turn__isnull=True),
                name="message_waiting_for_a_turn",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60] or self.get_kind_display()
