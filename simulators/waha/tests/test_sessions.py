import base64
import re
import time

import httpx
import pytest

from simulators.waha import Timings, WahaSimServer
from simulators.waha.png import PNG_SIGNATURE
from simulators.waha.tests.conftest import API_KEY, FAST, fixture, webhook_config


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return result


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "wrong"}])
def test_api_refuses_missing_or_wrong_key(server, headers):
    response = httpx.get(f"{server.url}/api/sessions", headers=headers)

    assert response.status_code == 401
    assert response.json() == fixture("error-unauthorized-401.json")


def test_api_key_may_come_as_query_parameter(server):
    response = httpx.get(f"{server.url}/api/sessions", params={"x-api-key": API_KEY})

    assert response.status_code == 200


def test_ping_and_version(server, api):
    assert httpx.get(f"{server.url}/ping").json() == {"message": "pong"}
    assert api.get("/api/server/version").json()["engine"] == "WEBJS"


def test_create_session_answers_201_starting_then_asks_for_qr(api, receiver):
    response = api.post("/api/sessions", json=fixture("session-create-request.json"))

    assert response.status_code == 201
    body = response.json()
    assert set(fixture("session-create-response.json")) <= set(body)
    assert body["name"] == "default"
    assert body["status"] == "STARTING"
    assert body["engine"] == {"engine": "WEBJS"}
    assert body["me"] is None
    hook = body["config"]["webhooks"][0]
    assert hook["hmac"] == {"key": "super-secret"}
    assert hook["retries"] == {"delaySeconds": 2, "attempts": 5, "policy": "linear"}
    assert wait_until(lambda: api.get("/api/sessions/default").json()["status"] == "SCAN_QR_CODE")


def test_create_without_name_generates_one_and_start_false_stays_stopped(api):
    response = api.post("/api/sessions", json={"start": False})

    assert response.status_code == 201
    assert re.fullmatch(r"session_[0-9a-z]{26}", response.json()["name"])
    assert response.json()["status"] == "STOPPED"
    assert api.get("/api/sessions").json() == []
    assert [s["name"] for s in api.get("/api/sessions", params={"all": "true"}).json()] == [
        response.json()["name"]
    ]


