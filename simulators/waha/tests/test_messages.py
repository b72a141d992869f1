import base64
import re

import httpx
import pytest

from simulators.waha import Timings, WahaSimServer
from simulators.waha.png import PNG_SIGNATURE, qr_png
from simulators.waha.tests.conftest import API_KEY, FAST, fixture, webhook_config

CUSTOMER = "79990000001@c.us"
PNG = qr_png("2@picture", scale=1, border=0)


def incoming(receiver, phone, **body):
    response = phone.post("/sim/sessions/default/incoming", json={"from": "79990000001", **body})
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    return receiver.wait_for(
        lambda b: b["event"] == "message" and b["payload"]["id"] == message_id
    ).json


def acks(receiver, message_id):
    return [
        d.json["payload"]["ack"]
        for d in receiver.events("message.ack")
        if d.json["payload"]["id"] == message_id
    ]


# ---------------------------------------------------------------- incoming


def test_customer_message_arrives_as_message_webhook(phone, receiver, linked):
    body = incoming(receiver, phone, name="Anna", text="Do you deliver on Sundays?")

    payload = body["payload"]
    assert body["event"] == "message"
    assert body["me"] == {"id": "79001234567@c.us", "pushName": "Alpha Shop"}
    assert set(fixture("webhook-message.json")["payload"]) - {"source"} <= set(payload)
    assert re.fullmatch(r"false_79990000001@c\.us_[0-9A-F]{32}", payload["id"])
    assert payload["from"] == CUSTOMER
    assert payload["to"] == "79001234567@c.us"
    assert payload["fromMe"] is False
    assert payload["body"] == "Do you deliver on Sundays?"
    assert payload["hasMedia"] is False and payload["media"] is None
    assert abs(payload["timestamp"] - body["timestamp"] / 1000) < 5  # seconds vs milliseconds
    data = payload["_data"]
    assert data["notifyName"] == "Anna"
    assert data["id"] == {
        "fromMe": False,
        "remote": CUSTOMER,
        "id": payload["id"].rsplit("_", 1)[1],
        "_serialized": payload["id"],
    }
    assert data["from"] == CUSTOMER and data["type"] == "chat"
    any_event = receiver.wait_for(lambda b: b["event"] == "message.any").json
    assert any_event["payload"]["id"] == payload["id"]


def test_customer_lid_is_given_alongside_and_resolvable(api, phone, receiver, linked):
    body = incoming(receiver, phone, text="hi", lid="123456789012345")

    key = body["payload"]["_data"]["key"]
    assert body["payload"]["from"] == CUSTOMER
    assert key["remoteJidAlt"] == "123456789012345@lid"
    assert key["addressingMode"] == "pn"
    assert api.get("/api/default/lids/123456789012345").json() == {
        "lid": "123456789012345@lid",
        "pn": "79990000001@c.us",
    }
    assert api.get("/api/default/lids/pn/79990000001").json()["lid"] == "123456789012345@lid"
    assert api.get("/api/default/lids/count").json() == {"count": 1}


def test_lid_addressed_message_hides_the_phone_like_recent_whatsapp(api, phone, receiver, linked):
    body = incoming(receiver, phone, text="hi", lid="123456789012345", addressing="lid")

    payload = body["payload"]
    assert payload["from"] == "123456789012345@lid"
    assert payload["id"].startswith("false_123456789012345@lid_")
    assert payload["_data"]["key"]["remoteJidAlt"] == "79990000001@s.whatsapp.net"
    # the business answers the lid and the phone page shows it in the customer's chat
    sent = api.post(
        "/api/sendText",
        json={"session": "default", "chatId": "123456789012345@lid", "text": "hello"},
    )
    assert sent.status_code == 201
    state = phone.get("/sim/state", params={"session": "default", "phone": "79990000001"}).json()
    assert [m["body"] for m in state["messages"]] == ["hi", "hello"]


def test_customer_picture_is_served_to_the_product_with_the_key(
    api, phone, server, receiver, linked
):
    media = {
        "mimetype": "image/png",
        "filename": "photo.png",
        "data": base64.b64encode(PNG).decode(),
    }

    body = incoming(receiver, phone, text="this one", media=media)

    payload = body["payload"]
    assert payload["hasMedia"] is True
    assert payload["media"]["mimetype"] == "image/png"
    assert payload["media"]["filename"] == "photo.png"
    assert payload["media"]["error"] is None
    url = payload["media"]["url"]
    assert url.startswith(f"{server.url}/api/files/default/false_79990000001@c.us_")
    assert url.endswith(".png")
    assert payload["_data"]["type"] == "image"
    assert httpx.get(url).status_code == 401
    assert api.get(url).content == PNG
    assert api.get(url).headers["content-type"] == "image/png"


