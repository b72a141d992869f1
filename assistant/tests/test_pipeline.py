"""The assistant on real turns: it answers from the knowledge base, sends the privacy notice
once, hands over to a person, stays silent when a person has the conversation, and counts."""

from __future__ import annotations

from datetime import datetime, time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from assistant.hours import is_open, next_opening
from assistant.models import BehaviourSetting
from assistant.pipeline import turn_answer
from assistant.tests.catalogue import teas_create
from assistant.types import WorkingHours
from conversations.models import Conversation, Message, MonthlyUsage, Turn
from conversations.services import (
    Inbound,
    conversation_take_over,
    message_receive,
    turn_collect,
)
from conversations.tasks import message_send_task
from tenants.companies.models import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(in_business_a):
    company = Company.objects.get(name="Alpha Shop Main")
    teas_create(company)
    return company


def _turn(channel, text: str, n: int, settings) -> Turn:
    settings.CONVERSATION_BURST_SECONDS = 0
    message_receive(
        channel=channel,
        incoming=Inbound(
            provider_id=f"p-{n}",
            handle="",
            phone="79001112233",
            chat_id="79001112233@c.us",
            name="Ivan",
            text=text,
        ),
    )
    conversation = Conversation.objects.get(channel=channel)
    with mock.patch("conversations.services._queue"):  # the task is run by hand below
        return turn_collect(conversation_id=conversation.pk).turn


def _replies(conversation_id: int) -> list[Message]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, direction="out").order_by("id")
    )


def test_a_price_question_is_answered_from_the_knowledge_base(
    catalogue, whatsapp_channel, settings
):
    turn = _turn(whatsapp_channel, "Сколько стоит Sencha?", 1, settings)
    answered = turn_answer(turn_id=turn.pk)
    assert answered is not None
    [reply] = _replies(turn.conversation_id)
    assert "Sencha Green Tea" in reply.text and "450" in reply.text
    assert reply.by_assistant and reply.status == "pending"
    assert reply.message_class == "type1" and reply.response_ms is not None
    turn.refresh_from_db()
    assert turn.status == "answered"
    usage = MonthlyUsage.objects.get()
    assert (usage.assistant_replies, usage.type1) == (1, 1)
    # answered once: the same turn again does nothing
    assert turn_answer(turn_id=turn.pk) is None
    assert len(_replies(turn.conversation_id)) == 1


def test_the_privacy_notice_goes_once_to_each_new_contact(catalogue, whatsapp_channel, settings):
    BehaviourSetting.objects.create(
        company=catalogue,
        privacy_notice="We keep your messages to answer you. Details: x8.example/privacy",
    )
    first = _turn(whatsapp_channel, "Hello", 1, settings)
    turn_answer(turn_id=first.pk)
    second = _turn(whatsapp_channel, "Earl Grey price?", 2, settings)
    turn_answer(turn_id=second.pk)
    texts = [m.text for m in _replies(first.conversation_id)]
    assert sum("privacy" in text for text in texts) == 1
    assert texts[0].startswith("We keep your messages")
    assert any("390" in text for text in texts[1:])


def test_asking_for_a_person_hands_over_and_the_notice_still_goes_out(
    catalogue, whatsapp_channel, settings, fake_waha, django_capture_on_commit_callbacks
):
    turn = _turn(whatsapp_channel, "Позовите оператора, пожалуйста", 1, settings)
    with (
        mock.patch("conversations.live.conversation_published") as published,
        django_capture_on_commit_callbacks(execute=True),
        mock.patch("conversations.tasks.message_send_task.delay"),
    ):
        answered = turn_answer(turn_id=turn.pk)
    assert answered.reply.handoff
    conversation = Conversation.objects.get(pk=turn.conversation_id)
    assert (conversation.mode, conversation.status) == ("human", "pending")
    assert any(call.kwargs.get("alert") for call in published.call_args_list)
    [notice] = _replies(conversation.pk)
    assert notice.message_class == "type3"
    message_send_task.apply(args=[notice.pk])  # after the hand-off, it is still sent
    notice.refresh_from_db()
    assert notice.status == "sent"

    # The assistant is silent until handed back.
    later = _turn(whatsapp_channel, "Сколько стоит Sencha?", 2, settings)
    assert turn_answer(turn_id=later.pk) is None
    later.refresh_from_db()
    assert later.status == "awaiting_reply"


