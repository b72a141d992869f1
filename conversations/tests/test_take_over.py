"""A person takes a conversation over: the assistant stops at once; assigning, statuses,
notes, the contact's card and quick replies."""

from __future__ import annotations

from unittest import mock

import pytest

from accounts.models import Membership, User
from conversations.models import Conversation, Message, QuickReply
from conversations.services import (
    Inbound,
    conversation_hand_back,
    conversation_take_over,
    message_receive,
    message_send,
    turn_collect,
)
from conversations.tasks import message_send_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(whatsapp_channel):
    return message_receive(
        channel=whatsapp_channel,
        incoming=Inbound(
            provider_id="in-1",
            handle="",
            phone="79001112233",
            text="Hi",
            chat_id="79001112233@c.us",
            name="Ivan",
        ),
    ).message.conversation


def test_taking_over_cancels_an_assistant_reply_already_queued(
    conversation, owner_a, fake_waha, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        queued = message_send(conversation=conversation, text="Assistant: our prices are…")
    assert queued.by_assistant and queued.status == "pending"

    conversation_take_over(conversation=conversation, user=owner_a)
    message_send_task.apply(args=[queued.pk])  # the task that was already in the queue

    queued.refresh_from_db()
    assert queued.status == "canceled"
    assert "took the conversation over" in queued.error
    assert not [path for _m, path, _b in fake_waha.calls if path.endswith("/sendText")]
    conversation.refresh_from_db()
    assert (conversation.mode, conversation.assignee_id) == ("human", owner_a.pk)


def test_an_assistant_reply_whose_task_runs_late_is_dropped_too(conversation, owner_a, fake_waha):
    queued = message_send(conversation=conversation, text="Assistant reply")
    # Taken over by changing the mode only (as an API client or a hand-off would).
    Conversation.objects.filter(pk=conversation.pk).update(mode="human")
    message_send_task.apply(args=[queued.pk])
    queued.refresh_from_db()
    assert queued.status == "canceled"
    assert not [path for _m, path, _b in fake_waha.calls if path.endswith("/sendText")]


def test_a_persons_reply_is_sent_after_take_over(conversation, owner_a, fake_waha):
    reply = message_send(conversation=conversation, text="Hello, I am Olga", author=owner_a)
    message_send_task.apply(args=[reply.pk])
    reply.refresh_from_db()
    assert reply.status == "sent"
    assert [path for _m, path, _b in fake_waha.calls if path.endswith("/sendText")]


def test_a_burst_collected_after_take_over_is_not_given_to_the_assistant(
    conversation, owner_a, settings, django_capture_on_commit_callbacks
):
    settings.CONVERSATION_BURST_SECONDS = 0
    conversation_take_over(conversation=conversation, user=owner_a)
    with (
        mock.patch("conversations.tasks.seen_send_task.delay") as seen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        collected = turn_collect(conversation_id=conversation.pk)
    assert collected.turn is not None
    seen.assert_not_called()  # nothing is handed to the assistant while a person has it

    conversation_hand_back(conversation=conversation)
    message_receive(
        channel=conversation.channel,
        incoming=Inbound(
            provider_id="in-2",
            handle="",
            phone="79001112233",
            text="Again",
            chat_id="79001112233@c.us",
        ),
    )
    with (
        mock.patch("conversations.tasks.seen_send_task.delay") as seen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        turn_collect(conversation_id=conversation.pk)
    seen.assert_called_once()


def test_page_actions_take_over_assign_resolve_reopen_archive(
    conversation, portal_a, owner_a, business_a
):
    colleague = User.objects.create_user(
        email="olga@example.com", password="x" * 12, full_name="Olga Petrova"
    )
    Membership.objects.create(user=colleague, business=business_a, role="staff")
    stranger = User.objects.create_user(email="stranger@example.com", password="x" * 12)
    base = f"/conversations/{conversation.pk}"

    page = portal_a.post(f"{base}/take-over/", HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and 'data-mode="human"' in page.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee_id == owner_a.pk

    portal_a.post(f"{base}/assign/", {"assignee": colleague.pk})
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.mode) == (colleague.pk, "human")
    assert "Olga answers this conversation" in portal_a.get(f"{base}/").content.decode()

    portal_a.post(f"{base}/assign/", {"assignee": stranger.pk})  # not a member: refused
    conversation.refresh_from_db()
    assert conversation.assignee_id == colleague.pk

    for action, status in [("resolve", "resolved"), ("reopen", "open"), ("archive", "archived")]:
        assert portal_a.post(f"{base}/{action}/").status_code == 302
        conversation.refresh_from_db()
        assert conversation.status == status
    assert portal_a.post(f"{base}/explode/").status_code == 404

    portal_a.post(f"{base}/hand-back/")
    conversation.refresh_from_db()
    assert (conversation.mode, conversation.assignee_id) == ("assistant", None)


def test_a_customer_writing_again_reopens_a_resolved_conversation(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved", unread_count=0)
    message_receive(
        channel=conversation.channel,
        incoming=Inbound(
            provider_id="in-3",
            handle="",
            phone="79001112233",
            text="One more",
            chat_id="79001112233@c.us",
        ),
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.unread_count) == ("open", 1)
    assert conversation.last_message_text == "One more"


def test_notes_are_kept_for_staff_and_never_sent(conversation, portal_a, fake_waha):
    response = portal_a.post(
        f"/conversations/{conversation.pk}/", {"text": "VIP, be nice", "note": "on"}
    )
    assert response.status_code == 302
    note = Message.objects.get(direction="note")
    assert note.text == "VIP, be nice" and note.status == "received"
    assert "Internal note" in portal_a.get(f"/conversations/{conversation.pk}/").content.decode()
    conversation.refresh_from_db()
    assert conversation.mode == "assistant"  # a note does not take the conversation over
    assert not fake_waha.calls


def test_the_conversation_page_shows_history_state_and_card(conversation, portal_a):
    contact = conversation.contact
    contact.name = '<img src=x onerror="alert(1)">'
    contact.save()
    Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction="out",
        status="failed",
        text="failed one",
        error="WAHA said no",
    )
    Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction="out",
        status="read",
        text="read one",
        sent_by="Olga",
    )
    page = portal_a.get(f"/conversations/{conversation.pk}/").content.decode()
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'class="day-separator"' in page
    assert 'data-testid="resend"' in page and "WAHA said no" in page
    assert "Olga" in page and "ticks-read" in page
    assert "No payment link" in page
    assert "79001112233" in page
    conversation.refresh_from_db()
    assert conversation.unread_count == 0  # opening it marks it read


def test_the_contact_card_is_edited(conversation, portal_a):
    response = portal_a.post(
        f"/conversations/{conversation.pk}/contact/",
        {
            "name": "Ivan P.",
            "email": "ivan@example.com",
            "source": "Instagram ad",
            "tags": "vip, wholesale, vip",
            "notes": "Prefers evenings",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    contact = conversation.contact
    contact.refresh_from_db()
    assert (contact.name, contact.source, contact.tags, contact.notes) == (
        "Ivan P.",
        "Instagram ad",
        ["vip", "wholesale"],
        "Prefers evenings",
    )
    bad = portal_a.post(
        f"/conversations/{conversation.pk}/contact/", {"email": "nope"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422


def test_an_oversized_reply_is_refused_and_nothing_is_queued(conversation, portal_a, settings):
    response = portal_a.post(
        f"/conversations/{conversation.pk}/", {"text": "x" * (settings.MESSAGE_MAX_CHARS + 1)}
    )
    assert response.status_code == 422
    assert not Message.objects.filter(direction="out").exists()


def test_quick_replies_are_managed_and_offered_in_the_reply_box(conversation, portal_a):
    response = portal_a.post(
        "/conversations/quick-replies/", {"shortcut": "hours", "text": "We are open 9–18."}
    )
    assert response.status_code == 302
    duplicate = portal_a.post("/conversations/quick-replies/", {"shortcut": "hours", "text": "x"})
    assert duplicate.status_code == 422
    page = portal_a.get(f"/conversations/{conversation.pk}/").content.decode()
    assert '"shortcut": "hours"' in page and "We are open 9\\u201318." in page
    reply = QuickReply.objects.get()
    portal_a.post(f"/conversations/quick-replies/{reply.pk}/delete/")
    assert not QuickReply.objects.exists()


def test_an_htmx_reply_returns_a_fresh_form_with_the_message_for_the_page(conversation, portal_a):
    response = portal_a.post(
        f"/conversations/{conversation.pk}/", {"text": "On its way"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    reply = Message.objects.get(direction="out")
    # The page places it unless the socket's copy (with a newer status) came first.
    assert f'<template data-sent-message="{reply.pk}">' in page
    assert f'id="message-{reply.pk}"' in page and "On its way" in page
    assert 'name="text"' in page and "On its way</textarea>" not in page


def test_waiting_for_a_person_silences_the_assistant_and_alerts_staff(
    conversation, django_capture_on_commit_callbacks
):
    from conversations.services import assistant_may_answer, conversation_wait_for_person

    with (
        mock.patch("conversations.live.conversation_published") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        conversation_wait_for_person(conversation=conversation, reason="asked for a person")
    conversation.refresh_from_db()
    assert (conversation.mode, conversation.status) == ("human", "pending")
    assert not assistant_may_answer(conversation)
    alerts = [call.kwargs.get("alert") for call in published.call_args_list]
    assert [(a.kind, a.body) for a in alerts if a] == [("waiting", "asked for a person")]


def test_fragments_link_to_the_portal_even_for_a_request_of_the_public_host(conversation):
    from django.urls import get_urlconf, set_urlconf

    from conversations import live

    message = conversation.messages.get()
    previous = get_urlconf()
    set_urlconf("config.urls_public")  # as for a web chat visitor's request
    try:
        row = live.row_html(conversation)["en"]
        html = live.message_html(message)["en"]
    finally:
        set_urlconf(previous)
    assert f'href="/conversations/{conversation.pk}/"' in row
    assert f'id="message-{message.pk}"' in html