def test_incoming_needs_a_working_session(api, phone):
    api.post("/api/sessions", json={"name": "default", "start": False})

    response = phone.post("/sim/sessions/default/incoming", json={"from": "79990000001"})

    assert response.status_code == 409


# ------------------------------------------------------------------ sending


def test_send_text_answers_201_and_acks_follow(api, phone, receiver, linked):
    response = api.post("/api/sendText", json=fixture("send-text-request.json"))

    assert response.status_code == 201
    message = response.json()
    assert re.fullmatch(r"true_12132132130@c\.us_3EB0[0-9A-F]{18}", message["id"])
    assert message["fromMe"] is True
    assert message["from"] == "79001234567@c.us"
    assert message["to"] == "12132132130@c.us"
    assert message["body"] == "Hi there!"
    assert message["ack"] == 1 and message["ackName"] == "SERVER"
    assert isinstance(message["timestamp"], int)
    any_event = receiver.wait_for(lambda b: b["event"] == "message.any").json
    assert any_event["payload"]["source"] == "api"
    assert any_event["payload"]["id"] == message["id"]
    device = receiver.wait_for(lambda b: b["event"] == "message.ack" and b["payload"]["ack"] == 2)
    ack = device.json["payload"]
    assert set(fixture("webhook-message-ack.json")["payload"]) <= set(ack)
    assert ack == ack | {"id": message["id"], "fromMe": True, "ackName": "DEVICE"}
    assert acks(receiver, message["id"]) == [1, 2]

    # when the customer opens the chat on the phone
    read = phone.post("/sim/sessions/default/read", json={"phone": "12132132130"})

    assert read.json() == {"read": 1}
    receiver.wait_for(lambda b: b["event"] == "message.ack" and b["payload"]["ack"] == 3)
    assert acks(receiver, message["id"]) == [1, 2, 3]
    assert phone.post("/sim/sessions/default/read", json={"phone": "12132132130"}).json() == {
        "read": 0
    }


def test_read_before_delivery_still_acks_in_order(api, phone, receiver, linked):
    sent = api.post(
        "/api/sendText", json={"session": "default", "chatId": CUSTOMER, "text": "quick"}
    ).json()

    phone.post("/sim/sessions/default/read", json={"phone": "79990000001"})

    receiver.wait_for(lambda b: b["event"] == "message.ack" and b["payload"]["ack"] == 3)
    assert acks(receiver, sent["id"]) == [1, 2, 3]


def test_reply_and_pre_generated_id(api, phone, receiver, linked):
    customer = incoming(receiver, phone, text="question")["payload"]

    response = api.post(
        "/api/sendText",
        json={
            "session": "default",
            "chatId": CUSTOMER,
            "text": "answer",
            "reply_to": customer["id"],
            "id": "BBBBBBBBBBBBBBBBB",
        },
    )

    assert response.json()["id"] == f"true_{CUSTOMER}_BBBBBBBBBBBBBBBBB"
    assert response.json()["replyTo"] == {
        "id": customer["id"].rsplit("_", 1)[1],
        "participant": CUSTOMER,
        "body": "question",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"session": "default", "chatId": "79990000001", "text": "no suffix"},
        {"session": "default", "chatId": "+7 999@c.us", "text": "not digits"},
        {"session": "default", "chatId": CUSTOMER},
        {"session": "default", "chatId": CUSTOMER, "text": 5},
    ],
)
def test_invalid_send_body_is_400(api, linked, body):
    response = api.post("/api/sendText", json=body)

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_send_to_unknown_session_is_404(api):
    response = api.post("/api/sendText", json={"session": "nope", "chatId": CUSTOMER, "text": "x"})

    assert response.status_code == 404
    assert "We didn't find a session with name 'nope'" in response.json()["message"]


