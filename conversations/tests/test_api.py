"""The conversations API: the list and its filters, one conversation, what staff do with it,
messages and notes, and what a stranger or bad input gets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from channels_app.models import Channel
from conftest import host_client
from connections.models import Connection
from conversations import tasks
from conversations.api.pagination import RecentFirstPagination
from conversations.models import Conversation, Message
from conversations.services import Inbound, message_receive
from tenants.companies.services import company_create

API = "/api/v1/conversations/"


@pytest.fixture
def webchat_channel(in_business_a):
    """A web chat channel of a second company of business A."""
    connection = Connection.objects.create(
        business=in_business_a,
        platform=Connection.Platform.WEBCHAT,
        external_id="alpha-web-api-test",
        status=Connection.Status.CONNECTED,
    )
    company = company_create(name="Alpha Salon", kind="service", shop_type="physical")
    return Channel.objects.create(
        company=company, connection=connection, platform=Connection.Platform.WEBCHAT
    )


@pytest.fixture
def staff_a(business_a):
    user = User.objects.create_user(email="staff-a@example.com", password="pass-word-2026")
    Membership.objects.create(user=user, business=business_a, role=Membership.Role.STAFF)
    return user


@pytest.fixture
def sent_tasks(monkeypatch):
    """Ids of messages handed to the send task (the broker is not needed)."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.message_send_task, "delay", queued.append)
    return queued


def receive(channel: Channel, handle: str, text: str = "Hello", name: str = "Ivan") -> Message:
    number = Message.objects.count() + 1
    return message_receive(
        channel=channel,
        incoming=Inbound(provider_id=f"api-test-{number}", handle=handle, text=text, name=name),
    ).message


def conversation_of(channel: Channel, handle: str, text: str = "Hello", **fields) -> Conversation:
    conversation = receive(channel, handle, text, name=fields.pop("name", handle)).conversation
    if fields:
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
        conversation.refresh_from_db()
    return conversation


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# The list


def test_the_list_is_newest_first_with_contact_channel_and_company(
    portal_a, whatsapp_channel, webchat_channel
):
    now = timezone.now()
    old = conversation_of(whatsapp_channel, "old", name="Olga", last_message_at=now - timedelta(1))
    new = conversation_of(webchat_channel, "new", name="Nina", last_message_at=now)

    response = portal_a.get(API)

    assert ids(response) == [new.pk, old.pk]
    first = response.json()["results"][0]
    assert first["contact"]["name"] == "Nina"
    assert first["platform"] == "webchat"
    assert first["company"]["name"] == "Alpha Salon"
    assert (first["status"], first["mode"], first["unread_count"]) == ("open", "assistant", 1)
    assert first["last_message_text"] == "Hello"


