"""History retention: messages older than the business keeps are deleted (with their files) by
the hourly task; contacts and conversations stay; the business sees its period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from connections.models import Connection
from conversations import services
from conversations.models import Contact, Conversation, Message, Turn
from conversations.services import Inbound, history_expire, message_receive, note_add
from conversations.tasks import history_expire_task
from tenants.companies.models import Company

NOW = timezone.now()


def channel_of(business, name: str) -> Channel:
    """A web chat channel of the business's main company (call it inside its schema)."""
    connection_ = Connection.objects.create(
        business=business,
        platform=Connection.Platform.WEBCHAT,
        external_id=f"{business.slug}-retention-{name}",
        status=Connection.Status.CONNECTED,
    )
    company = Company.objects.get(name=f"{business.name} Main")
    return Channel.objects.create(
        company=company, connection=connection_, platform=Connection.Platform.WEBCHAT
    )


def message_at(channel: Channel, handle: str, age: timedelta, text: str = "") -> Message:
    """A customer's message written ``age`` before NOW."""
    number = Message.objects.count() + 1
    message = message_receive(
        channel=channel,
        incoming=Inbound(
            provider_id=f"retention-{number}", handle=handle, text=text or f"message {number}"
        ),
    ).message
    Message.objects.filter(pk=message.pk).update(created_at=NOW - age)
    Conversation.objects.filter(pk=message.conversation_id).update(last_message_at=NOW - age)
    message.refresh_from_db()
    return message


def remaining() -> set[int]:
    return set(Message.objects.values_list("pk", flat=True))


@pytest.fixture
def channel_a(in_business_a):
    return channel_of(in_business_a, "a")


def test_messages_older_than_the_period_go_and_newer_ones_stay(channel_a):
    old = message_at(channel_a, "ivan", timedelta(days=91), "my old address")
    just_too_old = message_at(channel_a, "ivan", timedelta(days=90, seconds=1))
    just_kept = message_at(channel_a, "ivan", timedelta(days=90))
    recent = message_at(channel_a, "ivan", timedelta(days=2))
    conversation = recent.conversation

    deleted = history_expire(days=90, now=NOW)

    assert deleted == 2
    assert remaining() == {just_kept.pk, recent.pk}
    assert not Message.objects.filter(pk__in=[old.pk, just_too_old.pk]).exists()
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    assert Contact.objects.filter(pk=conversation.contact_id, handle="ivan").exists()
    assert history_expire(days=90, now=NOW) == 0, "a second run finds nothing more"


def test_a_conversation_whose_history_is_gone_stays_without_its_preview(channel_a):
    quiet = message_at(channel_a, "olga", timedelta(days=200), "my card number is 4242")
    Conversation.objects.filter(pk=quiet.conversation_id).update(unread_count=1)
    lively = message_at(channel_a, "nina", timedelta(days=1), "still here")

    history_expire(days=90, now=NOW)

    gone = Conversation.objects.get(pk=quiet.conversation_id)
    assert (gone.last_message_text, gone.unread_count) == ("", 0)
    assert gone.last_message_at == NOW - timedelta(days=200), "it keeps its place in the inbox"
    assert gone.contact.handle == "olga"
    assert Conversation.objects.get(pk=lively.conversation_id).last_message_text == "still here"


def test_turns_and_notes_of_the_expired_history_go_too(channel_a, owner_a):
    old = message_at(channel_a, "petr", timedelta(days=100), "do you have kettles")
    turn = Turn.objects.create(conversation=old.conversation, text=old.text)
    Turn.objects.filter(pk=turn.pk).update(created_at=NOW - timedelta(days=100))
    Message.objects.filter(pk=old.pk).update(turn=turn)
    note = note_add(conversation=old.conversation, author=owner_a, text="VIP customer")
    Message.objects.filter(pk=note.pk).update(created_at=NOW - timedelta(days=95))
    fresh_note = note_add(conversation=old.conversation, author=owner_a, text="Called back")

    history_expire(days=90, now=NOW)

    assert not Turn.objects.filter(pk=turn.pk).exists(), "a turn repeats the customer's words"
    assert remaining() == {fresh_note.pk}


