"""Webhook payloads: every contract example (shared/contracts/waha) through parse_event and the
helper for its event, and the engine variants of a message (WEBJS, NOWEB, GOWS, @lid ids)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from channels_app.waha.payloads import (
    AckUpdate,
    DeliveryStatus,
    IncomingMessage,
    Location,
    MeInfo,
    MessageKind,
    PayloadError,
    PayloadErrorCode,
    SessionStatus,
    WahaEvent,
    ack_update,
    incoming_message,
    parse_event,
    session_status,
    short_message_id,
)

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "waha"
SENT_AT = dt.datetime(2022, 11, 4, 11, 31, 25, tzinfo=dt.UTC)  # 1667561485
MESSAGE_ID = "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
HELPERS = {
    "message": incoming_message,
    "message.ack": ack_update,
    "session.status": session_status,
}


def contract(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text())


def raw(name: str) -> bytes:
    return (CONTRACT / name).read_bytes()


def event_from(data: dict) -> WahaEvent:
    return parse_event(json.dumps(data).encode())


def incoming(name: str, **payload_changes) -> dict:
    """A contract message as someone else sent it (the examples are mostly our own)."""
    data = copy.deepcopy(contract(name))
    data["payload"].update({"fromMe": False, **payload_changes})
    return data


# The envelope


def test_the_envelope_example_is_read_whole():
    event = parse_event(raw("webhook-envelope.json"))

    assert event == WahaEvent(
        id="evt_1111111111111111111111111111",
        event="message",
        session="default",
        timestamp_ms=1741249702485,
        me=MeInfo(id="71111111111@c.us", push_name="~"),
        payload={},
        metadata={"user.id": "123", "user.email": "email@example.com"},
        engine="WEBJS",
    )
    # A message event without a message is nothing to store.
    assert incoming_message(event) is None


def test_the_hmac_vector_body_is_an_event_without_payload():
    event = parse_event(contract("webhook-hmac-test-vector.json")["body"].encode())

    assert (event.event, event.session, event.engine) == ("message", "default", "WEBJS")
    assert (event.id, event.timestamp_ms, event.me, event.payload) == (None, None, None, {})
    assert incoming_message(event) is None


@pytest.mark.parametrize("name", sorted(path.name for path in CONTRACT.glob("webhook-*.json")))
def test_every_contract_webhook_parses_and_only_its_own_helper_answers(name):
    data = contract(name)
    body = data["body"].encode() if "body" in data else raw(name)

    event = parse_event(body)

    assert event.event == json.loads(body)["event"]
    assert event.session == "default"
    for event_name, helper in HELPERS.items():
        if event_name != event.event:
            assert helper(event) is None, helper.__name__


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", PayloadErrorCode.INVALID_JSON),
        (b"{not json", PayloadErrorCode.INVALID_JSON),
        (b"\xff\xfe\x00", PayloadErrorCode.INVALID_JSON),
        (b"[]", PayloadErrorCode.INVALID_ENVELOPE),
        (b'"message"', PayloadErrorCode.INVALID_ENVELOPE),
        (b'{"session": "default", "payload": {}}', PayloadErrorCode.INVALID_ENVELOPE),
        (b'{"event": "message", "payload": {}}', PayloadErrorCode.INVALID_ENVELOPE),
        (b'{"event": "", "session": "default"}', PayloadErrorCode.INVALID_ENVELOPE),
        (b'{"event": "message", "session": 7}', PayloadErrorCode.INVALID_ENVELOPE),
        (b'{"event": "message", "session": "default", "payload": [1]}', "invalid_envelope"),
    ],
)
def test_malformed_bodies_are_payload_errors(body, code):
    with pytest.raises(PayloadError) as error:
        parse_event(body)
    assert error.value.code == code


def test_unknown_events_parse_and_every_helper_ignores_them():
    event = event_from(
        {"event": "presence.update", "session": "default", "payload": {"id": "x@c.us"}}
    )

    assert event.event == "presence.update"
    assert [helper(event) for helper in HELPERS.values()] == [None, None, None]


def test_me_with_lid_is_read_from_the_envelope():
    event = event_from(
        {
            "event": "session.status",
            "session": "s",
            "me": {"id": "5511953523741@c.us", "pushName": "Shop", "lid": "135923417219156@lid"},
            "payload": {"status": "WORKING"},
        }
    )

    assert event.me == MeInfo(id="5511953523741@c.us", push_name="Shop", lid="135923417219156@lid")


# message


def test_our_own_messages_are_not_incoming():
    assert incoming_message(parse_event(raw("webhook-message.json"))) is None
    assert incoming_message(parse_event(raw("webhook-message-webjs-full.json"))) is None


def test_message_any_is_not_read_as_incoming():
    event = parse_event(raw("webhook-message-any.json"))

    assert event.event == "message.any"
    assert incoming_message(event) is None


def test_a_text_message():
    message = incoming_message(event_from(incoming("webhook-message.json")))

    assert message == IncomingMessage(
        provider_id=MESSAGE_ID,
        chat_id="11111111111@c.us",
        phone="11111111111",
        lid=None,
        name="",
        text="Hi there!",
        kind=MessageKind.TEXT,
        media_url=None,
        media_mimetype=None,
        media_filename=None,
        timestamp=SENT_AT,
        reply_to=None,
    )


def test_a_webjs_message_takes_the_name_from_notify_name():
    message = incoming_message(event_from(incoming("webhook-message-webjs-full.json")))

    assert message.provider_id == MESSAGE_ID
    assert message.name == "MyName"
    assert (message.kind, message.text) == (MessageKind.TEXT, "Hi there!")
    assert (message.phone, message.lid) == ("11111111111", None)
    assert message.timestamp == SENT_AT


def test_a_media_message():
    message = incoming_message(parse_event(raw("webhook-message-media.json")))

    assert message.kind == MessageKind.IMAGE
    assert message.text == "Check this out (caption for the media)!"
    assert message.media_url == (
        "http://localhost:3000/api/files/true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.jpg"
    )
    assert (message.media_mimetype, message.media_filename) == ("image/jpeg", None)
    assert message.timestamp == SENT_AT


def test_webjs_from_as_lid_with_the_phone_in_data():
    data = incoming("webhook-message-webjs-full.json", **{"from": "245896994390182@lid"})

    message = incoming_message(event_from(data))

    assert message.chat_id == "245896994390182@lid"
    assert message.lid == "245896994390182@lid"
    assert message.phone == "11111111111"  # _data.from


def test_webjs_from_as_phone_with_the_lid_in_data():
    data = incoming("webhook-message-webjs-full.json")
    data["payload"]["_data"]["from"] = {
        "server": "lid",
        "user": "245896994390182",
        "_serialized": "245896994390182@lid",
    }

    message = incoming_message(event_from(data))

    assert message.chat_id == "11111111111@c.us"
    assert (message.phone, message.lid) == ("11111111111", "245896994390182@lid")


def test_webjs_ids_given_as_objects():
    data = incoming("webhook-message-webjs-full.json")
    data["payload"]["id"] = data["payload"]["_data"]["id"]
    data["payload"]["from"] = {"server": "c.us", "user": "22", "_serialized": "22@c.us"}

    message = incoming_message(event_from(data))

    assert (message.provider_id, message.chat_id, message.phone) == (MESSAGE_ID, "22@c.us", "22")


def test_noweb_lid_message_finds_the_phone_in_remote_jid_alt():
    data = incoming(
        "webhook-message.json",
        id="false_4639135154355@lid_297A4A9CC7BD7B111D49B72C8832D6D3",
        **{"from": "4639135154355@lid"},
        _data={
            "key": {
                "remoteJid": "4639135154355@lid",
                "remoteJidAlt": "5511999990000@s.whatsapp.net",
                "fromMe": False,
                "id": "297A4A9CC7BD7B111D49B72C8832D6D3",
            },
            "pushName": "rochafabiano31",
            "message": {"extendedTextMessage": {"text": "Tudo indo. Sim"}},
        },
        body="Tudo indo. Sim",
    )

    message = incoming_message(event_from(data))

    assert (message.phone, message.lid) == ("5511999990000", "4639135154355@lid")
    assert (message.name, message.text, message.kind) == (
        "rochafabiano31",
        "Tudo indo. Sim",
        MessageKind.TEXT,
    )


def test_noweb_lid_message_without_a_phone_anywhere():
    data = incoming(
        "webhook-message.json",
        **{"from": "4639135154355@lid"},
        _data={"key": {"remoteJid": "4639135154355@lid", "id": "X"}},
    )

    message = incoming_message(event_from(data))

    assert (message.phone, message.lid) == (None, "4639135154355@lid")


def test_gows_sender_with_a_device_suffix_and_push_name():
    data = incoming(
        "webhook-message.json",
        **{"from": "558591203123@c.us"},
        _data={
            "Info": {
                "Chat": "558591203123@s.whatsapp.net",
                "Sender": "558591203123:22@s.whatsapp.net",
                "SenderAlt": "91203123222@lid",
                "PushName": "Berg",
            }
        },
    )

    message = incoming_message(event_from(data))

    assert (message.phone, message.lid, message.name) == ("558591203123", "91203123222@lid", "Berg")


def test_a_group_message_is_attributed_to_its_participant():
    data = incoming(
        "webhook-message.json",
        **{"from": "120363000000000000@g.us"},
        participant="79991112233@c.us",
    )

    message = incoming_message(event_from(data))

    assert message.is_group is True
    assert message.chat_id == "120363000000000000@g.us"
    assert message.phone == "79991112233"


@pytest.mark.parametrize("chat", ["status@broadcast", "120363000000000000@newsletter"])
def test_status_updates_and_channel_posts_are_not_conversations(chat):
    assert incoming_message(event_from(incoming("webhook-message.json", **{"from": chat}))) is None


@pytest.mark.parametrize("missing", ["id", "from"])
def test_a_message_without_id_or_chat_is_ignored(missing):
    data = incoming("webhook-message.json")
    del data["payload"][missing]

    assert incoming_message(event_from(data)) is None


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"_data": {"type": "ptt"}, "hasMedia": True}, MessageKind.AUDIO),
        ({"_data": {"type": "audio"}, "hasMedia": True}, MessageKind.AUDIO),
        ({"_data": {"type": "video"}, "hasMedia": True}, MessageKind.VIDEO),
        ({"_data": {"type": "sticker"}, "hasMedia": True}, MessageKind.IMAGE),
        # Sent as a document: stays a file whatever its type.
        (
            {"_data": {"type": "document"}, "media": {"mimetype": "image/png", "url": "u"}},
            MessageKind.FILE,
        ),
        ({"_data": {"message": {"audioMessage": {}}}}, MessageKind.AUDIO),
        (
            {"_data": {"message": {"ephemeralMessage": {"message": {"imageMessage": {}}}}}},
            MessageKind.IMAGE,
        ),
        ({"_data": {"message": {"documentMessage": {}}}}, MessageKind.FILE),
        ({"media": {"mimetype": "video/mp4", "url": "u"}}, MessageKind.VIDEO),
        ({"media": {"mimetype": "audio/ogg; codecs=opus", "url": "u"}}, MessageKind.AUDIO),
        ({"media": {"mimetype": "application/pdf", "url": "u"}}, MessageKind.FILE),
        ({"hasMedia": True, "media": None}, MessageKind.FILE),
        ({"_data": {"type": "e2e_notification"}}, MessageKind.TEXT),
    ],
)
def test_the_kind_of_message(changes, kind):
    message = incoming_message(event_from(incoming("webhook-message.json", **changes)))

    assert message.kind == kind


def test_media_filename_and_deprecated_media_url():
    data = incoming(
        "webhook-message.json",
        hasMedia=True,
        mediaUrl="http://waha:3000/api/files/x.pdf",
        media={"mimetype": "application/pdf", "filename": "price list.pdf"},
    )

    message = incoming_message(event_from(data))

    assert message.media_url == "http://waha:3000/api/files/x.pdf"
    assert (message.media_mimetype, message.media_filename) == ("application/pdf", "price list.pdf")


def test_a_location_message():
    data = incoming(
        "webhook-message.json",
        body="/9j/4AAQSkZJRg==",  # WEBJS puts the map thumbnail in the body
        location={
            "latitude": "38.8937255",
            "longitude": "-77.0969763",
            "live": False,
            "name": "Shop",
            "address": "Main street 1",
        },
    )

    message = incoming_message(event_from(data))

    assert message.kind == MessageKind.LOCATION
    assert message.location == Location(
        latitude=38.8937255, longitude=-77.0969763, name="Shop", address="Main street 1"
    )
    assert message.text == "Shop\nMain street 1"


def test_a_noweb_location_message():
    data = incoming(
        "webhook-message.json",
        body="",
        _data={"message": {"locationMessage": {"degreesLatitude": 1.5, "degreesLongitude": 2.5}}},
    )

    message = incoming_message(event_from(data))

    assert message.kind == MessageKind.LOCATION
    assert message.location == Location(latitude=1.5, longitude=2.5)
    assert message.text == ""


def test_a_reply_names_the_quoted_message():
    data = incoming(
        "webhook-message.json",
        replyTo={"id": "A55C8FEA23D0DCFCCD804555305A8696", "hasMedia": False, "body": "Texto"},
    )

    assert incoming_message(event_from(data)).reply_to == "A55C8FEA23D0DCFCCD804555305A8696"


def test_a_webjs_reply_names_the_quoted_stanza():
    data = incoming("webhook-message.json", _data={"quotedStanzaID": "3EB0378E606CA43FEF38D2"})

    assert incoming_message(event_from(data)).reply_to == "3EB0378E606CA43FEF38D2"


def test_without_a_message_timestamp_the_event_time_is_used():
    data = incoming("webhook-message.json")
    del data["payload"]["timestamp"]
    data["timestamp"] = 1741249702485

    message = incoming_message(event_from(data))

    assert message.timestamp == dt.datetime(2025, 3, 6, 8, 28, 22, tzinfo=dt.UTC)


def test_short_message_id():
    assert short_message_id(MESSAGE_ID) == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert short_message_id("false_1@g.us_ABC_2@c.us") == "ABC"
    assert short_message_id("ABC") == "ABC"


# message.ack


def test_the_ack_example_is_read():
    update = ack_update(parse_event(raw("webhook-message-ack.json")))

    assert update == AckUpdate(
        provider_id="true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C",
        ack=3,
        ack_name="READ",
        status=DeliveryStatus.READ,
    )


EXPECTED_STATUSES = {
    "ERROR": DeliveryStatus.FAILED,
    "PENDING": DeliveryStatus.PENDING,
    "SERVER": DeliveryStatus.SENT,
    "DEVICE": DeliveryStatus.DELIVERED,
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.READ,
}


@pytest.mark.parametrize(("name", "ack"), sorted(contract("message-ack-values.json").items()))
def test_every_ack_value_maps_to_a_status(name, ack):
    data = contract("webhook-message-ack.json")
    data["payload"].update(ack=ack, ackName=name)
    by_name = copy.deepcopy(data)
    del by_name["payload"]["ack"]

    assert ack_update(event_from(data)).status == EXPECTED_STATUSES[name]
    assert ack_update(event_from(by_name)) == ack_update(event_from(data))


def test_unknown_ack_values_and_acks_without_id_are_ignored():
    unknown = contract("webhook-message-ack.json")
    unknown["payload"].update(ack=9, ackName="FUTURE")
    without_id = contract("webhook-message-ack.json")
    del without_id["payload"]["id"]

    assert ack_update(event_from(unknown)) is None
    assert ack_update(event_from(without_id)) is None


# session.status


def test_the_working_status_example_names_the_account():
    status = session_status(parse_event(raw("webhook-session-status-working.json")))

    assert status == SessionStatus(
        status="WORKING", me_id="7911111@c.us", me_push_name="~", data=None
    )


def test_the_passkey_status_example_carries_the_challenge():
    status = session_status(parse_event(raw("webhook-session-status-passkey-required.json")))

    assert (status.status, status.me_id, status.me_push_name) == ("PASSKEY_REQUIRED", None, None)
    assert status.data["challenge"] == "9WVUYm9AsQ..."
    assert status.data["rpId"] == "web.whatsapp.com"


@pytest.mark.parametrize("name", contract("session-statuses.json"))
def test_every_session_status_is_passed_through(name):
    event = event_from({"event": "session.status", "session": "s", "payload": {"status": name}})

    assert session_status(event).status == name


def test_a_status_event_without_status_is_ignored():
    event = event_from({"event": "session.status", "session": "s", "payload": {}})

    assert session_status(event) is None
