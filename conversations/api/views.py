"""The API of conversations: the list and one conversation, what staff do with it, and its
messages (read, reply, internal notes). Writes go through ``conversations.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import membership_get
from connections.models import Connection
from conversations import services
from conversations.api.filters import conversation_search
from conversations.api.pagination import MessagePagination, RecentFirstPagination
from conversations.api.serializers import (
    AssignSerializer,
    ConversationFilterSerializer,
    ConversationSerializer,
    MessageSerializer,
    TextSerializer,
)
from conversations.models import Conversation, Message

_LIST_PARAMETERS = [
    OpenApiParameter("status", enum=Conversation.Status.values, required=False),
    OpenApiParameter(
        "channel",
        enum=Connection.Platform.values,
        required=False,
        description="The platform of the conversation's channel.",
    ),
    OpenApiParameter("company", int, required=False, description="A company's id."),
    OpenApiParameter(
        "assignee", str, required=False, description='A member\'s user id, "me" or "none".'
    ),
    OpenApiParameter(
        "unread", bool, required=False, description="Only those with (or without) unread messages."
    ),
    OpenApiParameter(
        "q",
        str,
        required=False,
        description="Search the contact's name, phone, handle and e-mail and the messages' text.",
    ),
]


def _status_action(name: str, new_status: str, summary: str):
    """An action that only sets the status (resolve, reopen, archive)."""

    def status_action(self, request, pk=None):
        conversation = self.get_object()
        services.conversation_status_set(conversation=conversation, status=new_status)
        return self._answer(conversation)

    # The router dispatches an action by its function's name: give each its own.
    status_action.__name__ = status_action.__qualname__ = name
    decorate = action(detail=True, methods=["post"])
    document = extend_schema(request=None, responses={200: ConversationSerializer}, summary=summary)
    return document(decorate(status_action))


@extend_schema(tags=["conversations"])
@extend_schema_view(list=extend_schema(parameters=_LIST_PARAMETERS))
class ConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Conversations of the business with its customers, on every channel, newest first."""

    serializer_class = ConversationSerializer
    pagination_class = RecentFirstPagination
    queryset = Conversation.objects.none()  # for the schema; the real one is get_queryset's

    def get_queryset(self):
        # The schema is the scope: only the caller's business's conversations are here.
        if self.action != "list":
            return conversation_search(user=self.request.user)
        filters = ConversationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return conversation_search(user=self.request.user, **filters.validated_data)

    def _answer(self, conversation: Conversation) -> Response:
        fresh = conversation_search(user=self.request.user).get(pk=conversation.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=AssignSerializer,
        responses={200: ConversationSerializer},
        summary="Assign to a member of the business (who then answers it), or to nobody",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        conversation = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = None
        if (user_id := body.validated_data["assignee"]) is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if membership_get(user=user, business=request.tenant) is None:
                raise ValidationError(
                    {"assignee": [_("This person is not a member of this business.")]}
                )
        services.conversation_assign(conversation=conversation, user=user)
        return self._answer(conversation)

    @extend_schema(
        request=None,
        responses={200: ConversationSerializer},
        summary="Take over: you answer from now on and the assistant stops at once",
    )
    @action(detail=True, methods=["post"], url_path="take-over")
    def take_over(self, request, pk=None):
        conversation = self.get_object()
        services.conversation_take_over(conversation=conversation, user=request.user)
        return self._answer(conversation)

    @extend_schema(
        request=None,
        responses={200: ConversationSerializer},
        summary="Hand back to the assistant",
    )
    @action(detail=True, methods=["post"], url_path="hand-back")
    def hand_back(self, request, pk=None):
        conversation = self.get_object()
        services.conversation_hand_back(conversation=conversation)
        return self._answer(conversation)

    resolve = _status_action("resolve", Conversation.Status.RESOLVED, "Resolve")
    reopen = _status_action("reopen", Conversation.Status.OPEN, "Reopen")
    archive = _status_action("archive", Conversation.Status.ARCHIVED, "Archive")

    @extend_schema(request=None, responses={200: ConversationSerializer}, summary="Mark as read")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        conversation = self.get_object()
        services.conversation_mark_read(conversation=conversation)
        return self._answer(conversation)

    @extend_schema(
        request=TextSerializer,
        responses={201: MessageSerializer},
        summary="Add an internal note (staff only; the customer never sees it)",
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        conversation = self.get_object()
        body = TextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.note_add(
            conversation=conversation, author=request.user, text=body.validated_data["text"]
        )
        return Response(
            MessageSerializer(note, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


_CONVERSATION_ID = OpenApiParameter(
    "conversation_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conversation."
)


@extend_schema(tags=["conversations"], parameters=[_CONVERSATION_ID])
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                int,
                required=False,
                description="Only messages after this id (what a client has not seen yet).",
            )
        ]
    ),
)
class MessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Messages of one conversation, oldest first: the customer's, the replies (by the
    assistant or a person) and internal notes."""

    serializer_class = MessageSerializer
    pagination_class = MessagePagination
    queryset = Message.objects.none()  # for the schema

    def _conversation(self) -> Conversation:
        return get_object_or_404(
            Conversation.objects.select_related("channel"), pk=self.kwargs["conversation_id"]
        )

    def get_queryset(self):
        conversation = self._conversation()
        messages = Message.objects.filter(conversation=conversation)
        after = self.request.query_params.get("after")
        if after is not None:
            if not after.isdigit():
                raise ValidationError({"after": [_("Give the id of a message.")]})
            messages = messages.filter(pk__gt=int(after))
        return messages

    @extend_schema(
        request=TextSerializer,
        responses={201: MessageSerializer},
        summary="Reply to the customer through the conversation's channel",
    )
    def create(self, request, *args, **kwargs):
        """The reply is queued and sent by the worker; a person replying takes the
        conversation over from the assistant. Follow its ``status``."""
        conversation = self._conversation()
        body = TextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.message_send(
            conversation=conversation, text=body.validated_data["text"], author=request.user
        )
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)