def test_media_files_of_deleted_messages_are_removed_from_storage(channel_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = message_at(channel_a, "anna", timedelta(days=120), "photo")
    new = message_at(channel_a, "anna", timedelta(days=3), "photo")
    for message in (old, new):
        message.media.save("photo.jpg", ContentFile(b"\xff\xd8 a photo"), save=True)
    storage = Message.media.field.storage
    old_file, new_file = old.media.name, new.media.name
    assert storage.exists(old_file) and storage.exists(new_file)

    history_expire(days=90, now=NOW)

    assert not storage.exists(old_file)
    assert storage.exists(new_file)
    assert remaining() == {new.pk}


def test_a_missing_media_file_does_not_keep_its_message(channel_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = message_at(channel_a, "anna", timedelta(days=120))
    Message.objects.filter(pk=old.pk).update(media="alpha/conversations/already-gone.jpg")

    assert history_expire(days=90, now=NOW) == 1
    assert remaining() == set()


def test_history_is_deleted_in_batches(channel_a, monkeypatch):
    monkeypatch.setattr(services, "HISTORY_EXPIRE_BATCH", 3)
    old = [message_at(channel_a, f"v{n % 3}", timedelta(days=100 + n)) for n in range(8)]
    kept = [message_at(channel_a, f"v{n}", timedelta(days=5)) for n in range(2)]

    with CaptureQueriesContext(connection) as queries:
        deleted = history_expire(days=90, now=NOW)

    assert deleted == len(old)
    assert remaining() == {message.pk for message in kept}
    deletes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('DELETE FROM "conversations_message"')
    ]
    assert len(deletes) == 3, "8 rows in batches of 3"


def test_a_period_shorter_than_a_day_is_refused(channel_a):
    message_at(channel_a, "ivan", timedelta(hours=1))
    with pytest.raises(ValueError, match="at least one day"):
        history_expire(days=0, now=NOW)
    assert len(remaining()) == 1


def test_the_task_applies_each_business_its_own_period(business_a, business_b):
    business_a.history_retention_days = 30
    business_a.save(update_fields=["history_retention_days"])
    business_b.history_retention_days = 365
    business_b.save(update_fields=["history_retention_days"])
    with tenant_context(business_a):
        channel = channel_of(business_a, "task")
        a_old = message_at(channel, "ivan", timedelta(days=60))
        a_new = message_at(channel, "ivan", timedelta(days=10))
    with tenant_context(business_b):
        channel = channel_of(business_b, "task")
        b_kept = message_at(channel, "maria", timedelta(days=60))
        b_old = message_at(channel, "maria", timedelta(days=400))

    deleted = history_expire_task.apply().get()

    assert deleted == 2
    with tenant_context(business_a):
        assert remaining() == {a_new.pk}
        assert not Message.objects.filter(pk=a_old.pk).exists()
    with tenant_context(business_b):
        assert remaining() == {b_kept.pk}
        assert not Message.objects.filter(pk=b_old.pk).exists()


def test_one_failing_business_does_not_stop_the_others(business_a, business_b, monkeypatch):
    business_a.history_retention_days = 0  # a broken setting: refused, never "delete all"
    business_a.save(update_fields=["history_retention_days"])
    business_b.history_retention_days = 30
    business_b.save(update_fields=["history_retention_days"])
    with tenant_context(business_a):
        channel = channel_of(business_a, "broken")
        a_message = message_at(channel, "ivan", timedelta(days=1))
    with tenant_context(business_b):
        channel = channel_of(business_b, "fine")
        message_at(channel, "maria", timedelta(days=60))

    assert history_expire_task.apply().get() == 1

    with tenant_context(business_a):
        assert remaining() == {a_message.pk}
    with tenant_context(business_b):
        assert remaining() == set()


def test_the_hourly_schedule_runs_the_task(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["conversations-history-expire"]
    assert entry["task"] == "conversations.history_expire" == history_expire_task.name
    assert entry["schedule"] == 3600.0
    assert history_expire_task.name in app.tasks


def test_the_dashboard_shows_how_long_history_is_kept(portal_a, business_a):
    business_a.history_retention_days = 30
    business_a.save(update_fields=["history_retention_days"])

    html = portal_a.get("/").content.decode()

    assert "Conversation history is kept for 30 days." in html
    business_a.history_retention_days = 1
    business_a.save(update_fields=["history_retention_days"])
    assert "Conversation history is kept for 1 day." in portal_a.get("/").content.decode()
