"""What the API shows of conversations and messages, and what it accepts."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from connections.models import Connection
from conversations.models import Contact, Conversation, Message
from tenants.companies.models import Company


class PersonSerializer(serializers.ModelSerializer):
    """A member of the business (the assignee of a conversation)."""

    class Meta:
        model = User
        fields = ["id", "email", "full_name"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    """The contact's card."""

    first_seen = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "phone", "handle", "email", "source", "notes", "tags", "first_seen"]
        read_only_fields = fields


class CompanyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    contact = ContactSerializer(read_only=True)
    platform = serializers.CharField(
        source="channel.platform", read_only=True, help_text="The channel's platform."
    )
    company = CompanyRefSerializer(source="channel.company", read_only=True)
    assignee = serializers.SerializerMethodField(
        help_text="Who answers it; null when nobody (the assistant, or unassigned)."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "status",
            "mode",
            "payment_status",
            "assignee",
            "unread_count",
            "last_message_at",
            "last_message_text",
            "last_message_direction",
            "platform",
            "channel",
            "company",
            "contact",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, conversation: Conversation) -> dict | None:
        if conversation.assignee_id is None:
            return None
        try:
            person = conversation.assignee
        except User.DoesNotExist:
            person = None  # a former member: the link stays, the account is gone
        if person is None:
            return {"id": conversation.assignee_id, "email": "", "full_name": ""}
        return PersonSerializer(person).data


class MessageSerializer(serializers.ModelSerializer):
    media_url = serializers.SerializerMethodField(help_text="The stored photo or file, if any.")
    by_assistant = serializers.BooleanField(read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation",
            "direction",
            "kind",
            "status",
            "text",
            "media_url",
            "media_mimetype",
            "media_filename",
            "error",
            "author",
            "sent_by",
            "by_assistant",
            "provider_timestamp",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_media_url(self, message: Message) -> str | None:
        if not message.media:
            return None
        request = self.context.get("request")
        url = message.media.url
        return request.build_absolute_uri(url) if request is not None else url


class TextSerializer(serializers.Serializer):
    """A reply to the customer, or an internal note."""

    text = serializers.CharField(
        help_text=f"At most {settings.MESSAGE_MAX_CHARS} characters.",
        error_messages={
            "blank": _("Write some text: an empty message cannot be sent."),
            "required": _("Write some text: an empty message cannot be sent."),
        },
    )

    def validate_text(self, text: str) -> str:
        limit = settings.MESSAGE_MAX_CHARS
        if len(text) > limit:
            raise serializers.ValidationError(
                _(
                    "The message is %(length)s characters long; "
                    "at most %(limit)s fit in one message."
                )
                % {"length": len(text), "limit": limit}
            )
        return text


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True,
        help_text="The id of a member of the business, or null to unassign.",
    )


class ConversationFilterSerializer(serializers.Serializer):
    """The list's query parameters; anything unknown in them is a 400, not an empty list."""

    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    channel = serializers.ChoiceField(
        choices=Connection.Platform.choices, required=False, help_text="A platform."
    )
    company = serializers.IntegerField(min_value=1, required=False)
    assignee = serializers.CharField(
        required=False, help_text='A member\'s user id, "me", or "none" (nobody).'
    )
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=200, trim_whitespace=True)

    def validate_assignee(self, value: str) -> int | str:
        value = value.strip().lower()
        if value in ("me", "none"):
            return value
        if value.isdigit():
            return int(value)
        raise serializers.ValidationError(_('Give a user id, "me" or "none".'))