def test_a_taken_over_conversation_gets_no_answer(catalogue, whatsapp_channel, settings, owner_a):
    turn = _turn(whatsapp_channel, "Sencha price?", 1, settings)
    conversation_take_over(conversation=turn.conversation, user=owner_a)
    assert turn_answer(turn_id=turn.pk) is None
    assert _replies(turn.conversation_id) == []


def test_a_customer_who_wrote_again_is_answered_once_for_everything(
    catalogue, whatsapp_channel, settings
):
    first = _turn(whatsapp_channel, "Hello", 1, settings)
    second = _turn(whatsapp_channel, "Sencha price?", 2, settings)
    assert turn_answer(turn_id=first.pk) is None  # skipped: a newer turn is waiting
    first.refresh_from_db()
    assert first.status == "skipped"
    turn_answer(turn_id=second.pk)
    assert len(_replies(second.conversation_id)) == 1


def test_out_of_hours_the_answer_says_when_a_person_will_answer(
    catalogue, whatsapp_channel, settings
):
    BehaviourSetting.objects.create(
        company=catalogue,
        working_hours={"0": ["09:00", "18:00"]},
        timezone="Europe/Moscow",
        out_of_hours="We are closed; the assistant answers meanwhile.",
    )
    sunday_night = datetime(2026, 11, 22, 23, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    turn = _turn(whatsapp_channel, "Sencha price?", 1, settings)
    turn_answer(turn_id=turn.pk, now=sunday_night)
    texts = [m.text for m in _replies(turn.conversation_id)]
    assert texts[0] == "We are closed; the assistant answers meanwhile."
    assert "450" in texts[1]

    person = _turn(whatsapp_channel, "I want a human", 2, settings)
    turn_answer(turn_id=person.pk, now=sunday_night)
    last = _replies(person.conversation_id)[-1].text
    assert "23.11 09:00" in last  # Monday's opening
    # the out-of-hours answer is not repeated within the day
    assert (
        sum(
            t.startswith("We are closed;") for t in (m.text for m in _replies(turn.conversation_id))
        )
        == 1
    )


def test_opening_hours():
    hours = WorkingHours(days={0: (time(9), time(18)), 4: (time(10), time(16))}, timezone="UTC")
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert is_open(hours, monday_noon)
    assert not is_open(hours, monday_noon.replace(hour=19))
    assert next_opening(hours, monday_noon.replace(hour=19)) == datetime(
        2026, 11, 27, 10, 0, tzinfo=ZoneInfo("UTC")
    )
    assert is_open(WorkingHours(), monday_noon)  # no hours: always open


def test_with_an_ai_service_its_checked_answer_goes_out_and_tokens_are_counted(
    catalogue, whatsapp_channel, settings
):
    from assistant.tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        settings.ASSISTANT_AI_BASE_URL = server.base_url
        settings.ASSISTANT_AI_MODEL = "test-model"
        server.reply = "Sencha Green Tea is 450 ₽ for 100 g, and it is in stock."
        server.prompt_tokens, server.completion_tokens = 120, 30
        turn = _turn(whatsapp_channel, "Sencha price?", 1, settings)
        turn_answer(turn_id=turn.pk)
        [reply] = _replies(turn.conversation_id)
        assert reply.text == server.reply
        assert (reply.tokens_in, reply.tokens_out) == (120, 30)

        # A made-up price never reaches the customer: the rules' answer goes instead.
        server.reply = "Sencha Green Tea is only 99 ₽ today!"
        second = _turn(whatsapp_channel, "And Sencha again?", 2, settings)
        turn_answer(turn_id=second.pk)
        last = _replies(turn.conversation_id)[-1]
        assert "99 ₽" not in last.text and "450" in last.text
    assert MonthlyUsage.objects.get().tokens == 300


def test_the_dashboard_shows_the_months_assistant_replies(portal_a, in_business_a):
    from conversations.services import usage_count

    usage_count(message_class="type1", tokens=0, response_ms=1200)
    usage_count(message_class="type2", tokens=0, response_ms=800)
    page = portal_a.get("/").content.decode()
    assert "The assistant sent 2 replies in" in page
    assert "Information: 1, payment requests: 1, transactional: 0." in page
    assert "Average time to reply: 1000 ms." in page
