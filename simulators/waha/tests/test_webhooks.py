import httpx
import pytest

from simulators.waha import WahaSimServer
from simulators.waha.signing import webhook_hmac_valid
from simulators.waha.tests.conftest import API_KEY, FAST, HMAC_KEY, fixture, webhook_config
from simulators.waha.webhooks import RetryPolicy, WebhookTarget


def test_retry_policies_space_attempts_like_waha():
    assert RetryPolicy("constant", 2, 4).delays() == [2, 2, 2]
    assert RetryPolicy("linear", 2, 5).delays() == [2, 4, 6, 8]
    exponential = RetryPolicy("exponential", 2, 5).delays()
    for pause, base in zip(exponential, [2, 4, 8, 16], strict=True):
        assert base <= pause <= base * 1.2
    assert RetryPolicy("constant", 2, 1).delays() == []


def test_webhook_without_retries_config_uses_waha_defaults():
    target = WebhookTarget.from_config({"url": "http://x", "events": ["*"], "retries": None})

    assert target.retries == RetryPolicy("constant", 2.0, 15)
    assert target.wants("message.ack")


def test_session_status_webhook_is_signed_and_shaped_like_the_contract(api, receiver):
    # given a session whose webhook has an HMAC key and a custom header
    api.post(
        "/api/sessions",
        json={
            "name": "default",
            "config": {"webhooks": [webhook_config(receiver)], "metadata": {"business": "alpha"}},
        },
    )

    # when it starts and shows a QR code
    delivery = receiver.wait_status("SCAN_QR_CODE")

    # then the request is signed over its raw body and carries WAHA's headers
    headers, body = delivery.headers, delivery.json
    assert webhook_hmac_valid(HMAC_KEY, delivery.body, headers["x-webhook-hmac"])
    assert headers["x-webhook-hmac-algorithm"] == "sha512"
    assert headers["x-webhook-request-id"]
    assert abs(int(headers["x-webhook-timestamp"]) - body["timestamp"]) < 5000
    assert headers["x-business"] == "alpha"
    assert headers["content-type"] == "application/json"
    assert set(fixture("webhook-envelope.json")) <= set(body)
    assert body["id"].startswith("evt_") and len(body["id"]) == 30
    assert body["event"] == "session.status"
    assert body["session"] == "default"
    assert body["metadata"] == {"business": "alpha"}
    assert body["me"] is None
    assert body["engine"] == "WEBJS"
    assert body["environment"]["version"] == "2026.7.1"
    assert body["payload"]["status"] == "SCAN_QR_CODE"
    assert [s["status"] for s in body["payload"]["statuses"]] == [
        "STOPPED",
        "STARTING",
        "SCAN_QR_CODE",
    ]
    starting = receiver.events("session.status")[0].json
    assert starting["payload"]["status"] == "STARTING"


def test_failing_receiver_gets_retries_until_it_answers_2xx(api, server, receiver):
    # given a receiver that fails twice
    receiver.statuses = [500, 500]

    # when the session's first event is sent
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    # then the STARTING event came three times, the same request each time, then the next events
    deliveries = receiver.events()
    assert [d.json["payload"]["status"] for d in deliveries[:4]] == [
        "STARTING",
        "STARTING",
        "STARTING",
        "SCAN_QR_CODE",
    ]
    assert len({d.headers["x-webhook-request-id"] for d in deliveries[:3]}) == 1
    assert len({d.json["id"] for d in deliveries[:3]}) == 1
    server.simulator.dispatcher.wait_idle()
    first = server.simulator.snapshot()["deliveries"][0]
    assert first == first | {"event": "session.status", "attempts": 3, "delivered": True}


def test_gives_up_after_the_configured_attempts(api, server, receiver):
    receiver.statuses = [503] * 10
    hook = webhook_config(receiver, retries={"delaySeconds": 0.01, "attempts": 2})

    api.post("/api/sessions", json={"name": "default", "config": {"webhooks": [hook]}})

    assert server.simulator.dispatcher.wait_idle(timeout=5)
    record = server.simulator.snapshot()["deliveries"][0]
    assert record["attempts"] == 2 and not record["delivered"] and record["status"] == 503


def test_client_error_answer_is_final(api, server, receiver):
    receiver.statuses = [400]

    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    assert [d.json["payload"]["status"] for d in receiver.events()] == ["STARTING", "SCAN_QR_CODE"]
    assert server.simulator.snapshot()["deliveries"][0]["attempts"] == 1


@pytest.mark.parametrize("events", [["*"], ["message"]])
def test_events_filter_what_a_webhook_gets(api, phone, server, receiver, events):
    hook = webhook_config(receiver, events=events)
    api.post("/api/sessions", json={"name": "default", "config": {"webhooks": [hook]}})
    server.simulator.dispatcher.wait_idle()
    phone.post("/sim/sessions/default/scan")
    phone.post("/sim/sessions/default/incoming", json={"from": "79990000001", "text": "hi"})
    receiver.wait_for(lambda body: body["event"] == "message")
    server.simulator.dispatcher.wait_idle()

    got = {d.json["event"] for d in receiver.events()}

    assert got == (
        {"message"} if events == ["message"] else {"session.status", "message", "message.any"}
    )


def test_unreachable_webhook_url_does_not_break_the_api(api, server):
    hook = {"url": "http://127.0.0.1:9/nowhere", "events": ["*"], "retries": {"attempts": 1}}

    response = api.post("/api/sessions", json={"name": "default", "config": {"webhooks": [hook]}})

    assert response.status_code == 201
    assert server.simulator.dispatcher.wait_idle(timeout=5)
    assert server.simulator.snapshot()["deliveries"][0]["error"]


def test_global_webhook_gets_events_of_every_session_without_showing_in_config(receiver):
    hook = {"url": receiver.url, "events": ["session.status"], "hmac": {"key": HMAC_KEY}}
    server = WahaSimServer(
        host="127.0.0.1", port=0, api_key=API_KEY, timings=FAST, global_webhooks=[hook]
    ).start()
    try:
        with httpx.Client(base_url=server.url, headers={"X-Api-Key": API_KEY}) as api:
            created = api.post("/api/sessions", json={"name": "other"}).json()
            delivery = receiver.wait_status("SCAN_QR_CODE", session="other")
    finally:
        server.stop()

    assert created["config"] == {}
    assert webhook_hmac_valid(HMAC_KEY, delivery.body, delivery.headers["x-webhook-hmac"])
