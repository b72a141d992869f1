"""The visitor API on the public host: sessions, history, messages, CORS, limits."""

from __future__ import annotations

import pytest
from django.core import signing
from django_tenants.utils import tenant_context

from conversations.models import Contact, Conversation, Message
from conversations.services import message_send, note_add
from webchat import services

from .conftest import SHOP, Api


def _messages(widget):
    with tenant_context(widget.business):
        return list(Message.objects.filter(channel_id=widget.channel.pk).order_by("id"))


# Sessions ---------------------------------------------------------------------------------


def test_new_visitor_gets_a_signed_token_and_the_widget_settings(api, widget):
    response = api.post("session", {"page": f"{SHOP}/garden"})

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["widget"] == {
        "title": "Alpha Shop Main",
        "greeting": "Hello! How can we help you?",
        "accent_color": "#4f46e5",
    }
    assert body["max_chars"] == 4096
    assert body["strings"]["typing"] == "typing…"
    data = signing.loads(body["token"], salt=f"webchat.visitor:{widget.key}")
    assert data["h"].startswith("v_")
    assert data["s"] == f"{SHOP}/garden"


def test_a_stored_token_keeps_the_visitor_after_a_reload(api):
    token = api.session(page=f"{SHOP}/")

    response = api.post("session", {"token": token, "page": f"{SHOP}/other"})

    assert response.status_code == 200
    assert response.json()["token"] == token
    assert response.json()["created"] is False


def test_a_forged_token_or_one_of_another_widget_starts_a_new_visitor(api):
    forged = signing.dumps({"h": "v_someone", "s": ""}, salt="webchat.visitor:other-widget-key")

    for token in (forged, "not-a-token", "x" * 5000):
        response = api.post("session", {"token": token})
        assert response.status_code == 201
        assert response.json()["token"] != token


def test_the_page_is_kept_as_the_contacts_lead_source(api, widget):
    token = api.session(page=f"{SHOP}/catalog?utm_source=ads#top")

    assert api.send(token, "Hello", "c1").status_code == 201

    with tenant_context(widget.business):
        contact = Contact.objects.get(channel_id=widget.channel.pk)
    assert contact.source == f"{SHOP}/catalog?utm_source=ads"
    assert contact.handle.startswith("v_")
    assert contact.name.startswith("Visitor ")


def test_a_page_that_is_not_a_web_address_is_no_lead_source(api, widget):
    token = api.session(page="javascript:alert(1)")
    api.send(token, "Hi", "c1")
    with tenant_context(widget.business):
        assert Contact.objects.get(channel_id=widget.channel.pk).source == ""


# Messages ---------------------------------------------------------------------------------


def test_a_visitors_message_arrives_in_the_inbox(api, widget):
    token = api.session(page=f"{SHOP}/")

    response = api.send(token, "  Do you deliver on Sunday?  ", "c-1")

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["message"]["text"] == "Do you deliver on Sunday?"
    assert body["message"]["direction"] == "in"
    [stored] = _messages(widget)
    assert stored.pk == body["message"]["id"]
    assert stored.direction == Message.Direction.IN
    with tenant_context(widget.business):
        conversation = Conversation.objects.get(pk=stored.conversation_id)
        assert conversation.channel_id == widget.channel.pk
        assert conversation.unread_count == 1
        assert conversation.last_message_text == "Do you deliver on Sunday?"
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_a_retried_client_id_is_stored_once(api, widget):
    token = api.session()

    first = api.send(token, "Hello", "retry-me")
    again = api.send(token, "Hello", "retry-me")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert len(_messages(widget)) == 1


def test_two_visitors_with_the_same_client_id_both_get_their_message(api, widget):
    first, second = api.session(), api.session()

    one = api.send(first, "From the first", "same-id")
    two = api.send(second, "From the second", "same-id")

    assert one.status_code == two.status_code == 201
    assert two.json()["message"]["text"] == "From the second"
    with tenant_context(widget.business):
        assert Conversation.objects.filter(channel_id=widget.channel.pk).count() == 2


def test_a_staff_rename_of_the_contact_stays(api, widget):
    token = api.session()
    api.send(token, "One", "c1")
    with tenant_context(widget.business):
        Contact.objects.filter(channel_id=widget.channel.pk).update(name="Olga")

    api.send(token, "Two", "c2")

    with tenant_context(widget.business):
        assert Contact.objects.get(channel_id=widget.channel.pk).name == "Olga"