def test_the_cursor_walks_every_conversation_once_both_ways(
    portal_a, whatsapp_channel, monkeypatch
):
    monkeypatch.setattr(RecentFirstPagination, "page_size", 2)
    now = timezone.now()
    same_time = now - timedelta(minutes=5)
    made = [
        conversation_of(whatsapp_channel, "c0", last_message_at=now),
        conversation_of(whatsapp_channel, "c1", last_message_at=same_time),
        conversation_of(whatsapp_channel, "c2", last_message_at=same_time),
        conversation_of(whatsapp_channel, "c3", last_message_at=same_time),
        conversation_of(whatsapp_channel, "c4", last_message_at=now - timedelta(days=3)),
        conversation_of(whatsapp_channel, "c5", last_message_at=None),
        conversation_of(whatsapp_channel, "c6", last_message_at=None),
    ]
    # newest first, ties by id (newest id first), conversations without a message last
    expected = [made[0].pk, made[3].pk, made[2].pk, made[1].pk, made[4].pk, made[6].pk, made[5].pk]

    pages, url = [], API
    while url:
        body = portal_a.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert body["previous"] is not None

    back = []
    url = body["previous"]
    while url:
        body = portal_a.get(url).json()
        back.insert(0, [row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[:-1]


def test_a_forged_cursor_is_refused(portal_a, whatsapp_channel):
    response = portal_a.get(API, {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


def test_the_list_filters(portal_a, owner_a, staff_a, whatsapp_channel, webchat_channel):
    mine = conversation_of(whatsapp_channel, "mine", assignee_id=owner_a.pk, unread_count=0)
    theirs = conversation_of(
        webchat_channel, "theirs", assignee_id=staff_a.pk, status=Conversation.Status.RESOLVED
    )
    nobodys = conversation_of(
        webchat_channel, "nobodys", "Do you deliver kettles?", status=Conversation.Status.PENDING
    )

    assert ids(portal_a.get(API, {"status": "resolved"})) == [theirs.pk]
    assert ids(portal_a.get(API, {"channel": "whatsapp"})) == [mine.pk]
    assert set(ids(portal_a.get(API, {"company": webchat_channel.company_id}))) == {
        theirs.pk,
        nobodys.pk,
    }
    assert ids(portal_a.get(API, {"assignee": "me"})) == [mine.pk]
    assert ids(portal_a.get(API, {"assignee": staff_a.pk})) == [theirs.pk]
    assert ids(portal_a.get(API, {"assignee": "none"})) == [nobodys.pk]
    assert set(ids(portal_a.get(API, {"unread": "true"}))) == {theirs.pk, nobodys.pk}
    assert ids(portal_a.get(API, {"unread": "false"})) == [mine.pk]
    assert ids(portal_a.get(API, {"channel": "webchat", "status": "pending"})) == [nobodys.pk]


def test_the_search_looks_in_contacts_and_messages(portal_a, whatsapp_channel):
    by_name = conversation_of(whatsapp_channel, "v1", name="Svetlana Petrova")
    by_text = conversation_of(whatsapp_channel, "v2", "I need a red kettle", name="Boris")
    by_phone = conversation_of(whatsapp_channel, "v3", name="Pavel")
    by_phone.contact.phone = "79991234567"
    by_phone.contact.save()

    assert ids(portal_a.get(API, {"q": "petrova"})) == [by_name.pk]
    assert ids(portal_a.get(API, {"q": "kettle"})) == [by_text.pk]
    assert ids(portal_a.get(API, {"q": "+7 999 123"})) == [by_phone.pk]
    assert ids(portal_a.get(API, {"q": "nothing like this"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"channel": "pigeon"}, "channel"),
        ({"company": "alpha"}, "company"),
        ({"assignee": "bob"}, "assignee"),
        ({"unread": "maybe"}, "unread"),
    ],
)
def test_a_bad_filter_is_a_400_that_names_it(portal_a, whatsapp_channel, params, field):
    response = portal_a.get(API, params)
    assert response.status_code == 400
    assert field in response.json()


# One conversation and what staff do with it


def test_one_conversation_shows_the_contact_card_payment_mode_and_assignee(
    portal_a, owner_a, whatsapp_channel
):
    conversation = conversation_of(
        whatsapp_channel,
        "card",
        name="Ivan",
        assignee_id=owner_a.pk,
        mode=Conversation.Mode.HUMAN,
        payment_status=Conversation.PaymentStatus.PAYMENT_LINK_SENT,
    )
    contact = conversation.contact
    contact.email, contact.source, contact.notes, contact.tags = (
        "ivan@example.com",
        "Instagram ad",
        "Prefers evenings",
        ["vip"],
    )
    contact.save()

    response = portal_a.get(f"{API}{conversation.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["payment_status"] == "payment_link_sent"
    assert body["mode"] == "human"
    assert body["assignee"] == {"id": owner_a.pk, "email": owner_a.email, "full_name": ""}
    card = body["contact"]
    assert (card["name"], card["handle"], card["email"]) == ("Ivan", "card", "ivan@example.com")
    assert (card["source"], card["notes"], card["tags"]) == (
        "Instagram ad",
        "Prefers evenings",
        ["vip"],
    )
    assert card["first_seen"]


def test_an_unknown_conversation_is_404(portal_a, whatsapp_channel):
    assert portal_a.get(f"{API}999999/").status_code == 404
    assert portal_a.post(f"{API}999999/resolve/").status_code == 404
    assert portal_a.get(f"{API}999999/messages/").status_code == 404


def test_marking_read_clears_the_unread_count(portal_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "unread")
    receive(whatsapp_channel, "unread", "Anyone there?")
    assert Conversation.objects.get(pk=conversation.pk).unread_count == 2

    response = portal_a.post(f"{API}{conversation.pk}/read/")

    assert response.status_code == 200
    assert response.json()["unread_count"] == 0
    assert Conversation.objects.get(pk=conversation.pk).unread_count == 0


def test_assign_to_a_member_then_to_nobody(portal_a, staff_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "assign")
    url = f"{API}{conversation.pk}/assign/"

    response = portal_a.post(url, {"assignee": staff_a.pk}, content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["email"] == "staff-a@example.com"
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.mode) == (staff_a.pk, "human")

    response = portal_a.post(url, {"assignee": None}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None


def test_assign_to_someone_outside_the_business_is_refused(portal_a, owner_b, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "outsider")
    url = f"{API}{conversation.pk}/assign/"

    for bad in (owner_b.pk, 987654, "x"):
        response = portal_a.post(url, {"assignee": bad}, content_type="application/json")
        assert response.status_code == 400, bad
        assert "assignee" in response.json()
    response = portal_a.post(url, {"assignee": owner_b.pk}, content_type="application/json")
    assert response.json()["assignee"] == ["This person is not a member of this business."]
    assert portal_a.post(url, {}, content_type="application/json").status_code == 400
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None


def test_resolve_reopen_and_archive(portal_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "status")
    for action, expected in (
        ("resolve", "resolved"),
        ("reopen", "open"),
        ("archive", "archived"),
        ("reopen", "open"),
    ):
        response = portal_a.post(f"{API}{conversation.pk}/{action}/")
        assert response.status_code == 200, action
        assert response.json()["status"] == expected
        assert Conversation.objects.get(pk=conversation.pk).status == expected


def test_take_over_and_hand_back(portal_a, owner_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "take")

    response = portal_a.post(f"{API}{conversation.pk}/take-over/")

    assert response.status_code == 200
    assert (response.json()["mode"], response.json()["assignee"]["id"]) == ("human", owner_a.pk)
    response = portal_a.post(f"{API}{conversation.pk}/hand-back/")
    assert (response.json()["mode"], response.json()["assignee"]) == ("assistant", None)
    conversation.refresh_from_db()
    assert (conversation.mode, conversation.assignee_id) == ("assistant", None)


def test_actions_are_post_only(portal_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "get")
    assert portal_a.get(f"{API}{conversation.pk}/resolve/").status_code == 405
    assert Conversation.objects.get(pk=conversation.pk).status == "open"


# Messages


def test_messages_are_listed_oldest_first_and_after_an_id(portal_a, owner_a, whatsapp_channel):
    first = receive(whatsapp_channel, "history", "one")
    second = receive(whatsapp_channel, "history", "two")
    third = receive(whatsapp_channel, "history", "three")
    other = receive(whatsapp_channel, "someone-else", "not this conversation")
    url = f"{API}{first.conversation_id}/messages/"

    assert ids(portal_a.get(url)) == [first.pk, second.pk, third.pk]
    assert ids(portal_a.get(url, {"after": first.pk})) == [second.pk, third.pk]
    assert ids(portal_a.get(url, {"after": third.pk})) == []
    assert other.pk not in ids(portal_a.get(url))
    row = portal_a.get(url).json()["results"][0]
    assert (row["direction"], row["status"], row["text"]) == ("in", "received", "one")
    assert portal_a.get(url, {"after": "yesterday"}).status_code == 400


def test_sending_a_reply_queues_it_for_the_channel(
    portal_a, owner_a, whatsapp_channel, sent_tasks, django_capture_on_commit_callbacks
):
    conversation = conversation_of(whatsapp_channel, "reply")

    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post(
            f"{API}{conversation.pk}/messages/",
            {"text": "We have 12 kettles."},
            content_type="application/json",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    reply = Message.objects.get(pk=body["id"])
    assert (reply.direction, reply.status, reply.text) == ("out", "pending", "We have 12 kettles.")
    assert (reply.author_id, body["author"], body["by_assistant"]) == (
        owner_a.pk,
        owner_a.pk,
        False,
    )
    assert sent_tasks == [reply.pk]
    conversation.refresh_from_db()
    assert (conversation.mode, conversation.assignee_id) == ("human", owner_a.pk)
    assert conversation.last_message_text == "We have 12 kettles."


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "   \n "}, {}, {"text": None}])
def test_an_empty_reply_is_refused(portal_a, whatsapp_channel, sent_tasks, payload):
    conversation = conversation_of(whatsapp_channel, "empty")

    response = portal_a.post(
        f"{API}{conversation.pk}/messages/", payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert "text" in response.json()
    assert not Message.objects.filter(direction="out").exists()


def test_an_oversized_reply_is_refused_with_the_limit(
    portal_a, whatsapp_channel, settings, sent_tasks, django_capture_on_commit_callbacks
):
    conversation = conversation_of(whatsapp_channel, "long")
    url = f"{API}{conversation.pk}/messages/"
    limit = settings.MESSAGE_MAX_CHARS

    response = portal_a.post(url, {"text": "x" * (limit + 1)}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["text"] == [
        f"The message is {limit + 1} characters long; at most {limit} fit in one message."
    ]
    assert not Message.objects.filter(direction="out").exists()
    with django_capture_on_commit_callbacks(execute=True):
        fits = portal_a.post(url, {"text": "x" * limit}, content_type="application/json")
    assert fits.status_code == 201
    assert len(sent_tasks) == 1


def test_the_length_limit_follows_the_setting(portal_a, whatsapp_channel, settings):
    settings.MESSAGE_MAX_CHARS = 10
    conversation = conversation_of(whatsapp_channel, "short")
    response = portal_a.post(
        f"{API}{conversation.pk}/messages/",
        {"text": "eleven char"},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_script_in_a_message_is_stored_as_is_and_returned_as_a_json_string(
    portal_a, whatsapp_channel, sent_tasks
):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    conversation = conversation_of(whatsapp_channel, "xss", script, name=script)

    sent = portal_a.post(
        f"{API}{conversation.pk}/messages/", {"text": script}, content_type="application/json"
    )
    listed = portal_a.get(f"{API}{conversation.pk}/messages/")
    card = portal_a.get(f"{API}{conversation.pk}/")

    assert Message.objects.get(pk=sent.json()["id"]).text == script
    for response in (sent, listed, card):
        assert response["Content-Type"] == "application/json"
    assert [row["text"] for row in listed.json()["results"]] == [script, script]
    assert card.json()["contact"]["name"] == script
    assert card.json()["last_message_text"] == script


def test_a_note_is_stored_for_staff_and_never_sent(
    portal_a, owner_a, whatsapp_channel, sent_tasks, django_capture_on_commit_callbacks
):
    conversation = conversation_of(whatsapp_channel, "note")

    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post(
            f"{API}{conversation.pk}/notes/",
            {"text": "Call back after 6 pm"},
            content_type="application/json",
        )

    assert response.status_code == 201
    note = Message.objects.get(pk=response.json()["id"])
    assert (note.direction, note.text, note.author_id) == (
        "note",
        "Call back after 6 pm",
        owner_a.pk,
    )
    assert sent_tasks == []
    assert Conversation.objects.get(pk=conversation.pk).mode == "assistant"
    assert (
        portal_a.post(
            f"{API}{conversation.pk}/notes/", {"text": ""}, content_type="application/json"
        ).status_code
        == 400
    )


# Strangers


def test_a_token_of_business_b_gets_404_on_business_a(owner_b, whatsapp_channel, sent_tasks):
    conversation = conversation_of(whatsapp_channel, "private", "my secret order")
    stranger = host_client("alpha.localhost")
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=owner_b).key}"}

    for response in (
        stranger.get(API, **auth),
        stranger.get(f"{API}{conversation.pk}/", **auth),
        stranger.get(f"{API}{conversation.pk}/messages/", **auth),
        stranger.post(
            f"{API}{conversation.pk}/messages/",
            {"text": "hi"},
            content_type="application/json",
            **auth,
        ),
        stranger.post(f"{API}{conversation.pk}/archive/", **auth),
    ):
        assert response.status_code == 404
        assert b"secret" not in response.content
    assert not Message.objects.filter(direction="out").exists()
    assert Conversation.objects.get(pk=conversation.pk).status == "open"


def test_a_token_of_business_a_works_on_its_own_host(owner_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "token")
    key = Token.objects.create(user=owner_a).key
    response = host_client("alpha.localhost").get(API, HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(response) == [conversation.pk]


def test_anonymous_calls_are_refused(whatsapp_channel):
    assert host_client("alpha.localhost").get(API).status_code in (401, 403)


def test_the_schema_documents_the_conversations_api(db):
    schema = host_client("localhost").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/conversations/",
        "/api/v1/conversations/{id}/",
        "/api/v1/conversations/{id}/assign/",
        "/api/v1/conversations/{id}/take-over/",
        "/api/v1/conversations/{id}/hand-back/",
        "/api/v1/conversations/{id}/resolve/",
        "/api/v1/conversations/{id}/reopen/",
        "/api/v1/conversations/{id}/archive/",
        "/api/v1/conversations/{id}/read/",
        "/api/v1/conversations/{id}/notes/",
        "/api/v1/conversations/{conversation_id}/messages/",
    ):
        assert path in paths, path
    listing = {p["name"] for p in paths["/api/v1/conversations/"]["get"]["parameters"]}
    assert {"status", "channel", "company", "assignee", "unread", "q", "cursor"} <= listing
    messages = paths["/api/v1/conversations/{conversation_id}/messages/"]
    assert {"get", "post"} <= set(messages)
    assert "after" in {p["name"] for p in messages["get"]["parameters"]}


def test_the_list_costs_the_same_queries_for_many_conversations(
    portal_a, owner_a, whatsapp_channel, webchat_channel
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert portal_a.get(API).status_code == 200
        return len(captured)

    conversation_of(whatsapp_channel, "first", assignee_id=owner_a.pk)
    few = queries()
    for n in range(6):
        channel = whatsapp_channel if n % 2 else webchat_channel
        conversation_of(channel, f"more-{n}", assignee_id=owner_a.pk)
    assert queries() == few
