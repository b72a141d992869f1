"""One customer, one conversation: a new customer's first messages arriving at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from connections.models import Connection
from conversations.models import Contact, Conversation, Message
from conversations.services import Inbound, message_receive
from tenants.companies.models import Company
from tenants.models import Business

PARALLEL = 8


@pytest.fixture
def channel(committed_db):
    business = Business.objects.get(slug="alpha")
    connection = Connection.objects.create(
        business=business, platform="webchat", external_id="race-test", status="connected"
    )
    with tenant_context(business):
        channel = Channel.objects.create(
            company=Company.objects.get(name="Alpha Shop Main"),
            connection=connection,
            platform="webchat",
        )
    yield business, channel
    with tenant_context(business):
        Conversation.objects.filter(channel=channel).delete()
        Contact.objects.filter(channel=channel).delete()
        channel.delete()
    connection.delete()


def _at_once(business, channel, make_incoming) -> list[BaseException]:
    barrier = threading.Barrier(PARALLEL)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with tenant_context(business):
                barrier.wait(timeout=10)
                message_receive(channel=channel, incoming=make_incoming(n))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.parametrize(
    "identity",
    [
        {"handle": "visitor-race"},
        {"handle": "", "phone": "79005550000", "chat_id": "79005550000@c.us"},
        {"handle": "", "lid": "123456789@lid", "chat_id": "123456789@lid"},
    ],
    ids=["web-chat-visitor", "whatsapp-phone", "whatsapp-lid"],
)
def test_simultaneous_first_messages_make_one_contact_and_one_conversation(channel, identity):
    business, chat = channel
    errors = _at_once(
        business,
        chat,
        lambda n: Inbound(provider_id=f"race-{n}", text=f"message {n}", **identity),
    )
    assert errors == []
    with tenant_context(business):
        assert Contact.objects.filter(channel=chat).count() == 1
        conversation = Conversation.objects.get(channel=chat)
        assert Message.objects.filter(conversation=conversation).count() == PARALLEL
        assert conversation.unread_count == PARALLEL


def test_the_same_message_delivered_in_parallel_is_stored_once(channel):
    business, chat = channel
    errors = _at_once(
        business, chat, lambda n: Inbound(provider_id="same-id", handle="twice", text="hi")
    )
    assert errors == []
    with tenant_context(business):
        assert Message.objects.filter(channel=chat).count() == 1
        assert Conversation.objects.get(channel=chat).unread_count == 1
