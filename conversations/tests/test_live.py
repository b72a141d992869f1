"""The staff's websocket: who may open it, what it carries, and catching up after a drop."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from channels_app.models import Channel
from config.asgi import application
from conftest import committed_session_fixtures, host_client
from connections.models import Connection
from conversations.models import Conversation, Message
from conversations.services import Inbound, message_receive, message_send
from tenants.companies.models import Company

TIMEOUT = 5


# Consumers read on their own database connections: everything here is committed for real
# (so no ``db`` fixture), and each test removes what it made.
business_a, business_b, owner_a, owner_b = committed_session_fixtures()


@pytest.fixture
def webchat(business_a):
    """A web chat channel of business A with committed rows; removed afterwards."""
    connection = Connection.objects.create(
        business=business_a,
        platform=Connection.Platform.WEBCHAT,
        external_id=f"live-test-{uuid.uuid4().hex[:8]}",
        status=Connection.Status.CONNECTED,
    )
    with tenant_context(business_a):
        channel = Channel.objects.create(
            company=Company.objects.get(name="Alpha Shop Main"),
            connection=connection,
            platform=Connection.Platform.WEBCHAT,
        )
    yield channel
    with tenant_context(business_a):
        Conversation.objects.filter(channel=channel).delete()
        channel.delete()
    connection.delete()


def receive(business, channel, text, *, handle="visitor-1", name="Visitor", n=None):
    with tenant_context(business):
        return message_receive(
            channel=channel,
            incoming=Inbound(
                provider_id=f"webchat:{handle}:{n if n is not None else text}",
                handle=handle,
                text=text,
                name=name,
            ),
        ).message


def cookie_for(user, host="alpha.localhost") -> bytes:
    client = host_client(host, user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(host="alpha.localhost", cookie=b"", origin=None):
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}:8000").encode())]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


async def frames_until(communicator, wanted: str, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = json.loads(await communicator.receive_from(timeout=TIMEOUT))
        if frame["type"] == wanted:
            return frame
    raise AssertionError(f"no {wanted} frame")


def test_a_member_sees_a_new_message_and_its_inbox_row_live(business_a, owner_a, webchat):
    first = receive(business_a, webchat, "Hello", n=1)

    async def go():
        communicator = socket(cookie=await sync_to_async(cookie_for)(owner_a))
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        hello = await communicator.receive_json_from(timeout=TIMEOUT)
        assert hello["type"] == "hello" and hello["notify_sound"] is True
        await communicator.send_json_to(
            {"action": "follow", "conversation": first.conversation_id, "after": first.pk}
        )
        assert (await frames_until(communicator, "following"))["conversation"] == (
            first.conversation_id
        )
        second = await sync_to_async(receive)(
            business_a, webchat, "<script>alert(1)</script> price?", n=2
        )
        message = await frames_until(communicator, "message")
        row = await frames_until(communicator, "row")
        await communicator.disconnect()
        return second, message, row

    second, message, row = asyncio.run(go())
    assert message["id"] == second.pk
    assert "&lt;script&gt;alert(1)&lt;/script&gt; price?" in message["html"]
    assert "<script>" not in message["html"]
    assert f'id="message-{second.pk}"' in message["html"]
    assert row["conversation"] == second.conversation_id
    assert 'data-testid="unread">2<' in row["html"].replace("\n", "")


def test_the_same_fragment_is_rendered_over_http_and_pushed(business_a, owner_a, webchat):
    message = receive(business_a, webchat, "Same fragment", n=1)
    page = host_client("alpha.localhost", owner_a).get(f"/conversations/{message.conversation_id}/")
    from conversations import live

    with tenant_context(business_a):
        pushed = live.message_html(Message.objects.get(pk=message.pk))["en"].strip()
    assert pushed in page.content.decode()


@pytest.mark.parametrize(
    "host, who",
    [("alpha.localhost", "stranger"), ("alpha.localhost", "anonymous"), ("beta.localhost", "a")],
)
def test_sockets_of_non_members_are_closed(business_a, owner_a, owner_b, host, who):
    user = {"stranger": owner_b, "a": owner_a}.get(who)

    async def go():
        cookie = await sync_to_async(cookie_for)(user, host) if user else b""
        communicator = socket(host=host, cookie=cookie)
        connected, code = await communicator.connect(timeout=TIMEOUT)
        await communicator.disconnect()
        return connected, code

    connected, code = asyncio.run(go())
    assert not connected
    assert code == 4403


def test_unknown_hosts_and_foreign_pages_are_refused(owner_a):
    async def go():
        unknown = socket(host="nobody.localhost")
        refused_host = await unknown.connect(timeout=TIMEOUT)
        cookie = await sync_to_async(cookie_for)(owner_a)
        foreign = socket(cookie=cookie, origin="http://evil.example")
        refused_origin = await foreign.connect(timeout=TIMEOUT)
        return refused_host, refused_origin

    (host_ok, host_code), (origin_ok, _) = asyncio.run(go())
    assert (host_ok, host_code) == (False, 4404)
    assert origin_ok is False


def test_following_a_conversation_of_another_business_closes_the_socket(
    business_a, business_b, owner_a, webchat
):
    # Business B has a conversation; its id is not a conversation of business A.
    connection = Connection.objects.create(
        business=business_b, platform="webchat", external_id="live-test-b"
    )
    with tenant_context(business_b):
        channel_b = Channel.objects.create(
            company=Company.objects.first(), connection=connection, platform="webchat"
        )
        foreign = receive(business_b, channel_b, "B's secret", handle="b-visitor")
    with tenant_context(business_a):
        assert not Conversation.objects.filter(pk=foreign.conversation_id).exists()

    async def go():
        communicator = socket(cookie=await sync_to_async(cookie_for)(owner_a))
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        await communicator.receive_json_from(timeout=TIMEOUT)  # hello
        await communicator.send_json_to(
            {"action": "follow", "conversation": foreign.conversation_id, "after": 0}
        )
        closed = await communicator.receive_output(timeout=TIMEOUT)
        # Nothing of business B reaches A's socket afterwards either.
        await sync_to_async(receive)(business_b, channel_b, "More of B", handle="b-visitor")
        nothing = await communicator.receive_nothing(timeout=0.5)
        return closed, nothing

    try:
        closed, nothing = asyncio.run(go())
    finally:
        with tenant_context(business_b):
            Conversation.objects.filter(channel=channel_b).delete()
            channel_b.delete()
        connection.delete()
    assert closed == {"type": "websocket.close", "code": 4404}
    assert nothing


def test_a_reconnecting_page_gets_what_it_missed_once(business_a, owner_a, webchat):
    seen = receive(business_a, webchat, "seen before the drop", n=1)
    with tenant_context(business_a):
        Message.objects.filter(pk=seen.pk).update(updated_at=timezone.now() - timedelta(minutes=1))
        dropped_at = time.time() * 1000
        conversation = Conversation.objects.get(pk=seen.conversation_id)
        # While the page was away: two customer messages and a reply.
        missed = [receive(business_a, webchat, f"missed {i}", n=10 + i) for i in range(2)]
        reply = message_send(conversation=conversation, text="reply while away")

    async def go():
        communicator = socket(cookie=await sync_to_async(cookie_for)(owner_a))
        await communicator.connect(timeout=TIMEOUT)
        await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.send_json_to(
            {
                "action": "follow",
                "conversation": conversation.pk,
                "after": seen.pk,
                "resume": True,
                "since": dropped_at,
            }
        )
        got = []
        while True:
            frame = await communicator.receive_json_from(timeout=TIMEOUT)
            if frame["type"] == "following":
                break
            got.append(frame["id"])
        await communicator.disconnect()
        return got

    got = asyncio.run(go())
    assert got == [missed[0].pk, missed[1].pk, reply.pk]


def test_staff_typing_reaches_colleagues_and_a_frame_storm_is_closed(business_a, owner_a, webchat):
    message = receive(business_a, webchat, "typing test", n=1)
    colleague = User.objects.create_user(email="colleague-live@example.com", password="x" * 12)
    Membership.objects.create(user=colleague, business=business_a, role="staff")

    async def go():
        one = socket(cookie=await sync_to_async(cookie_for)(owner_a))
        two = socket(cookie=await sync_to_async(cookie_for)(colleague))
        for communicator in (one, two):
            await communicator.connect(timeout=TIMEOUT)
            await communicator.receive_json_from(timeout=TIMEOUT)
            await communicator.send_json_to(
                {"action": "follow", "conversation": message.conversation_id, "after": 0}
            )
            await frames_until(communicator, "following")
        await one.send_json_to({"action": "typing", "active": True})
        typing = await frames_until(two, "typing")
        own_echo = await one.receive_nothing(timeout=0.3)
        for _ in range(80):
            await two.send_json_to({"action": "typing", "active": True})
        closed = None
        for _ in range(200):
            output = await two.receive_output(timeout=TIMEOUT)
            if output["type"] == "websocket.close":
                closed = output
                break
        await one.disconnect()
        return typing, own_echo, closed

    try:
        typing, own_echo, closed = asyncio.run(go())
    finally:
        colleague.delete()
    assert typing["side"] == "staff" and typing["who"] == owner_a.get_short_name()
    assert own_echo
    assert closed == {"type": "websocket.close", "code": 4429}


def test_a_resume_sends_again_a_message_whose_status_changed_during_the_drop(
    business_a, owner_a, webchat
):
    seen = receive(business_a, webchat, "before", n=1)
    with tenant_context(business_a):
        conversation = Conversation.objects.get(pk=seen.conversation_id)
        reply = message_send(conversation=conversation, text="a reply")
        Message.objects.filter(pk__in=[seen.pk, reply.pk]).update(
            updated_at=timezone.now() - timedelta(minutes=1)
        )
        dropped_at = time.time() * 1000
        time.sleep(0.01)
        Message.objects.filter(pk=reply.pk).update(status="delivered", updated_at=timezone.now())

    async def go():
        communicator = socket(cookie=await sync_to_async(cookie_for)(owner_a))
        await communicator.connect(timeout=TIMEOUT)
        await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.send_json_to(
            {
                "action": "follow",
                "conversation": conversation.pk,
                "after": reply.pk,
                "resume": True,
                "since": dropped_at,
            }
        )
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        following = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return message, following

    message, following = asyncio.run(go())
    assert message["id"] == reply.pk and 'data-status="delivered"' in message["html"]
    assert following["type"] == "following"


def test_a_member_removed_meanwhile_loses_the_socket_at_the_next_follow(
    business_a, owner_a, webchat
):
    message = receive(business_a, webchat, "removed", n=1)
    colleague = User.objects.create_user(email="removed-live@example.com", password="x" * 12)
    membership = Membership.objects.create(user=colleague, business=business_a, role="staff")

    async def go():
        communicator = socket(cookie=await sync_to_async(cookie_for)(colleague))
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        await communicator.receive_json_from(timeout=TIMEOUT)
        await sync_to_async(membership.delete)()
        await communicator.send_json_to(
            {"action": "follow", "conversation": message.conversation_id, "after": 0}
        )
        return await communicator.receive_output(timeout=TIMEOUT)

    try:
        closed = asyncio.run(go())
    finally:
        colleague.delete()
    assert closed == {"type": "websocket.close", "code": 4403}