def test_an_empty_message_is_refused(api, widget):
    token = api.session()

    response = api.send(token, "   \n ", "c1")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty"
    assert _messages(widget) == []


def test_an_oversized_message_is_refused_with_a_clear_error(api, widget, settings):
    token = api.session()

    response = api.send(token, "x" * (settings.MESSAGE_MAX_CHARS + 1), "c1")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_long"
    assert str(settings.MESSAGE_MAX_CHARS) in error["message"]
    assert _messages(widget) == []
    # exactly the limit is fine
    assert api.send(token, "x" * settings.MESSAGE_MAX_CHARS, "c2").status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        {"text": "no token", "client_id": "c1"},
        {"text": 5, "client_id": "c1"},
        {"text": "bad id", "client_id": "a b/c"},
        {"text": "no id"},
    ],
)
def test_unreadable_messages_are_refused_and_nothing_is_stored(api, widget, body):
    token = api.session()
    if isinstance(body, dict) and "text" in body and body.get("text") != "no token":
        body = {**body, "token": token}

    response = api.post("messages", body)

    assert response.status_code in (400, 403)
    assert response.json()["error"]["code"] in ("bad_request", "bad_token")
    assert _messages(widget) == []


def test_a_message_with_a_forged_token_is_refused(api, widget):
    forged = signing.dumps({"h": "v_x"}, salt="webchat.visitor:another-key")

    response = api.send(forged, "Hello", "c1")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_token"
    assert _messages(widget) == []


# History ----------------------------------------------------------------------------------


def test_history_shows_the_conversation_but_never_internal_notes(api, widget, owner_a):
    token = api.session()
    api.send(token, "Is the blue pot in stock?", "c1")
    with tenant_context(widget.business):
        conversation = Conversation.objects.get(channel_id=widget.channel.pk)
        note_add(conversation=conversation, author=owner_a, text="INTERNAL: check stock")
        message_send(conversation=conversation, text="Yes, 3 left.", author=owner_a)

    response = api.history(token)

    assert response.status_code == 200
    texts = [message["text"] for message in response.json()["messages"]]
    assert texts == ["Is the blue pot in stock?", "Yes, 3 left."]
    assert "note" not in {message["direction"] for message in response.json()["messages"]}


def test_history_after_an_id_returns_only_newer_messages(api):
    token = api.session()
    first = api.send(token, "one", "c1").json()["message"]["id"]
    api.send(token, "two", "c2")
    api.send(token, "three", "c3")

    response = api.history(token, after=first)

    assert [m["text"] for m in response.json()["messages"]] == ["two", "three"]


def test_a_new_visitor_has_no_history(api):
    response = api.history(api.session())
    assert response.status_code == 200
    assert response.json() == {"messages": []}


def test_history_needs_a_valid_token_and_a_numeric_after(api):
    assert api.history("forged").status_code == 403
    assert api.get("messages", {"token": api.session(), "after": "x"}).status_code == 400


def test_a_reply_the_assistant_never_sent_is_not_shown(api, widget):
    token = api.session()
    api.send(token, "Hi", "c1")
    with tenant_context(widget.business):
        conversation = Conversation.objects.get(channel_id=widget.channel.pk)
        reply = message_send(conversation=conversation, text="assistant draft")
        Message.objects.filter(pk=reply.pk).update(status=Message.Status.CANCELED)

    texts = [m["text"] for m in api.history(token).json()["messages"]]

    assert texts == ["Hi"]


def test_one_visitor_never_sees_another_visitors_conversation(api):
    alice, bob = api.session(), api.session()
    api.send(alice, "Alice's secret", "c1")

    assert api.history(bob).json() == {"messages": []}


# Unknown and disabled widgets, origins, CORS ----------------------------------------------


def test_an_unknown_key_answers_404_json(public_client):
    api = Api(public_client, "no-such-widget-key")

    response = api.post("session", {})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Api(public_client, "bad key!").post("session", {}).status_code == 404


def test_a_disabled_widget_answers_404_and_stores_nothing(api, widget):
    token = api.session()
    widget.configure(enabled=False)

    assert api.post("session", {}).status_code == 404
    response = api.send(token, "Hello?", "c1")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _messages(widget) == []
    widget.configure(enabled=True)
    assert api.send(token, "Hello?", "c1").status_code == 201


