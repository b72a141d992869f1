"""The visitor's websocket at /ws/widget/<key>/, through the project's ASGI application.

The consumer reads the database on its own thread and hears the Redis channel layer, so
these tests commit for real (``committed_db``) and clean up what they made.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection as db_connection
from django_tenants.utils import tenant_context

from accounts.models import User
from channels_app.models import Channel
from config.asgi import application
from connections.models import Connection
from conversations import live
from conversations.models import Conversation, Message
from conversations.services import message_send, note_add
from conversations.tasks import message_send_task
from tenants.companies.models import Company
from tenants.models import Business
from webchat import services
from webchat.services import webchat_enable

from .conftest import SHOP, WidgetFixture

TIMEOUT = 5


@pytest.fixture
def committed_widget(committed_db):
    # pytest-django sets the test database up only for sessions with a ``db`` test; never
    # write into the development database when this module runs on its own.
    database = db_connection.settings_dict
    if database["NAME"] != database["TEST"]["NAME"]:
        pytest.fail("run these tests together with a test that uses the db fixture")
    business = Business.objects.get(slug="alpha")
    with tenant_context(business):
        channel = webchat_enable(company=Company.objects.get(name="Alpha Shop Main"))
    yield WidgetFixture(business, channel)
    with tenant_context(business):
        Channel.objects.filter(pk=channel.pk).delete()  # its contacts and messages with it
    Connection.objects.filter(pk=channel.connection_id).delete()


def token_for(widget: WidgetFixture, page: str = f"{SHOP}/") -> str:
    found = services.widget_get(key=widget.key)
    return services.visitor_session(widget=found, page=page).token


def socket(key: str, token: str | None, *, origin: str | None = SHOP) -> WebsocketCommunicator:
    path = f"/ws/widget/{key}/" + (f"?token={token}" if token is not None else "")
    headers = [(b"host", b"localhost")]
    if origin:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def frame_of(communicator, kind: str, **match) -> dict:
    """The next frame of a type (and matching fields), skipping others."""
    while True:
        frame = await communicator.receive_json_from(timeout=TIMEOUT)
        if frame.get("type") != kind:
            continue
        message = frame.get("message") or {}
        if all(message.get(k, frame.get(k)) == v for k, v in match.items()):
            return frame


async def closed_with(communicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return output.get("code")


def in_business(widget: WidgetFixture, func):
    def run():
        with tenant_context(widget.business):
            return func()

    return database_sync_to_async(run)


def visitor_conversation(widget: WidgetFixture) -> Conversation:
    return Conversation.objects.select_related("contact").get(channel_id=widget.channel.pk)


# Refused before accepting -----------------------------------------------------------------


def test_a_bad_token_is_closed(committed_widget):
    async def scenario():
        for token in ("forged", None, ""):
            connected, code = await socket(committed_widget.key, token).connect()
            assert (connected, code) == (False, 4403)

    async_to_sync(scenario)()


def test_a_token_of_another_widget_is_closed(committed_widget):
    from django.core import signing

    token = signing.dumps({"h": "v_abc"}, salt="webchat.visitor:another-key")

    async def scenario():
        assert await socket(committed_widget.key, token).connect() == (False, 4403)

    async_to_sync(scenario)()


def test_an_unknown_or_disabled_key_is_closed(committed_widget):
    token = token_for(committed_widget)

    async def scenario():
        assert await socket("no-such-key-here", token).connect() == (False, 4404)
        await database_sync_to_async(committed_widget.configure)(enabled=False)
        assert await socket(committed_widget.key, token).connect() == (False, 4404)

    async_to_sync(scenario)()


def test_a_page_of_a_website_not_allowed_is_closed(committed_widget):
    committed_widget.configure(allowed_origins=[SHOP])
    token = token_for(committed_widget)

    async def scenario():
        evil = socket(committed_widget.key, token, origin="https://evil.example")
        assert await evil.connect() == (False, 4403)
        allowed = socket(committed_widget.key, token, origin=SHOP)
        connected, _ = await allowed.connect()
        assert connected
        await allowed.disconnect()

    async_to_sync(scenario)()


# Live -------------------------------------------------------------------------------------


def test_a_staff_reply_arrives_at_the_visitors_socket(committed_widget):
    owner = User.objects.get(email="owner-a@example.com")
    token = token_for(committed_widget)

    async def scenario():
        visitor = socket(committed_widget.key, token)
        connected, _ = await visitor.connect()
        assert connected
        # the first message makes the conversation; the socket follows it from then on
        await visitor.send_json_to({"action": "send", "text": "Is it in stock?", "client_id": "c1"})
        sent = await frame_of(visitor, "sent")
        assert sent["client_id"] == "c1"
        assert sent["message"]["text"] == "Is it in stock?"
        assert sent["message"]["direction"] == "in"

        def reply():
            conversation = visitor_conversation(committed_widget)
            message = message_send(conversation=conversation, text="Yes, 3 left.", author=owner)
            message_send_task(message.pk)  # the worker's job, run here
            return message.pk

        reply_id = await in_business(committed_widget, reply)()
        frame = await frame_of(visitor, "message", id=reply_id, status="sent")
        assert frame["message"]["text"] == "Yes, 3 left."
        assert frame["message"]["direction"] == "out"
        await visitor.disconnect()

    async_to_sync(scenario)()
    with tenant_context(committed_widget.business):
        conversation = visitor_conversation(committed_widget)
        assert [m.text for m in conversation.messages.order_by("id")] == [
            "Is it in stock?",
            "Yes, 3 left.",
        ]
        assert conversation.contact.source == f"{SHOP}/"


def test_script_in_messages_stays_plain_data(committed_widget):
    owner = User.objects.get(email="owner-a@example.com")
    token = token_for(committed_widget)
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'

    async def scenario():
        visitor = socket(committed_widget.key, token)
        await visitor.connect()
        await visitor.send_json_to({"action": "send", "text": attack, "client_id": "x1"})
        sent = await frame_of(visitor, "sent")
        assert sent["message"]["text"] == attack  # data, for the widget's textContent

        def reply():
            conversation = visitor_conversation(committed_widget)
            message = message_send(conversation=conversation, text=attack, author=owner)
            return message.pk

        reply_id = await in_business(committed_widget, reply)()
        frame = await frame_of(visitor, "message", id=reply_id)
        assert frame["message"]["text"] == attack
        await visitor.disconnect()

    async_to_sync(scenario)()
    with tenant_context(committed_widget.business):
        stored = Message.objects.filter(channel_id=committed_widget.channel.pk).first()
        assert stored.text == attack
        staff_html = live.message_html(stored)["en"]
    assert "<script>alert(2)" not in staff_html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in staff_html


def test_a_second_tab_of_the_visitor_hears_the_first(committed_widget):
    token = token_for(committed_widget)

    async def scenario():
        first = socket(committed_widget.key, token)
        await first.connect()
        await first.send_json_to({"action": "send", "text": "hello", "client_id": "c1"})
        await frame_of(first, "sent")
        second = socket(committed_widget.key, token)
        assert (await second.connect())[0]  # joins the conversation at once
        await first.send_json_to({"action": "send", "text": "again", "client_id": "c2"})
        frame = await frame_of(second, "message", text="again")
        assert frame["message"]["direction"] == "in"
        await first.disconnect()
        await second.disconnect()

    async_to_sync(scenario)()


def test_resume_sends_what_was_missed_without_notes(committed_widget):
    owner = User.objects.get(email="owner-a@example.com")
    token = token_for(committed_widget)
    found = services.widget_get(key=committed_widget.key)
    visitor = services.visitor_token_read(widget=found, token=token)
    first = services.visitor_message_send(
        widget=found, visitor=visitor, text="first", client_id="c1"
    )
    with tenant_context(committed_widget.business):
        conversation = visitor_conversation(committed_widget)
        note_add(conversation=conversation, author=owner, text="INTERNAL note")
        message_send(conversation=conversation, text="missed reply", author=owner)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        await communicator.connect()
        await communicator.send_json_to({"action": "resume", "after": first.message["id"]})
        frames = []
        while True:
            frame = await communicator.receive_json_from(timeout=TIMEOUT)
            frames.append(frame)
            if frame["type"] == "resumed":
                break
        await communicator.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    messages = [f["message"] for f in frames if f["type"] == "message"]
    assert [m["text"] for m in messages] == ["missed reply"]
    assert frames[-1] == {"type": "resumed", "last": messages[-1]["id"]}


def test_a_first_message_sent_over_http_is_followed_after_resume(committed_widget):
    owner = User.objects.get(email="owner-a@example.com")
    token = token_for(committed_widget)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        await communicator.connect()

        def send_over_http():
            found = services.widget_get(key=committed_widget.key)
            visitor = services.visitor_token_read(widget=found, token=token)
            return services.visitor_message_send(
                widget=found, visitor=visitor, text="by http", client_id="h1"
            )

        sent = await database_sync_to_async(send_over_http)()
        await communicator.send_json_to({"action": "resume", "after": sent.message["id"]})
        await frame_of(communicator, "resumed")

        def reply():
            conversation = visitor_conversation(committed_widget)
            return message_send(conversation=conversation, text="got it", author=owner).pk

        reply_id = await in_business(committed_widget, reply)()
        await frame_of(communicator, "message", id=reply_id)
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_typing_goes_both_ways(committed_widget):
    token = token_for(committed_widget)
    layer = get_channel_layer()

    async def scenario():
        visitor = socket(committed_widget.key, token)
        await visitor.connect()
        await visitor.send_json_to({"action": "send", "text": "hi", "client_id": "c1"})
        await frame_of(visitor, "sent")
        conversation_id = await in_business(
            committed_widget, lambda: visitor_conversation(committed_widget).pk
        )()
        staff = await layer.new_channel()
        schema = committed_widget.business.schema_name
        await layer.group_add(live.conversation_group(schema, conversation_id), staff)

        await visitor.send_json_to({"action": "typing", "active": True})
        event = await asyncio.wait_for(layer.receive(staff), TIMEOUT)
        while event["type"] != "typing":
            event = await asyncio.wait_for(layer.receive(staff), TIMEOUT)
        assert event["side"] == "visitor"
        assert event["active"] is True
        assert event["who"].startswith("Visitor ")
        assert event["conversation"] == conversation_id

        await in_business(
            committed_widget,
            lambda: live.typing_published(
                conversation_id=conversation_id, who="Dana", side="staff", active=True
            ),
        )()
        frame = await frame_of(visitor, "typing")
        assert frame == {"type": "typing", "active": True}
        await layer.group_discard(live.conversation_group(schema, conversation_id), staff)
        await visitor.disconnect()

    async_to_sync(scenario)()


# Limits and faults ------------------------------------------------------------------------


def test_a_frame_storm_is_closed(committed_widget, settings):
    settings.WIDGET_FRAMES_PER_10_SECONDS = 5
    token = token_for(committed_widget)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        await communicator.connect()
        for _ in range(settings.WIDGET_FRAMES_PER_10_SECONDS + 1):
            await communicator.send_json_to({"action": "typing", "active": True})
        assert await closed_with(communicator) == 4429

    async_to_sync(scenario)()


def test_socket_messages_share_the_http_limits(committed_widget, settings):
    settings.WIDGET_MESSAGES_PER_MINUTE = 1
    token = token_for(committed_widget)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        await communicator.connect()
        await communicator.send_json_to({"action": "send", "text": "x" * 5000, "client_id": "a"})
        too_long = await frame_of(communicator, "error")
        assert (too_long["code"], too_long["client_id"]) == ("too_long", "a")
        await communicator.send_json_to({"action": "send", "text": " ", "client_id": "b"})
        assert (await frame_of(communicator, "error"))["code"] == "empty"
        await communicator.send_json_to({"action": "send", "text": "one", "client_id": "c"})
        await frame_of(communicator, "sent")
        await communicator.send_json_to({"action": "send", "text": "two", "client_id": "d"})
        limited = await frame_of(communicator, "error")
        assert limited["code"] == "rate_limited"
        assert 1 <= limited["retry_after"] <= 60
        # a retry of the stored one is answered, not counted
        await communicator.send_json_to({"action": "send", "text": "one", "client_id": "c"})
        again = await frame_of(communicator, "sent")
        assert again["client_id"] == "c"
        await communicator.send_json_to({"action": "what"})
        assert (await frame_of(communicator, "error"))["code"] == "bad_request"
        await communicator.send_to(text_data="not json")
        assert (await frame_of(communicator, "error"))["code"] == "bad_request"
        await communicator.disconnect()

    async_to_sync(scenario)()
    with tenant_context(committed_widget.business):
        texts = list(
            Message.objects.filter(channel_id=committed_widget.channel.pk).values_list(
                "text", flat=True
            )
        )
    assert texts == ["one"]


def test_a_widget_switched_off_closes_the_socket_on_the_next_message(committed_widget):
    token = token_for(committed_widget)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        assert (await communicator.connect())[0]
        await database_sync_to_async(committed_widget.configure)(enabled=False)
        await communicator.send_json_to({"action": "send", "text": "anyone?", "client_id": "c1"})
        assert await closed_with(communicator) == 4404

    async_to_sync(scenario)()
    with tenant_context(committed_widget.business):
        assert not Message.objects.filter(channel_id=committed_widget.channel.pk).exists()


def test_a_first_message_sent_over_http_gets_its_reply_live_without_a_resume(committed_widget):
    """The socket opened before the visitor's conversation existed (no resume asked): the
    reply to a first message sent over HTTP still arrives on it."""
    owner = User.objects.get(email="owner-a@example.com")
    token = token_for(committed_widget)

    async def scenario():
        communicator = socket(committed_widget.key, token)
        await communicator.connect()

        def send_over_http():
            found = services.widget_get(key=committed_widget.key)
            visitor = services.visitor_token_read(widget=found, token=token)
            return services.visitor_message_send(
                widget=found, visitor=visitor, text="first, by http", client_id="h2"
            )

        await database_sync_to_async(send_over_http)()

        def reply():
            conversation = visitor_conversation(committed_widget)
            return message_send(conversation=conversation, text="hello there", author=owner).pk

        reply_id = await in_business(committed_widget, reply)()
        await frame_of(communicator, "message", id=reply_id)
        await communicator.disconnect()

    async_to_sync(scenario)()
