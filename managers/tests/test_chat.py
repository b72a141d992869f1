"""The chat between a business and its manager over HTTP: the portal's "Your manager" page,
the admin's chat pages, who may open them, sending, reading, unread counts and e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, User
from conftest import host_client
from managers import chat
from managers.chat import ChatError, ChatErrorCode, Side
from managers.models import Assignment, ManagerMessage
from managers.tasks import chat_message_notify_task

PUBLIC = "localhost"


def person(email: str, *, role: str = "", name: str = "", **extra) -> User:
    return User.objects.create_user(
        email=email,
        password="pass-word-2026",
        full_name=name,
        platform_role=role,
        is_staff=bool(role),
        **extra,
    )


@pytest.fixture
def manager(db) -> User:
    return person("maria.manager@example.com", role="manager", name="Maria Manager")


@pytest.fixture
def other_manager(db) -> User:
    return person("oleg.manager@example.com", role="manager", name="Oleg Manager")


@pytest.fixture
def platform_admin(db) -> User:
    return person("ada.admin@example.com", role="admin", name="Ada Admin")


@pytest.fixture
def assigned(business_a, manager) -> Assignment:
    return Assignment.objects.create(business=business_a, manager=manager)


def say(business, author, side, text) -> ManagerMessage:
    return ManagerMessage.objects.create(business=business, author=author, side=side, text=text)


# The business's side ----------------------------------------------------------------------


def test_a_member_sees_the_manager_the_history_and_reading_marks_it_read(
    portal_a, business_a, owner_a, manager, assigned
):
    asked = say(business_a, owner_a, Side.BUSINESS, "How do I connect WhatsApp?")
    answer = say(business_a, manager, Side.MANAGER, "Open Channels & scan the <QR> code.")

    page = portal_a.get("/manager/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="manager-name"' in html and "Maria Manager" in html
    assert "How do I connect WhatsApp?" in html
    assert "Open Channels &amp; scan the &lt;QR&gt; code." in html
    assert 'data-socket="/ws/manager/"' in html
    answer.refresh_from_db()
    asked.refresh_from_db()
    assert answer.read_at is not None  # the business read the manager's message
    assert asked.read_at is None  # its own message waits for the manager


def test_a_member_sends_a_message_to_the_manager(
    portal_a, business_a, owner_a, assigned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post("/manager/", {"text": "  Is my invoice paid?  "})

    assert response.status_code == 302 and response["Location"] == "/manager/"
    message = ManagerMessage.objects.get(business=business_a)
    assert (message.side, message.author, message.text) == (
        Side.BUSINESS,
        owner_a,
        "Is my invoice paid?",
    )


def test_an_htmx_send_answers_a_fresh_form_carrying_the_sent_message(
    portal_a, business_a, assigned
):
    response = portal_a.post("/manager/", {"text": "Hello!"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    message = ManagerMessage.objects.get(business=business_a)
    assert html.startswith('<form id="chat-reply"')
    assert f'<template data-sent-message="{message.pk}">' in html
    assert 'data-testid="chat-message-mine"' in html and "Hello!" in html


@pytest.mark.parametrize(
    "text, error",
    [
        ("   ", "Write a message first."),
        ("x" * (chat.MESSAGE_MAX_CHARS + 1), "at most 4000 characters long (this one has 4001)"),
    ],
)
def test_empty_and_too_long_messages_are_refused_saying_why(
    portal_a, business_a, assigned, text, error
):
    page = portal_a.post("/manager/", {"text": text})
    fragment = portal_a.post("/manager/", {"text": text}, HTTP_HX_REQUEST="true")

    assert page.status_code == 422 and fragment.status_code == 422
    assert error in page.content.decode()
    assert error in fragment.content.decode()
    assert not ManagerMessage.objects.filter(business=business_a).exists()


def test_a_business_without_a_manager_sees_whom_to_contact_and_cannot_post(portal_a, business_a):
    page = portal_a.get("/manager/")
    posted = portal_a.post("/manager/", {"text": "Anyone there?"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="no-manager"' in html
    assert f'href="mailto:{settings.SUPPORT_EMAIL}"' in html
    assert 'id="chat-reply"' not in html and "data-manager-chat" not in html
    assert posted.status_code == 422
    assert f"Your business has no manager yet. Write to {settings.SUPPORT_EMAIL}" in (
        posted.content.decode()
    )
    assert not ManagerMessage.objects.exists()


def test_a_member_of_another_business_cannot_read_or_post_to_its_chat(
    business_a, owner_b, assigned, manager
):
    say(business_a, manager, Side.MANAGER, "A's private answer")
    stranger = host_client("alpha.localhost", owner_b)

    page = stranger.get("/manager/")
    posted = stranger.post("/manager/", {"text": "let me in"})

    assert page.status_code == 404 and posted.status_code == 404
    assert "A&#x27;s private answer" not in page.content.decode()
    assert ManagerMessage.objects.filter(side=Side.BUSINESS).count() == 0


def test_the_chat_service_refuses_a_member_posting_to_another_business(
    business_a, business_b, owner_b, assigned
):
    with pytest.raises(ChatError) as refused:
        chat.chat_message_send(business=business_a, author=owner_b, side=Side.BUSINESS, text="hi")

    assert refused.value.code == ChatErrorCode.NOT_FOUND
    assert not ManagerMessage.objects.exists()


def test_the_navigation_badge_counts_the_managers_unread_messages(
    portal_a, business_a, owner_a, manager, assigned
):
    say(business_a, manager, Side.MANAGER, "one")
    say(business_a, manager, Side.MANAGER, "two")
    say(business_a, owner_a, Side.BUSINESS, "mine do not count")

    badge = portal_a.get("/manager/unread/")

    assert badge.status_code == 200
    html = badge.content.decode()
    assert 'id="manager-unread"' in html and ">2</span>" in html and " hidden" not in html
    portal_a.get("/manager/")  # reading the chat
    assert " hidden" in portal_a.get("/manager/unread/").content.decode()


# The manager's side, in the admin ------------------------------------------------------------


def test_a_manager_lists_only_their_businesses_with_unread_counts(
    business_a, business_b, owner_a, owner_b, manager, other_manager, assigned
):
    Assignment.objects.create(business=business_b, manager=other_manager)
    say(business_a, owner_a, Side.BUSINESS, "question 1")
    say(business_a, owner_a, Side.BUSINESS, "question 2")
    say(business_b, owner_b, Side.BUSINESS, "B's question")

    page = host_client(PUBLIC, manager).get("/admin/x8/chat/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Alpha Shop" in html and "Beta Salon" not in html
    assert f'data-chat-unread="{business_a.pk}" data-testid="chat-unread">2<' in html
    assert 'data-socket="/ws/x8/chat/"' in html
    assert 'id="site-name"' in html  # inside the admin's own look


def test_the_list_of_chats_costs_the_same_queries_for_more_businesses(
    business_a,
    business_b,
    owner_a,
    owner_b,
    platform_admin,
    assigned,
    other_manager,
    django_assert_num_queries,
):
    client = host_client(PUBLIC, platform_admin)
    say(business_a, owner_a, Side.BUSINESS, "a")
    client.get("/admin/x8/chat/")  # sessions, content types and the like warmed up
    with CaptureQueriesContext(connection) as one:
        client.get("/admin/x8/chat/")
    Assignment.objects.create(business=business_b, manager=other_manager)
    say(business_b, owner_b, Side.BUSINESS, "b")

    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/admin/x8/chat/")
    assert "Beta Salon" in page.content.decode()


def test_an_admin_lists_every_business_that_has_a_manager(
    business_a, business_b, platform_admin, assigned
):
    html = host_client(PUBLIC, platform_admin).get("/admin/x8/chat/").content.decode()

    assert "Alpha Shop" in html and "Maria Manager" in html
    assert "Beta Salon" not in html  # B has no manager: no chat yet


def test_a_manager_chats_with_an_assigned_business(
    business_a, owner_a, manager, assigned, django_capture_on_commit_callbacks
):
    question = say(business_a, owner_a, Side.BUSINESS, "Where is my invoice?")
    client = host_client(PUBLIC, manager)

    page = client.get(f"/admin/x8/chat/{business_a.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/admin/x8/chat/{business_a.pk}/", {"text": "Under Billing."})

    assert page.status_code == 200
    assert "Where is my invoice?" in page.content.decode()
    question.refresh_from_db()
    assert question.read_at is not None
    assert sent.status_code == 302
    answer = ManagerMessage.objects.get(side=Side.MANAGER)
    assert (answer.business, answer.author, answer.text) == (business_a, manager, "Under Billing.")


def test_a_manager_cannot_open_or_post_to_an_unassigned_business(
    business_a, business_b, owner_b, manager, other_manager, assigned
):
    Assignment.objects.create(business=business_b, manager=other_manager)
    say(business_b, owner_b, Side.BUSINESS, "for Oleg only")
    client = host_client(PUBLIC, manager)

    looked = client.get(f"/admin/x8/chat/{business_b.pk}/")
    posted = client.post(f"/admin/x8/chat/{business_b.pk}/", {"text": "hijack"})
    unknown = client.get("/admin/x8/chat/999999/")

    assert (looked.status_code, posted.status_code, unknown.status_code) == (404, 404, 404)
    assert "for Oleg only" not in looked.content.decode()
    assert not ManagerMessage.objects.filter(side=Side.MANAGER).exists()
    with pytest.raises(ChatError):
        chat.chat_message_send(business=business_b, author=manager, side=Side.MANAGER, text="x")


def test_an_admin_opens_any_chat_and_reading_leaves_it_unread_for_the_manager(
    business_a, owner_a, platform_admin, assigned
):
    question = say(business_a, owner_a, Side.BUSINESS, "Hello?")
    client = host_client(PUBLIC, platform_admin)

    page = client.get(f"/admin/x8/chat/{business_a.pk}/")
    sent = client.post(f"/admin/x8/chat/{business_a.pk}/", {"text": "Admin here."})

    assert page.status_code == 200 and "Hello?" in page.content.decode()
    question.refresh_from_db()
    assert question.read_at is None
    assert sent.status_code == 302
    assert ManagerMessage.objects.filter(side=Side.MANAGER, author=platform_admin).exists()


def test_an_admin_reads_the_chat_of_a_business_without_a_manager_but_cannot_write(
    business_a, owner_a, manager, platform_admin
):
    say(business_a, owner_a, Side.BUSINESS, "Back when we had a manager")
    client = host_client(PUBLIC, platform_admin)

    page = client.get(f"/admin/x8/chat/{business_a.pk}/")
    posted = client.post(f"/admin/x8/chat/{business_a.pk}/", {"text": "Hello?"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Back when we had a manager" in html
    assert 'data-testid="no-manager"' in html and 'id="chat-reply"' not in html
    assert posted.status_code == 422
    assert "This business has no manager: assign one before writing to it." in (
        posted.content.decode()
    )
    assert not ManagerMessage.objects.filter(side=Side.MANAGER).exists()
    assert host_client(PUBLIC, manager).get(f"/admin/x8/chat/{business_a.pk}/").status_code == 404


def test_a_manager_sending_an_empty_message_is_told_why(business_a, manager, assigned):
    response = host_client(PUBLIC, manager).post(
        f"/admin/x8/chat/{business_a.pk}/", {"text": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    assert "Write a message first." in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "deactivated manager"])
def test_people_outside_the_admin_are_not_let_into_its_chats(
    business_a, owner_a, manager, assigned, who
):
    user = {"anonymous": None, "member": owner_a, "deactivated manager": manager}[who]
    client = host_client(PUBLIC, user)
    if who == "deactivated manager":
        User.objects.filter(pk=manager.pk).update(is_active=False)

    for url in ("/admin/x8/chat/", f"/admin/x8/chat/{business_a.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_chat_checks_access_itself_whatever_the_admin_site_admits(
    business_a, owner_a, manager, other_manager, assigned, monkeypatch
):
    monkeypatch.setattr(admin.site, "has_permission", lambda request: True)

    member = host_client(PUBLIC, owner_a)
    stranger = host_client(PUBLIC, other_manager)

    assert member.get("/admin/x8/chat/").status_code == 404
    assert member.get(f"/admin/x8/chat/{business_a.pk}/").status_code == 404
    assert stranger.get(f"/admin/x8/chat/{business_a.pk}/").status_code == 404
    assert host_client(PUBLIC, manager).get(f"/admin/x8/chat/{business_a.pk}/").status_code == 200


def test_a_manager_reassigned_away_loses_the_chat(business_a, manager, other_manager, assigned):
    client = host_client(PUBLIC, manager)
    assert client.get(f"/admin/x8/chat/{business_a.pk}/").status_code == 200

    Assignment.objects.filter(business=business_a).update(manager=other_manager)

    assert client.get(f"/admin/x8/chat/{business_a.pk}/").status_code == 404
    assert "Alpha Shop" not in client.get("/admin/x8/chat/").content.decode()


# Reading and unread counts -----------------------------------------------------------------


def test_reading_marks_only_the_other_sides_messages_up_to_the_last_one_seen(
    business_a, owner_a, manager, assigned
):
    first = say(business_a, manager, Side.MANAGER, "first")
    second = say(business_a, manager, Side.MANAGER, "second")
    own = say(business_a, owner_a, Side.BUSINESS, "reply")
    assert chat.chat_unread_count(business=business_a, reader_side=Side.BUSINESS) == 2
    assert chat.chat_unread_count(business=business_a, reader_side=Side.MANAGER) == 1

    marked = chat.chat_mark_read(
        business=business_a, reader=owner_a, reader_side=Side.BUSINESS, up_to=first.pk
    )

    assert marked == 1
    assert chat.chat_unread_count(business=business_a, reader_side=Side.BUSINESS) == 1
    for message in (first, second, own):
        message.refresh_from_db()
    assert first.read_at is not None and second.read_at is None and own.read_at is None
    assert chat.chat_unread_for_manager(user=manager) == 1


# E-mail when the other side is offline -----------------------------------------------------


def notify(message: ManagerMessage) -> None:
    chat_message_notify_task.apply(args=[message.pk])


def test_an_offline_manager_is_emailed_once_per_burst(business_a, owner_a, manager, assigned):
    burst = [say(business_a, owner_a, Side.BUSINESS, f"message {n} & more") for n in range(3)]

    for message in burst:
        notify(message)
    notify(burst[0])  # a duplicate delivery of the task

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["maria.manager@example.com"]
    assert email.subject == "New message from Alpha Shop"
    assert "message 0 & more" in email.body
    assert f"http://localhost:{settings.SITE_PORT}/admin/x8/chat/{business_a.pk}/" in email.body
    emailed = [ManagerMessage.objects.get(pk=m.pk).emailed_at is not None for m in burst]
    assert emailed == [True, False, False]


def test_the_next_burst_is_emailed_after_a_read_or_a_quiet_while(
    business_a, owner_a, manager, assigned
):
    first = say(business_a, owner_a, Side.BUSINESS, "first")
    notify(first)
    chat.chat_mark_read(business=business_a, reader=manager, reader_side=Side.MANAGER)
    after_read = say(business_a, owner_a, Side.BUSINESS, "after reading")
    notify(after_read)
    ManagerMessage.objects.filter(pk=after_read.pk).update(
        emailed_at=timezone.now() - timedelta(minutes=chat.EMAIL_QUIET_MINUTES + 1)
    )
    much_later = say(business_a, owner_a, Side.BUSINESS, "much later")
    notify(much_later)

    assert [email.body.count("after reading") for email in mail.outbox] == [0, 1, 0]
    assert "much later" in mail.outbox[2].body


def test_an_offline_business_has_its_owners_emailed_in_their_language(
    business_a, owner_a, manager, assigned
):
    staff = person("staff-a@example.com")
    Membership.objects.create(user=staff, business=business_a, role=Membership.Role.STAFF)
    User.objects.filter(pk=owner_a.pk).update(language="ru")
    message = say(business_a, manager, Side.MANAGER, "Your plan renews tomorrow.")

    notify(message)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["owner-a@example.com"]
    assert "Your plan renews tomorrow." in email.body
    assert f"http://alpha.localhost:{settings.SITE_PORT}/manager/" in email.body
    message.refresh_from_db()
    assert message.emailed_at is not None


def test_nobody_is_emailed_while_the_other_side_is_online(business_a, owner_a, manager, assigned):
    to_business = say(business_a, manager, Side.MANAGER, "are you there?")
    to_manager = say(business_a, owner_a, Side.BUSINESS, "yes, and you?")
    chat.chat_presence_touch(side=Side.BUSINESS, owner_id=business_a.pk, socket="page-1")
    chat.chat_presence_touch(side=Side.MANAGER, owner_id=manager.pk, socket="page-2")
    try:
        notify(to_business)
        notify(to_manager)
        assert mail.outbox == []
        assert chat.chat_side_online(business_id=business_a.pk, side=Side.MANAGER)
    finally:
        chat.chat_presence_leave(side=Side.BUSINESS, owner_id=business_a.pk, socket="page-1")
        chat.chat_presence_leave(side=Side.MANAGER, owner_id=manager.pk, socket="page-2")

    assert not chat.chat_side_online(business_id=business_a.pk, side=Side.BUSINESS)
    notify(to_business)
    assert [email.to for email in mail.outbox] == [["owner-a@example.com"]]


def test_a_read_message_is_not_emailed(business_a, owner_a, manager, assigned):
    message = say(business_a, owner_a, Side.BUSINESS, "seen quickly")
    chat.chat_mark_read(business=business_a, reader=manager, reader_side=Side.MANAGER)

    notify(message)

    assert mail.outbox == []
