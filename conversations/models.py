"""Customers, their conversations and messages (business schema)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import connection, models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from channels_app.models import Channel
from media_library.storage import media_storage


def message_media_upload_to(instance: Message, filename: str) -> str:
    """``<business>/conversations/<random>.<ext>`` in the business's media storage."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{connection.schema_name}/conversations/{uuid.uuid4().hex}{suffix}"


def _user_link(**kwargs):
    """A link from a business's table to a platform user (public schema). No database
    constraint and no cascade: the user table lives in another schema, and deleting a user
    must not reach into every business (the link then shows as a former member)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        **kwargs,
    )


class Contact(models.Model):
    """A customer as one channel knows them: WhatsApp by phone and by its hidden ``@lid`` id,
    the web chat by its visitor id (``handle``)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    lid = models.CharField(_("hidden WhatsApp id"), max_length=64, blank=True)
    #: The chat id replies go to (``<phone>@c.us``, or ``<id>@lid`` while the phone is unknown).
    chat_id = models.CharField(_("chat"), max_length=100)
    #: The channel's own id of the customer where it is not a phone (a web chat visitor).
    handle = models.CharField(_("handle"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    #: Where the lead came from: a campaign, an ad, the page the visitor wrote from.
    source = models.CharField(_("lead source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    #: When the business's privacy notice was sent (once per contact).
    privacy_notice_sent_at = models.DateTimeField(null=True, blank=True)
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
            models.UniqueConstraint(
                fields=["channel", "handle"],
                condition=~models.Q(handle=""),
                name="contact_unique_handle",
            ),
        ]
        indexes = [
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="contact_name_trgm"),
            GinIndex(OpClass("phone", name="gin_trgm_ops"), name="contact_phone_trgm"),
        ]

    def __str__(self) -> str:
        return self.name or self.phone or self.lid or self.handle


class Conversation(models.Model):
    """The one conversation of a contact: a resolved one reopens when the customer writes."""

    class Mode(models.TextChoices):
        ASSISTANT = "assistant", _("The assistant answers")
        HUMAN = "human", _("A person answers")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("conversation status", "Open")
        PENDING = "pending", _("Waiting for a person")
        RESOLVED = "resolved", _("Resolved")
        ARCHIVED = "archived", _("Archived")

    class PaymentStatus(models.TextChoices):
        NO_PAYMENT_LINK = "no_payment_link", _("No payment link")
        PAYMENT_LINK_SENT = "payment_link_sent", _("Payment link sent")
        PAID = "paid", _("Paid")

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="conversation")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    mode = models.CharField(_("mode"), max_length=16, choices=Mode, default=Mode.ASSISTANT)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    #: Who answers it: with ``mode`` human, the person who took it over.
    assignee = _user_link(verbose_name=_("assignee"))
    payment_status = models.CharField(
        _("payment"),
        max_length=20,
        choices=PaymentStatus,
        default=PaymentStatus.NO_PAYMENT_LINK,
    )
    #: Customer messages staff have not opened yet (kept here so lists never count them).
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    #: The assistant's answers in a row that did not understand the customer.
    misunderstood = models.PositiveSmallIntegerField(default=0)
    #: When the out-of-hours answer was last sent (at most once a day).
    out_of_hours_sent_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_text = models.CharField(max_length=200, blank=True)
    last_message_direction = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(
                models.F("last_message_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="conversation_recent",
            ),
            models.Index(
                "status",
                models.F("last_message_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="conversation_status_recent",
            ),
            models.Index(
                fields=["assignee"],
                condition=models.Q(assignee__isnull=False),
                name="conversation_assignee",
            ),
            models.Index(
                fields=["id"], condition=models.Q(unread_count__gt=0), name="conversation_unread"
            ),
        ]

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
        #: An internal note: staff only, never sent, never shown to the customer.
        NOTE = "note", _("Internal note")

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
        #: An assistant reply dropped because a person took the conversation over.
        CANCELED = "canceled", _("Not sent")

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
    #: The person who wrote an outgoing message or a note; none for the assistant's replies.
    author = _user_link(verbose_name=_("author"))
    #: Outgoing messages: information, with a payment request, or transactional (metrics).
    message_class = models.CharField(
        _("class"),
        max_length=8,
        choices=[
            ("type1", _("Information")),
            ("type2", _("Payment request")),
            ("type3", _("Transactional")),
        ],
        blank=True,
    )
    #: AI tokens the reply took (0 without an AI service).
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    #: From the first customer message of the turn to this reply being queued.
    response_ms = models.PositiveIntegerField(null=True, blank=True)
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
            GinIndex(SearchVector("text", config="simple"), name="message_text_search"),
            models.Index(fields=["created_at"], name="message_created_at"),
        ]

    def __str__(self) -> str:
        return self.text[:60] or self.get_kind_display()

    @property
    def by_assistant(self) -> bool:
        return self.direction == self.Direction.OUT and not self.author_id and not self.sent_by


class QuickReply(models.Model):
    """A saved answer staff insert by typing ``/shortcut`` in the reply box."""

    shortcut = models.SlugField(_("shortcut"), max_length=40, unique=True, allow_unicode=True)
    text = models.TextField(_("text"), max_length=4096)
    created_by = _user_link(verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        ordering = ["shortcut"]

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class MonthlyUsage(models.Model):
    """The assistant's replies of a month, by class (kept when old messages are deleted)."""

    month = models.DateField(_("month"), unique=True)
    assistant_replies = models.PositiveIntegerField(_("assistant replies"), default=0)
    type1 = models.PositiveIntegerField(default=0)
    type2 = models.PositiveIntegerField(default=0)
    type3 = models.PositiveIntegerField(default=0)
    tokens = models.PositiveBigIntegerField(_("AI tokens"), default=0)
    #: Sum of response times of the month's replies (ms), for the average.
    response_ms_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly usage")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.assistant_replies}"

    @property
    def response_ms_average(self) -> int | None:
        return self.response_ms_total // self.assistant_replies if self.assistant_replies else None