def test_send_before_linking_is_422(api, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    response = api.post(
        "/api/sendText", json={"session": "default", "chatId": CUSTOMER, "text": "x"}
    )

    assert response.status_code == 422
    assert response.json()["status"] == "SCAN_QR_CODE"
    assert response.json()["expected"] == ["WORKING"]


def test_send_image_from_base64_is_stored_for_the_phone(api, phone, linked):
    body = {
        "session": "default",
        "chatId": CUSTOMER,
        "caption": "our menu",
        "file": {
            "mimetype": "image/png",
            "filename": "menu.png",
            "data": base64.b64encode(PNG).decode(),
        },
    }

    response = api.post("/api/sendImage", json=body)

    assert response.status_code == 201
    message = response.json()
    assert message["hasMedia"] is True
    assert message["body"] == "our menu"
    assert message["media"]["filename"] == "menu.png"
    assert api.get(message["media"]["url"]).content == PNG
    shown = phone.get("/sim/state", params={"phone": "79990000001"}).json()["messages"][-1]
    assert phone.get(shown["media"]["simUrl"]).content == PNG  # the phone page needs no key


def test_send_file_by_url_downloads_it(api, phone, receiver, linked):
    receiver.files["/price.pdf"] = ("application/pdf", b"%PDF-1.4 price list")
    body = fixture("send-file-request-url.json") | {"chatId": CUSTOMER}
    body["file"] = {
        "mimetype": "application/pdf",
        "filename": "price.pdf",
        "url": f"{receiver.base}/price.pdf",
    }

    response = api.post("/api/sendFile", json=body)

    assert response.status_code == 201
    assert response.json()["_data"]["type"] == "document"
    assert api.get(response.json()["media"]["url"]).content == b"%PDF-1.4 price list"


def test_send_file_from_an_unreachable_url_keeps_the_link(api, linked):
    body = fixture("send-image-request-url.json") | {"chatId": CUSTOMER}
    body["file"]["url"] = "http://127.0.0.1:9/missing.jpg"

    response = api.post("/api/sendImage", json=body)

    assert response.status_code == 201
    assert response.json()["media"]["url"] == "http://127.0.0.1:9/missing.jpg"


def test_send_file_needs_url_or_data(api, linked):
    response = api.post(
        "/api/sendFile",
        json={"session": "default", "chatId": CUSTOMER, "file": {"mimetype": "image/png"}},
    )

    assert response.status_code == 400


def test_seen_and_typing_show_on_the_phone(api, phone, receiver, linked):
    customer = incoming(receiver, phone, text="hello?")["payload"]

    seen = api.post(
        "/api/sendSeen",
        json={"session": "default", "chatId": CUSTOMER, "messageIds": [customer["id"]]},
    )
    typing = api.post("/api/startTyping", json={"session": "default", "chatId": CUSTOMER})

    assert (seen.status_code, seen.content) == (201, b"")
    assert (typing.status_code, typing.content) == (201, b"")
    state = phone.get("/sim/state", params={"session": "default"}).json()
    assert state["messages"][0]["seen"] is True
    assert state["sessions"][0]["typing"] == ["79990000001"]
    api.post("/api/stopTyping", json={"session": "default", "chatId": CUSTOMER})
    assert phone.get("/sim/state").json()["sessions"][0]["typing"] == []


def test_sending_a_message_ends_typing(api, phone, linked):
    api.post("/api/startTyping", json={"session": "default", "chatId": CUSTOMER})

    api.post("/api/sendText", json={"session": "default", "chatId": CUSTOMER, "text": "done"})

    assert phone.get("/sim/state").json()["sessions"][0]["typing"] == []


def test_check_exists(api, linked):
    response = api.get(
        "/api/contacts/check-exists", params={"phone": "79990000001", "session": "default"}
    )

    assert response.json() == {"numberExists": True, "chatId": CUSTOMER}


def test_webjs_id_style_returns_the_id_object(receiver):
    server = WahaSimServer(
        host="127.0.0.1",
        port=0,
        api_key=API_KEY,
        timings=Timings(**FAST.__dict__),
        send_id_style="webjs",
    ).start()
    try:
        with httpx.Client(base_url=server.url, headers={"X-Api-Key": API_KEY}) as api:
            api.post("/api/sessions", json={"name": "default"})
            httpx.post(f"{server.url}/sim/sessions/default/scan")
            message = api.post(
                "/api/sendText", json={"session": "default", "chatId": CUSTOMER, "text": "x"}
            ).json()
    finally:
        server.stop()

    assert message["id"]["_serialized"].startswith(f"true_{CUSTOMER}_")
    assert message["id"]["fromMe"] is True


def test_unknown_api_route_is_404(api):
    response = api.get("/api/unknown/thing/here")

    assert response.status_code == 404


def test_pages_and_state(phone, linked):
    index = phone.get("/")
    page = phone.get("/phone")
    state = phone.get("/sim/state").json()

    assert index.status_code == 200 and "WAHA simulator" in index.text
    assert page.status_code == 200 and 'id="composer"' in page.text
    assert state["sessions"][0]["account"]["id"] == "79001234567@c.us"
    assert phone.get("/sim/qr/default.png").status_code == 404  # linked: no QR on screen


def test_qr_picture_for_the_pages(api, phone, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    response = phone.get("/sim/qr/default.png")

    assert response.content.startswith(PNG_SIGNATURE)
