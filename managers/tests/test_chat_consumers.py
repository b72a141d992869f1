"""The chat's websockets: who may open them on either side, what they carry live, and the
person who loses access while a socket is open."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.models import Membership, User
from conftest import committed_session_fixtures, host_client
from managers import chat
from managers.chat import Side
from managers.consumers import FRAMES_PER_10_SECONDS, websocket_urlpatterns
from managers.models import Assignment, ManagerMessage
from tenants.websockets import TenantWebsocketMiddleware

TIMEOUT = 5
PUBLIC = "localhost"
#: The chat's routes below the product's business-by-host middleware, as config/asgi.py
#: mounts them (``test_the_product_serves_the_chat_sockets`` checks the product itself).
chat_sockets = TenantWebsocketMiddleware(URLRouter(websocket_urlpatterns))


# Consumers read on their own database connections: everything here is committed for real
# (so no ``db`` fixture), and each test removes what it made.
business_a, business_b, owner_a, owner_b = committed_session_fixtures()


@pytest.fixture
def people(committed_db, business_a, business_b):
    """Managers, an admin and a staff member of A, made for the test and removed after."""
    made = {
        "manager": User.objects.create_user(
            email="chat-manager@example.com",
            full_name="Maria Manager",
            platform_role="manager",
            is_staff=True,
        ),
        "other_manager": User.objects.create_user(
            email="chat-other-manager@example.com", platform_role="manager", is_staff=True
        ),
        "admin": User.objects.create_user(
            email="chat-admin@example.com", platform_role="admin", is_staff=True
        ),
        "staff_a": User.objects.create_user(email="chat-staff-a@example.com"),
    }
    Membership.objects.create(user=made["staff_a"], business=business_a, role="staff")
    Assignment.objects.create(business=business_a, manager=made["manager"])
    Assignment.objects.create(business=business_b, manager=made["other_manager"])
    yield made
    ManagerMessage.objects.filter(business__in=[business_a, business_b]).delete()
    Assignment.objects.filter(business__in=[business_a, business_b]).delete()
    User.objects.filter(pk__in=[user.pk for user in made.values()]).delete()


def cookie_for(user, host) -> bytes:
    client = host_client(host, user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def socket(path, *, host, user=None, origin=None, app=chat_sockets):
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}:8000").encode())]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(cookie_for)(user, host)))
    return WebsocketCommunicator(app, path, headers=headers)


async def opened(path, *, host, user, app=chat_sockets) -> tuple[WebsocketCommunicator, dict]:
    communicator = await socket(path, host=host, user=user, app=app)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    assert connected, f"refused with {code}"
    hello = await communicator.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return communicator, hello


async def refused(path, *, host, user=None, origin=None) -> int | None:
    communicator = await socket(path, host=host, user=user, origin=origin)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    await communicator.disconnect()
    return None if connected else code


async def frame_of(communicator, wanted: str, limit: int = 10) -> dict:
    for _ in range(limit):
        frame = json.loads(await communicator.receive_from(timeout=TIMEOUT))
        if frame["type"] == wanted:
            return frame
    raise AssertionError(f"no {wanted} frame")


send = sync_to_async(chat.chat_message_send)


def test_messages_reads_and_unread_counts_travel_live_between_the_sides(
    business_a, owner_a, people
):
    manager = people["manager"]

    async def go():
        business_side, hello = await opened("/ws/manager/", host="alpha.localhost", user=owner_a)
        manager_side, _ = await opened(f"/ws/x8/chat/{business_a.pk}/", host=PUBLIC, user=manager)
        inbox, _ = await opened("/ws/x8/chat/", host=PUBLIC, user=manager)

        question = await send(
            business=business_a, author=owner_a, side=Side.BUSINESS, text="<b>Invoice</b>?"
        )
        heard_by_manager = await frame_of(manager_side, "message")
        echo = await frame_of(business_side, "message")
        manager_unread = await frame_of(manager_side, "unread")
        inbox_unread = await frame_of(inbox, "unread")

        await manager_side.send_json_to({"action": "read", "up_to": question.pk})
        receipt = await frame_of(business_side, "read")
        after_read = await frame_of(inbox, "unread")
        for communicator in (business_side, manager_side, inbox):
            await communicator.disconnect()
        return (
            question,
            hello,
            heard_by_manager,
            echo,
            manager_unread,
            inbox_unread,
            receipt,
            (after_read),
        )

    question, hello, heard, echo, unread, inbox_unread, receipt, after_read = asyncio.run(go())
    assert hello == {"type": "hello", "unread": 0}
    assert heard["id"] == question.pk and heard["mine"] is False
    assert f'id="chat-message-{question.pk}"' in heard["html"]
    assert "&lt;b&gt;Invoice&lt;/b&gt;?" in heard["html"] and "<b>" not in heard["html"]
    assert 'data-testid="chat-message-theirs"' in heard["html"]
    assert echo["mine"] is True and 'data-testid="chat-message-mine"' in echo["html"]
    assert unread == {"type": "unread", "business": business_a.pk, "count": 1}
    assert inbox_unread == unread
    assert receipt == {
        "type": "read",
        "business": business_a.pk,
        "side": Side.BUSINESS,
        "up_to": question.pk,
    }
    assert after_read["count"] == 0
    question.refresh_from_db()
    assert question.read_at is not None


def test_the_pushed_fragment_is_the_one_the_page_renders(business_a, owner_a, people):
    message = chat.chat_message_send(
        business=business_a, author=people["manager"], side=Side.MANAGER, text="Same fragment"
    )
    page = host_client("alpha.localhost", owner_a).get("/manager/").content.decode()

    pushed = chat.chat_message_html(ManagerMessage.objects.get(pk=message.pk))
    # Rendered after the page's GET has read it, as the page showed it.
    assert pushed[Side.BUSINESS]["en"].strip() in page


@pytest.mark.parametrize(
    "who, host, origin, code",
    [
        ("anonymous", "alpha.localhost", None, 4403),
        ("owner_b", "alpha.localhost", None, 4403),  # a member of another business
        ("owner_a", "beta.localhost", None, 4403),  # A's owner on B's host
        ("manager", "alpha.localhost", None, 4403),  # managers use the admin
        ("owner_a", "alpha.localhost", "http://evil.example", 4403),
        ("owner_a", "alpha.localhost", "http://beta.localhost:8000", 4403),  # another host
        ("owner_a", PUBLIC, None, 4404),  # the business side is on the business's host
    ],
)
def test_the_business_side_socket_is_for_members_of_that_business(
    owner_a, owner_b, people, who, host, origin, code
):
    user = {"owner_a": owner_a, "owner_b": owner_b, "manager": people["manager"]}.get(who)

    assert asyncio.run(refused("/ws/manager/", host=host, user=user, origin=origin)) == code


@pytest.mark.parametrize(
    "who, business, host, origin, code",
    [
        ("anonymous", "a", PUBLIC, None, 4403),
        ("owner_a", "a", PUBLIC, None, 4403),  # a member is not the manager side
        ("other_manager", "a", PUBLIC, None, 4404),  # not assigned to A
        ("manager", "b", PUBLIC, None, 4404),
        ("manager", "a", PUBLIC, "http://evil.example", 4403),
        ("manager", "a", PUBLIC, "http://alpha.localhost:8000", 4403),
        ("manager", "a", "alpha.localhost", None, 4404),  # only on the public host
        ("manager", "none", PUBLIC, None, 4404),
    ],
)
def test_the_manager_side_socket_is_for_the_assigned_manager_and_admins(
    business_a, business_b, owner_a, people, who, business, host, origin, code
):
    user = {"owner_a": owner_a, **people}.get(who)
    business_id = {"a": business_a.pk, "b": business_b.pk, "none": 999999}[business]

    path = f"/ws/x8/chat/{business_id}/"
    assert asyncio.run(refused(path, host=host, user=user, origin=origin)) == code


def test_the_assigned_manager_and_any_admin_get_the_manager_side(business_a, business_b, people):
    async def go():
        answers = []
        for user, business in (
            (people["manager"], business_a),
            (people["admin"], business_a),
            (people["admin"], business_b),
        ):
            communicator, hello = await opened(
                f"/ws/x8/chat/{business.pk}/", host=PUBLIC, user=user
            )
            answers.append(hello)
            await communicator.disconnect()
        return answers

    assert asyncio.run(go()) == [{"type": "hello", "unread": 0}] * 3


def test_a_member_deactivated_mid_session_is_closed_at_the_next_frame(business_a, people):
    staff = people["staff_a"]

    async def go():
        communicator, _ = await opened("/ws/manager/", host="alpha.localhost", user=staff)
        await communicator.send_json_to({"action": "ping"})
        still_open = await communicator.receive_nothing(timeout=0.3)
        await sync_to_async(User.objects.filter(pk=staff.pk).update)(is_active=False)
        await communicator.send_json_to({"action": "ping"})
        closed = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return still_open, closed

    still_open, closed = asyncio.run(go())
    assert still_open
    assert closed == {"type": "websocket.close", "code": 4403}


def test_a_manager_deactivated_mid_session_hears_nothing_more(business_a, owner_a, people):
    manager = people["manager"]

    async def go():
        communicator, _ = await opened(f"/ws/x8/chat/{business_a.pk}/", host=PUBLIC, user=manager)
        await sync_to_async(User.objects.filter(pk=manager.pk).update)(is_active=False)
        await send(business=business_a, author=owner_a, side=Side.BUSINESS, text="secret plan")
        closed = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return closed

    assert asyncio.run(go()) == {"type": "websocket.close", "code": 4403}


def test_a_manager_reassigned_away_mid_session_is_closed(business_a, owner_a, people):
    manager = people["manager"]

    async def go():
        chat_socket, _ = await opened(f"/ws/x8/chat/{business_a.pk}/", host=PUBLIC, user=manager)
        await sync_to_async(Assignment.objects.filter(business=business_a).update)(
            manager=people["other_manager"]
        )
        await send(business=business_a, author=owner_a, side=Side.BUSINESS, text="for the new one")
        pushed = await chat_socket.receive_output(timeout=TIMEOUT)
        await chat_socket.disconnect()
        refused_now = await refused(f"/ws/x8/chat/{business_a.pk}/", host=PUBLIC, user=manager)
        return pushed, refused_now

    pushed, refused_now = asyncio.run(go())
    assert pushed == {"type": "websocket.close", "code": 4403}
    assert refused_now == 4404
    assert ManagerMessage.objects.get(text="for the new one").read_at is None


def test_a_storm_of_frames_closes_the_socket(owner_a, people):
    async def go():
        communicator, _ = await opened("/ws/manager/", host="alpha.localhost", user=owner_a)
        for _ in range(FRAMES_PER_10_SECONDS + 1):
            await communicator.send_to(text_data="{not json")
        closed = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return closed

    assert asyncio.run(go()) == {"type": "websocket.close", "code": 4429}


def test_an_open_socket_is_online_and_a_closed_one_is_not(business_a, owner_a, people):
    manager = people["manager"]

    def online() -> tuple[bool, bool]:
        return (
            chat.chat_side_online(business_id=business_a.pk, side=Side.BUSINESS),
            chat.chat_side_online(business_id=business_a.pk, side=Side.MANAGER),
        )

    async def go():
        before = await sync_to_async(online)()
        business_side, _ = await opened("/ws/manager/", host="alpha.localhost", user=owner_a)
        inbox, _ = await opened("/ws/x8/chat/", host=PUBLIC, user=manager)
        during = await sync_to_async(online)()
        await business_side.disconnect()
        await inbox.disconnect()
        after = await sync_to_async(online)()
        return before, during, after

    assert asyncio.run(go()) == ((False, False), (True, True), (False, False))


def test_a_message_to_an_offline_manager_is_emailed_by_the_worker(
    business_a, owner_a, people, celery_worker
):
    message = chat.chat_message_send(
        business=business_a, author=owner_a, side=Side.BUSINESS, text="Call me back, please."
    )

    deadline = time.monotonic() + 20
    while ManagerMessage.objects.get(pk=message.pk).emailed_at is None:
        assert time.monotonic() < deadline, "the worker did not e-mail the manager"
        time.sleep(0.2)


def test_the_product_serves_the_chat_sockets(business_a, owner_a, people):
    from config.asgi import application

    async def go():
        business_side, _ = await opened(
            "/ws/manager/", host="alpha.localhost", user=owner_a, app=application
        )
        manager_side, _ = await opened(
            f"/ws/x8/chat/{business_a.pk}/", host=PUBLIC, user=people["manager"], app=application
        )
        await business_side.disconnect()
        await manager_side.disconnect()

    asyncio.run(go())
