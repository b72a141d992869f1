"""Turns of merged customer messages, replies sent with retries, media copied, the pages."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from channels_app.waha.payloads import IncomingMessage, MessageKind
from conversations.models import Message, Turn
from conversations.services import (
    message_receive,
    message_resend,
    message_send,
    turn_collect,
    turns_sweep,
)
from conversations.tasks import media_copy_task, message_send_task

pytestmark = pytest.mark.usefixtures("whatsapp_channel")


def incoming(n: int, text: str = "", **changes) -> IncomingMessage:
    values = dict(
        provider_id=f"false_79991112233@c.us_{n:04d}",
        chat_id="79991112233@c.us",
        phone="79991112233",
        lid=None,
        name="Ivan",
        text=text or f"message {n}",
        kind=MessageKind.TEXT,
        media_url=None,
        media_mimetype=None,
        media_filename=None,
        timestamp=timezone.now(),
        reply_to=None,
    )
    values.update(changes)
    return IncomingMessage(**values)


def age(message: Message, seconds: float) -> None:
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_burst_of_messages_becomes_one_turn(whatsapp_channel, settings, fake_waha):
    settings.CONVERSATION_BURST_SECONDS = 4
    first = message_receive(channel=whatsapp_channel, incoming=incoming(1, "Hi")).message
    second = message_receive(
        channel=whatsapp_channel, incoming=incoming(2, "Do you have kettles?")
    ).message
    age(first, 10)

    waiting = turn_collect(conversation_id=first.conversation_id)
    assert waiting.turn is None, "the customer may go on"
    assert 0 < waiting.wait <= 4, "look again when the newest message is a window old"

    age(second, 5)
    turn = turn_collect(conversation_id=first.conversation_id).turn
    assert turn.status == Turn.Status.AWAITING_REPLY
    assert turn.text == "Hi\nDo you have kettles?"
    assert set(turn.messages.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert turn_collect(conversation_id=first.conversation_id).turn is None, "nothing left"


def test_the_sweep_collects_turns_whose_task_never_ran(whatsapp_channel, fake_waha):
    message = message_receive(channel=whatsapp_channel, incoming=incoming(1)).message
    age(message, 60)
    assert turns_sweep() == 1
    assert Message.objects.get(pk=message.pk).turn is not None


def test_a_turn_sends_read_receipts(
    whatsapp_channel, fake_waha, django_capture_on_commit_callbacks
):
    from conversations import tasks

    message = message_receive(channel=whatsapp_channel, incoming=incoming(1)).message
    age(message, 60)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        turn = turn_collect(conversation_id=message.conversation_id).turn
    assert callbacks
    tasks.seen_send_task.apply(args=[turn.pk])
    seen = [body for method, path, body in fake_waha.calls if path == "/api/sendSeen"]
    assert seen == [
        {"session": "alpha-test", "chatId": "79991112233@c.us", "messageIds": [message.provider_id]}
    ]


def test_a_send_that_fails_twice_then_succeeds(whatsapp_channel, fake_waha, settings):
    settings.WAHA_RETRY_BASE_SECONDS = 0
    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    reply = message_send(conversation=conversation, text="Yes, we have 12 kettles.")
    fake_waha.fail["POST /api/sendText"] = [503, 502]

    message_send_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert (reply.status, reply.attempts) == ("sent", 3)
    assert reply.provider_id.startswith("true_79991112233@c.us_")
    paths = fake_waha.paths()
    assert paths.count("POST /api/sendText") == 3
    assert "POST /api/startTyping" in paths


def test_a_send_that_keeps_failing_is_marked_failed_and_can_be_sent_again(
    whatsapp_channel, fake_waha, settings, django_capture_on_commit_callbacks
):
    settings.WAHA_RETRY_BASE_SECONDS = 0
    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    reply = message_send(conversation=conversation, text="Hello")
    fake_waha.down = True

    message_send_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == "failed"
    assert "reach" in reply.error.lower() or "unavailable" in reply.error.lower()

    fake_waha.down = False
    with django_capture_on_commit_callbacks(execute=False):
        message_resend(message=reply)
    message_send_task.apply(args=[reply.pk])
    reply.refresh_from_db()
    assert (reply.status, reply.error) == ("sent", "")


def test_a_refused_send_fails_at_once_without_retrying(whatsapp_channel, fake_waha, settings):
    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    reply = message_send(conversation=conversation, text="Hello")
    fake_waha.fail["POST /api/sendText"] = [400]

    message_send_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == "failed"
    assert fake_waha.paths().count("POST /api/sendText") == 1


def test_incoming_media_is_copied_into_the_business_storage(
    whatsapp_channel, fake_waha, business_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    stored = message_receive(
        channel=whatsapp_channel,
        incoming=incoming(
            1,
            "Look",
            kind=MessageKind.IMAGE,
            media_url="http://waha.test/api/files/alpha-test/photo.jpg",
            media_mimetype="image/jpeg",
            media_filename=None,
        ),
    ).message

    media_copy_task.apply(args=[stored.pk])

    stored.refresh_from_db()
    assert stored.media.name.startswith(f"{business_a.schema_name}/conversations/")
    assert stored.media.read().startswith(b"\xff\xd8")


def test_the_conversation_page_shows_messages_and_sends_a_reply(
    portal_a, business_a, fake_waha, django_capture_on_commit_callbacks
):
    with tenant_context(business_a):
        from channels_app.models import Channel

        channel = Channel.objects.get()
        conversation = message_receive(
            channel=channel, incoming=incoming(1, "Привет!")
        ).message.conversation
    listing = portal_a.get("/conversations/").content.decode()
    assert "Ivan" in listing

    page = portal_a.get(f"/conversations/{conversation.pk}/").content.decode()
    assert "Привет!" in page

    with (
        mock.patch("conversations.tasks.message_send_task.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = portal_a.post(f"/conversations/{conversation.pk}/", {"text": "Здравствуйте!"})
    assert response.status_code == 302
    with tenant_context(business_a):
        reply = Message.objects.get(direction="out")
        assert (reply.text, reply.status, reply.sent_by, reply.author_id) == (
            "Здравствуйте!",
            "pending",
            "owner-a@example.com",
            reply.conversation.assignee_id,
        )
        # Replying takes the conversation over: the assistant is silent from now on.
        assert reply.conversation.mode == "human"
    queued.assert_called_once_with(reply.pk)
    assert portal_a.post(f"/conversations/{conversation.pk}/", {"text": ""}).status_code == 422


def test_two_first_messages_of_a_new_customer_at_once_are_both_stored(
    whatsapp_channel, monkeypatch
):
    """The second request finds no contact, then loses the race to create it."""
    from conversations import services
    from conversations.models import Contact

    real_filter = Contact.objects.filter
    calls = {"n": 0}

    def late_filter(*args, **kwargs):
        # The first lookup of the second message sees nothing: the other request's contact
        # is created right after it looked.
        calls["n"] += 1
        if calls["n"] == 1:
            message_receive(channel=whatsapp_channel, incoming=incoming(1, "first"))
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Contact.objects, "filter", late_filter)
    stored = services.message_receive(channel=whatsapp_channel, incoming=incoming(2, "second"))
    monkeypatch.undo()

    assert stored.created
    assert Contact.objects.count() == 1
    assert Message.objects.filter(conversation__contact__phone="79991112233").count() == 2


def test_one_turn_task_is_queued_per_burst(
    whatsapp_channel, monkeypatch, django_capture_on_commit_callbacks
):
    from conversations import tasks

    queued = []
    monkeypatch.setattr(tasks.turn_collect_task, "apply_async", lambda **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            message_receive(channel=whatsapp_channel, incoming=incoming(100 + n))
    assert len(queued) == 1


def test_an_ack_that_comes_before_the_reply_is_saved_is_applied_after(whatsapp_channel, fake_waha):
    from channels_app.waha.payloads import AckUpdate, DeliveryStatus
    from conversations.services import ack_apply

    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    reply = message_send(conversation=conversation, text="Hello")
    provider_id = f"true_79991112233@c.us_SENT{fake_waha.sent + 1:04d}"
    # WAHA's DEVICE ack overtakes the worker, which has not saved the id yet.
    assert not ack_apply(
        channel=whatsapp_channel,
        ack=AckUpdate(
            provider_id=provider_id, ack=2, ack_name="DEVICE", status=DeliveryStatus.DELIVERED
        ),
    )

    message_send_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert (reply.provider_id, reply.status) == (provider_id, "delivered")


def test_a_photo_reply_goes_out_through_send_image_with_its_caption(
    whatsapp_channel, fake_waha, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    photo = SimpleUploadedFile("kettle.jpg", b"\xff\xd8\xff\xe0 photo", content_type="image/jpeg")
    reply = message_send(conversation=conversation, text="This one?", attachment=photo)

    message_send_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert (reply.kind, reply.status) == ("image", "sent")
    (body,) = [body for _m, path, body in fake_waha.calls if path == "/api/sendImage"]
    assert body["caption"] == "This one?"
    assert body["file"]["mimetype"] == "image/jpeg" and body["file"]["filename"] == "kettle.jpg"
    assert body["file"]["data"]  # the bytes themselves: WAHA cannot reach our storage


def test_a_document_reply_goes_out_through_send_file(
    whatsapp_channel, fake_waha, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    conversation = message_receive(
        channel=whatsapp_channel, incoming=incoming(1)
    ).message.conversation
    price = SimpleUploadedFile("price.pdf", b"%PDF-1.4", content_type="application/pdf")
    reply = message_send(conversation=conversation, text="", attachment=price)
    message_send_task.apply(args=[reply.pk])
    assert "POST /api/sendFile" in fake_waha.paths()
    reply.refresh_from_db()
    assert (reply.kind, reply.status) == ("file", "sent")