def test_duplicate_name_is_422(api):
    api.post("/api/sessions", json={"name": "default", "start": False})

    response = api.post("/api/sessions", json={"name": "default"})

    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": "Session 'default' already exists. Use PUT to update it.",
        "error": "Unprocessable Entity",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad name!"},
        {"name": "ok", "config": {"webhooks": [{"events": ["message"]}]}},
        {"name": "ok", "config": {"webhooks": [{"url": "http://x", "events": "message"}]}},
        {
            "name": "ok",
            "config": {
                "webhooks": [{"url": "http://x", "events": [], "retries": {"policy": "sometimes"}}]
            },
        },
    ],
)
def test_invalid_session_bodies_are_400(api, body):
    response = api.post("/api/sessions", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/sessions/nope"),
        ("PUT", "/api/sessions/nope"),
        ("POST", "/api/sessions/nope/start"),
        ("POST", "/api/sessions/nope/stop"),
        ("POST", "/api/sessions/nope/logout"),
        ("POST", "/api/sessions/nope/restart"),
        ("GET", "/api/sessions/nope/me"),
        ("GET", "/api/nope/auth/qr"),
        ("POST", "/api/nope/auth/request-code"),
    ],
)
def test_unknown_session_is_404(api, method, path):
    body = {"phoneNumber": "12132132130"} if path.endswith("request-code") else {}

    response = api.request(method, path, json=body)

    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_delete_is_idempotent_and_emits_stopped(api, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    assert api.delete("/api/sessions/default").status_code == 200
    assert api.delete("/api/sessions/default").status_code == 200
    receiver.wait_status("STOPPED")
    assert api.get("/api/sessions/default").status_code == 404


def test_qr_in_three_formats(api, server, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    raw = api.get("/api/default/auth/qr", params={"format": "raw"})
    as_json = api.get("/api/default/auth/qr", headers={"Accept": "application/json"})
    binary = api.get("/api/default/auth/qr", params={"format": "image"})

    assert raw.json() == {"value": server.simulator.current_qr("default")}
    assert raw.json()["value"].startswith("2@")
    assert set(as_json.json()) == set(fixture("qr-base64-response.json"))
    assert as_json.json()["mimetype"] == "image/png"
    assert base64.b64decode(as_json.json()["data"]).startswith(PNG_SIGNATURE)
    assert binary.headers["content-type"] == "image/png"
    assert binary.content.startswith(PNG_SIGNATURE)
    assert binary.content == base64.b64decode(as_json.json()["data"])


def test_qr_of_a_working_session_is_422_with_the_status(api, linked):
    response = api.get("/api/default/auth/qr", params={"format": "raw"})

    assert response.status_code == 422
    assert response.json() == {
        "error": "Session status is not as expected. Try again later or restart the session",
        "session": "default",
        "status": "WORKING",
        "expected": ["SCAN_QR_CODE"],
    }


def test_qr_right_after_create_waits_for_the_qr_like_waha(api):
    api.post("/api/sessions", json={"name": "default"})

    response = api.get("/api/default/auth/qr", params={"format": "raw"})

    assert response.status_code == 200


def test_qr_rotates_and_each_rotation_repeats_scan_qr_code(receiver):
    timings = Timings(**{**FAST.__dict__, "qr_interval": 0.1})
    server = WahaSimServer(host="127.0.0.1", port=0, api_key=API_KEY, timings=timings).start()
    try:
        with httpx.Client(base_url=server.url, headers={"X-Api-Key": API_KEY}) as api:
            api.post(
                "/api/sessions",
                json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
            )
            first = receiver.wait_status("SCAN_QR_CODE")
            value = api.get("/api/default/auth/qr", params={"format": "raw"}).json()["value"]
            count = len(receiver.events())
            receiver.wait_status("SCAN_QR_CODE", after=count)
            newer = api.get("/api/default/auth/qr", params={"format": "raw"}).json()["value"]
    finally:
        server.stop()

    assert first.json["payload"]["status"] == "SCAN_QR_CODE"
    assert newer != value


def test_scan_links_the_session_and_reports_me(api, phone, receiver, linked):
    working = receiver.wait_status("WORKING").json

    me = api.get("/api/sessions/default/me")
    info = api.get("/api/sessions/default").json()

    assert working["me"] == {"id": "79001234567@c.us", "pushName": "Alpha Shop"}
    assert [s["status"] for s in working["payload"]["statuses"]][-2:] == ["SCAN_QR_CODE", "WORKING"]
    assert me.json() == {"id": "79001234567@c.us", "pushName": "Alpha Shop"}
    assert set(fixture("session-me-response.json")) <= set(me.json())
    assert info["status"] == "WORKING" and info["me"] == me.json()
    assert set(fixture("session-get-response.json")) <= set(info)
    assert [s["name"] for s in api.get("/api/sessions").json()] == ["default"]


def test_me_is_null_before_linking(api):
    api.post("/api/sessions", json={"name": "default", "start": False})

    response = api.get("/api/sessions/default/me")

    assert response.status_code == 200
    assert response.json() is None


def test_pasting_the_raw_qr_value_links_the_session(api, phone, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")
    value = api.get("/api/default/auth/qr", params={"format": "raw"}).json()["value"]

    assert phone.post("/sim/link", json={"qr": "2@stale"}).status_code == 404
    response = phone.post("/sim/link", json={"qr": value, "phone": "79005550000"})

    assert response.status_code == 200
    assert receiver.wait_status("WORKING").json["me"]["id"] == "79005550000@c.us"


def test_pairing_code_links_the_session_to_that_phone(api, phone, receiver):
    api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    receiver.wait_status("SCAN_QR_CODE")

    response = api.post("/api/default/auth/request-code", json=fixture("pairing-code-request.json"))

    assert response.status_code == 201
    code = response.json()["code"]
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert phone.post("/sim/link", json={"code": "WRONG-CODE"}).status_code == 404
    assert phone.post("/sim/link", json={"code": code.lower().replace("-", "")}).status_code == 200
    assert receiver.wait_status("WORKING").json["me"]["id"] == "12132132130@c.us"


def test_request_code_needs_a_phone_number(api):
    api.post("/api/sessions", json={"name": "default"})

    response = api.post("/api/default/auth/request-code", json={})

    assert response.status_code == 400


def test_stop_start_keeps_the_link(api, receiver, linked):
    count = len(receiver.events())
    assert api.post("/api/sessions/default/stop").json()["status"] == "STOPPED"
    assert api.get("/api/sessions/default/me").json() is None

    started = api.post("/api/sessions/default/start")

    assert started.status_code == 201
    assert started.json()["status"] == "STARTING"
    assert receiver.wait_status("WORKING", after=count).json["me"]["id"] == "79001234567@c.us"


def test_api_logout_forgets_the_phone_and_shows_a_new_qr(api, receiver, linked):
    count = len(receiver.events())

    response = api.post("/api/sessions/default/logout")

    assert response.status_code == 201
    statuses = [
        receiver.wait_status(s, after=count) for s in ("STOPPED", "STARTING", "SCAN_QR_CODE")
    ]
    assert statuses[2].json["me"] is None
    assert api.get("/api/sessions/default/me").json() is None
    assert api.get("/api/sessions/default").json()["config"]["webhooks"]  # config kept


def test_logout_on_the_phone_unlinks_the_session(api, phone, receiver, linked):
    count = len(receiver.events())

    response = phone.post("/sim/sessions/default/logout")

    assert response.status_code == 200
    statuses = [receiver.wait_status(s, after=count).json for s in ("STARTING", "SCAN_QR_CODE")]
    assert statuses[1]["me"] is None
    assert api.get("/api/sessions/default/me").json() is None


def test_failed_session_comes_back_working_after_restart(api, phone, receiver, linked):
    count = len(receiver.events())

    phone.post("/sim/sessions/default/fail")
    receiver.wait_status("FAILED", after=count)
    assert api.get("/api/sessions/default").json()["status"] == "FAILED"
    assert api.post("/api/sessions/default/start").json()["status"] == "FAILED"  # idempotent
    restarted = api.post("/api/sessions/default/restart")

    assert restarted.status_code == 201
    receiver.wait_status("WORKING", after=count)
    assert api.get("/api/sessions/default/me").json()["id"] == "79001234567@c.us"


def test_update_restarts_a_running_session_with_the_new_config(api, receiver, linked):
    hook = webhook_config(receiver, events=["session.status"])
    count = len(receiver.events())

    response = api.put("/api/sessions/default", json={"config": {"webhooks": [hook]}})

    assert response.status_code == 200
    assert response.json()["config"]["webhooks"][0]["events"] == ["session.status"]
    receiver.wait_status("WORKING", after=count)


def test_state_file_keeps_linked_sessions_across_restarts(tmp_path, receiver):
    state = tmp_path / "waha-sim.json"
    first = WahaSimServer(
        host="127.0.0.1", port=0, api_key=API_KEY, timings=FAST, state_path=state
    ).start()
    try:
        with httpx.Client(base_url=first.url, headers={"X-Api-Key": API_KEY}) as api:
            api.post(
                "/api/sessions",
                json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
            )
            receiver.wait_status("SCAN_QR_CODE")
            httpx.post(f"{first.url}/sim/sessions/default/scan", json={"phone": "79001234567"})
            receiver.wait_status("WORKING")
    finally:
        first.stop()

    second = WahaSimServer(
        host="127.0.0.1", port=0, api_key=API_KEY, timings=FAST, state_path=state
    ).start()
    try:
        with httpx.Client(base_url=second.url, headers={"X-Api-Key": API_KEY}) as api:
            assert wait_until(
                lambda: api.get("/api/sessions/default").json()["status"] == "WORKING"
            )
            me = api.get("/api/sessions/default/me").json()
    finally:
        second.stop()

    assert me["id"] == "79001234567@c.us"


def test_screenshot_is_a_png(api, receiver):
    api.post("/api/sessions", json={"name": "default"})

    response = api.get("/api/screenshot", params={"session": "default"})

    assert response.status_code == 200
    assert response.content.startswith(PNG_SIGNATURE)