def test_a_website_that_is_not_allowed_gets_403_and_nothing_is_stored(public_client, widget):
    widget.configure(allowed_origins=[SHOP])
    shop = Api(public_client, widget.key, origin=SHOP)
    token = shop.session()
    evil = Api(public_client, widget.key, origin="https://evil.example")

    response = evil.send(token, "spam", "c1")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert evil.post("session", {}).status_code == 403
    assert evil.history(token).status_code == 403
    assert _messages(widget) == []
    assert shop.send(token, "hello", "c1").status_code == 201


def test_allowed_origins_match_exactly_or_by_subdomain_wildcard(widget):
    widget.configure(allowed_origins=["https://shop.example", "https://*.brand.example"])
    with tenant_context(widget.business):
        settings = services.widget_get(key=widget.key).settings

    def allowed(origin):
        return services.origin_allowed(widget_settings=settings, origin=origin)

    assert allowed("https://shop.example")
    assert allowed("https://SHOP.example:443")
    assert allowed("https://eu.brand.example")
    assert not allowed("http://shop.example")
    assert not allowed("https://shop.example:8443")
    assert not allowed("https://brand.example.evil.example")
    assert not allowed("https://evilbrand.example")
    assert not allowed("null")
    assert allowed(None)  # not a cross-origin browser request


def test_preflight_is_answered_for_an_allowed_origin(api, widget):
    widget.configure(allowed_origins=[SHOP])

    response = api.client.options(
        f"/widget/api/{widget.key}/messages",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "POST", "OPTIONS"}
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Origin" in response["Vary"]


def test_preflight_from_another_website_is_refused(api, widget):
    widget.configure(allowed_origins=[SHOP])

    response = api.client.options(
        f"/widget/api/{widget.key}/session",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_any_website_may_use_a_widget_without_a_list(public_client, widget):
    api = Api(public_client, widget.key, origin="https://anything.example")
    response = api.post("session", {})
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://anything.example"


def test_other_methods_are_refused(api, widget):
    response = api.client.delete(f"/widget/api/{widget.key}/messages", HTTP_ORIGIN=SHOP)
    assert response.status_code == 405
    assert api.client.get(f"/widget/api/{widget.key}/session").status_code == 405


# Rate limits ------------------------------------------------------------------------------


@pytest.fixture
def frozen_minute(monkeypatch):
    """A fixed clock for the per-minute windows, so a test never straddles two minutes."""
    now = 60 * 31_666_667 + 15.0
    monkeypatch.setattr(services.time, "time", lambda: now)
    return now


def test_too_many_messages_from_one_visitor_get_429_with_retry_after(
    api, widget, settings, frozen_minute
):
    settings.WIDGET_MESSAGES_PER_MINUTE = 2
    token = api.session()
    assert api.send(token, "one", "c1").status_code == 201
    assert api.send(token, "two", "c2").status_code == 201

    response = api.send(token, "three", "c3")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) == 45  # to the end of the minute
    assert response["Access-Control-Expose-Headers"] == "Retry-After"
    assert [m.text for m in _messages(widget)] == ["one", "two"]
    # a retry of a stored message is not counted
    assert api.send(token, "two", "c2").status_code == 200


def test_many_visitors_from_one_address_are_limited_together(api, widget, settings, frozen_minute):
    settings.WIDGET_MESSAGES_PER_MINUTE = 1
    limit = settings.WIDGET_MESSAGES_PER_MINUTE * services.VISITORS_PER_IP
    for number in range(limit):
        assert api.send(api.session(), "hi", f"c{number}").status_code == 201

    response = api.send(api.session(), "hi", "c-last")

    assert response.status_code == 429
    assert len(_messages(widget)) == limit


def test_new_sessions_from_one_address_are_limited(api, monkeypatch, frozen_minute):
    monkeypatch.setattr(services, "SESSIONS_PER_IP_PER_MINUTE", 2)
    token = api.session()
    api.session()

    response = api.post("session", {})

    assert response.status_code == 429
    assert response["Retry-After"]
    # a visitor who has a token keeps it
    assert api.post("session", {"token": token}).status_code == 200
