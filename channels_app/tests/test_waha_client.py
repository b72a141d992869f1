"""The WAHA client against the contract (shared/contracts/waha): every request is checked
against openapi.relevant.json and the example requests, and answered with the examples."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from channels_app.waha.client import (
    DownloadedFile,
    QrCode,
    WahaClient,
    WahaError,
    WahaErrorCode,
    WahaNotFound,
    WahaUnavailable,
    message_id_of,
    session_config,
)

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "waha"
BASE_URL = "http://waha:3000"
API_KEY = "waha-api-key-5f1c0ffee"
SENT_ID = "true_12132132130@c.us_AAAAAAAAAAAAAAAAAAAA"


def contract(name: str) -> dict | list:
    return json.loads((CONTRACT / name).read_text())


OPENAPI = contract("openapi.relevant.json")


def schema(ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    node: dict = OPENAPI
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def operation(method: str, path: str) -> dict:
    """The contract's operation for a concrete path (``/api/sessions/x/start``)."""
    segments = path.strip("/").split("/")
    for template, operations in OPENAPI["paths"].items():
        parts = template.strip("/").split("/")
        if len(parts) == len(segments) and all(
            part == segment or (part.startswith("{") and segment)
            for part, segment in zip(parts, segments, strict=True)
        ):
            assert method.lower() in operations, f"{method} {template} is not in the contract"
            return operations[method.lower()]
    raise AssertionError(f"{path} is not in the contract")


def assert_contract_request(request: httpx.Request, method: str, path: str) -> None:
    """Method, path and key as expected, and the call as openapi.relevant.json describes it:
    known query parameters, and a body with the required fields and no unknown ones."""
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["X-Api-Key"] == API_KEY
    spec = operation(method, path)
    declared = {param["name"] for param in spec.get("parameters", []) if param["in"] == "query"}
    assert set(request.url.params) <= declared
    if request.content:
        body_schema = schema(spec["requestBody"]["content"]["application/json"]["schema"])
        body = json.loads(request.content)
        assert set(body_schema.get("required", [])) <= set(body)
        assert set(body) <= set(body_schema["properties"])
    else:
        assert "requestBody" not in spec or not spec["requestBody"].get("required")


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def answer(data=None, status: int = 200, **kwargs) -> httpx.Response:
    if data is None:
        return httpx.Response(status, **kwargs)
    return httpx.Response(status, json=data, **kwargs)


def waha(*answers: httpx.Response | Exception, seen: list | None = None) -> WahaClient:
    """A client whose requests get ``answers`` in order; the requests land in ``seen``."""
    pending = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        if seen is not None:
            seen.append(request)
        result = pending.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    return WahaClient(BASE_URL, API_KEY, transport=httpx.MockTransport(handler))


def sent(*answers: httpx.Response | Exception) -> tuple[WahaClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    return waha(*answers, seen=seen), seen


# Sessions


def test_session_create_sends_the_contract_request():
    example = contract("session-create-request.json")
    hook = example["config"]["webhooks"][0]
    client, seen = sent(answer(contract("session-create-response.json"), 201))

    created = client.session_create(
        name="default",
        webhook_url=hook["url"],
        hmac_key=hook["hmac"]["key"],
        events=hook["events"],
        retries_attempts=hook["retries"]["attempts"],
        retries_delay=hook["retries"]["delaySeconds"],
        retries_policy=hook["retries"]["policy"],
        custom_headers={"X-Request-ID": "123"},
    )

    assert created == contract("session-create-response.json")
    assert_contract_request(seen[0], "POST", "/api/sessions")
    assert body(seen[0]) == {**example, "start": True}


def test_session_create_defaults_and_metadata_follow_the_full_config_example():
    full_hook = contract("session-config-full.json")["config"]["webhooks"][0]
    client, seen = sent(answer(contract("session-create-response.json"), 201))

    client.session_create(
        name="alpha-1",
        webhook_url="https://app.example.com/webhooks/waha/",
        hmac_key="k",
        start=False,
        metadata={"business": "alpha"},
    )

    sent_body = body(seen[0])
    hook = sent_body["config"]["webhooks"][0]
    assert sent_body["start"] is False
    assert sent_body["config"]["metadata"] == {"business": "alpha"}
    assert hook == {
        "url": "https://app.example.com/webhooks/waha/",
        "events": ["message", "message.ack", "session.status"],
        "hmac": {"key": "k"},
        "retries": {"delaySeconds": 2, "attempts": 10, "policy": "exponential"},
    }
    assert set(hook) <= set(full_hook)
    assert set(hook["retries"]) == set(full_hook["retries"])
    assert set(hook["hmac"]) == set(full_hook["hmac"])
    retries_schema = OPENAPI["components"]["schemas"]["RetriesConfiguration"]
    assert hook["retries"]["policy"] in retries_schema["properties"]["policy"]["enum"]


def test_session_config_refuses_an_unknown_retry_policy():
    with pytest.raises(ValueError):
        session_config(webhook_url="u", hmac_key="k", retries_policy="sometimes")


def test_session_create_with_a_taken_name_is_a_conflict():
    client = waha(answer({"statusCode": 422, "message": "Session 'default' already exists"}, 422))

    with pytest.raises(WahaError) as error:
        client.session_create(name="default", webhook_url="u", hmac_key="k")

    assert error.value.code == WahaErrorCode.CONFLICT
    assert error.value.status == 422
    assert error.value.message == "Session 'default' already exists"
    assert not isinstance(error.value, WahaUnavailable)


def test_session_get():
    client, seen = sent(answer(contract("session-get-response.json")))

    assert client.session_get(name="default") == contract("session-get-response.json")
    assert_contract_request(seen[0], "GET", "/api/sessions/default")


def test_session_get_of_an_unknown_session_is_not_found():
    client = waha(answer({"statusCode": 404, "message": "Session not found"}, 404))

    with pytest.raises(WahaNotFound) as error:
        client.session_get(name="missing")

    assert (error.value.code, error.value.status) == (WahaErrorCode.NOT_FOUND, 404)
    assert error.value.message == "Session not found"


def test_session_names_are_escaped_in_paths():
    client, seen = sent(answer(contract("session-get-response.json")))

    client.session_get(name="a/b c")

    assert seen[0].url.raw_path == b"/api/sessions/a%2Fb%20c"


def test_session_list_includes_stopped_sessions_by_default():
    client, seen = sent(
        answer(contract("sessions-list-response.json")),
        answer(contract("sessions-list-response.json")),
    )

    assert client.session_list() == contract("sessions-list-response.json")
    client.session_list(all=False)

    assert_contract_request(seen[0], "GET", "/api/sessions")
    assert dict(seen[0].url.params) == {"all": "true"}
    assert dict(seen[1].url.params) == {}


def test_session_update_sends_the_whole_config():
    config = contract("session-config-full.json")["config"]
    client, seen = sent(answer(contract("session-create-response.json")))

    client.session_update(name="default", config=config)

    assert_contract_request(seen[0], "PUT", "/api/sessions/default")
    assert body(seen[0]) == {"config": config}


def test_session_delete_is_idempotent():
    client, seen = sent(answer(status=200), answer({"message": "Session not found"}, 404))

    assert client.session_delete(name="default") is True
    assert client.session_delete(name="default") is False
    assert_contract_request(seen[0], "DELETE", "/api/sessions/default")


@pytest.mark.parametrize("action", ["start", "stop", "logout", "restart"])
def test_session_actions(action):
    dto = {"name": "default", "status": "STARTING", "config": {}}
    client, seen = sent(answer(dto, 201))

    assert getattr(client, f"session_{action}")(name="default") == dto
    assert_contract_request(seen[0], "POST", f"/api/sessions/default/{action}")


def test_me_of_a_paired_session():
    client, seen = sent(answer(contract("session-me-response.json")))

    assert client.me(name="default") == {"id": "11111111111@c.us", "pushName": "string"}
    assert_contract_request(seen[0], "GET", "/api/sessions/default/me")


@pytest.mark.parametrize(
    "unpaired",
    [
        httpx.Response(200, content=b"null", headers={"content-type": "application/json"}),
        httpx.Response(200),
    ],
)
def test_me_of_an_unpaired_session_is_none(unpaired):
    assert waha(unpaired).me(name="default") is None


# Pairing


def test_qr_asks_for_json_and_reads_the_base64_answer():
    client, seen = sent(answer(contract("qr-base64-response.json")))

    code = client.qr(name="default")

    assert code == QrCode(mimetype="image/png", data_base64="base64-encoded-data")
    assert code.data_url == "data:image/png;base64,base64-encoded-data"
    assert_contract_request(seen[0], "GET", "/api/default/auth/qr")
    assert seen[0].headers["Accept"] == "application/json"
    assert dict(seen[0].url.params) == {"format": "image"}


def test_qr_answered_with_the_image_itself_is_encoded():
    png = b"\x89PNG\r\n\x1a\n-image-"
    client = waha(httpx.Response(200, content=png, headers={"content-type": "image/png"}))

    code = client.qr(name="default")

    assert code == QrCode(mimetype="image/png", data_base64=base64.b64encode(png).decode())


def test_qr_raw():
    client, seen = sent(answer(contract("qr-raw-response.json")))

    assert client.qr_raw(name="default") == "value-that-you-need-to-use-to-generate-qr-code"
    assert_contract_request(seen[0], "GET", "/api/default/auth/qr")
    assert dict(seen[0].url.params) == {"format": "raw"}


def test_request_code_sends_the_digits_of_the_number():
    client, seen = sent(answer(contract("pairing-code-response.json"), 201))

    assert client.request_code(name="default", phone_number="+1 (213) 213-2130") == "ABCD-ABCD"
    assert_contract_request(seen[0], "POST", "/api/default/auth/request-code")
    assert body(seen[0]) == contract("pairing-code-request.json")


def test_a_pairing_answer_without_its_field_is_unexpected():
    with pytest.raises(WahaError) as error:
        waha(answer({"mimetype": "image/png"})).qr(name="default")
    assert error.value.code == WahaErrorCode.UNEXPECTED


# Sending


def test_send_text():
    example = contract("send-text-request.json")
    client, seen = sent(answer({"id": SENT_ID, "fromMe": True, "body": "Hi there!"}, 201))

    message_id = client.send_text(
        session=example["session"], chat_id=example["chatId"], text=example["text"]
    )

    assert message_id == SENT_ID
    assert_contract_request(seen[0], "POST", "/api/sendText")
    assert body(seen[0]) == example


def test_send_text_as_a_reply():
    example = contract("send-text-reply-request.json")
    client, seen = sent(answer({"id": SENT_ID}, 201))

    client.send_text(
        session=example["session"],
        chat_id=example["chatId"],
        text=example["text"],
        reply_to=example["reply_to"],
    )

    assert_contract_request(seen[0], "POST", "/api/sendText")
    assert body(seen[0]) == example


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # WAMessage, as the contract describes it
        (answer({"id": SENT_ID, "timestamp": 1666943582}, 201), SENT_ID),
        # WEBJS: whatsapp-web.js' message
        (
            answer(
                {
                    "id": {
                        "fromMe": True,
                        "remote": "12132132130@c.us",
                        "id": "AAAAAAAAAAAAAAAAAAAA",
                        "_serialized": SENT_ID,
                    },
                    "_data": {"type": "chat"},
                },
                201,
            ),
            SENT_ID,
        ),
        (answer({"_data": {"id": {"_serialized": SENT_ID}}}, 201), SENT_ID),
        # NOWEB: Baileys' message
        (
            answer(
                {
                    "key": {
                        "remoteJid": "12132132130@s.whatsapp.net",
                        "fromMe": True,
                        "id": "AAAAAAAAAAAAAAAAAAAA",
                    },
                    "status": "PENDING",
                },
                201,
            ),
            SENT_ID,
        ),
        # Sent, but the engine did not say its id
        (httpx.Response(201), None),
        (answer({}, 201), None),
    ],
)
def test_the_sent_message_id_in_every_engine_shape(response, expected):
    client = waha(response)

    assert client.send_text(session="default", chat_id="12132132130@c.us", text="Hi") == expected


def test_message_id_of_an_object_without_serialized():
    data = {"id": {"fromMe": False, "remote": {"_serialized": "1@c.us"}, "id": "X"}}

    assert message_id_of(data) == "false_1@c.us_X"
    assert message_id_of(["not", "an", "object"]) is None


def test_send_image_by_url():
    example = contract("send-image-request-url.json")
    file = example["file"]
    client, seen = sent(answer({"id": SENT_ID}, 201))

    message_id = client.send_image(
        session=example["session"],
        chat_id=example["chatId"],
        url=file["url"],
        mimetype=file["mimetype"],
        filename=file["filename"],
        caption=example["caption"],
    )

    assert message_id == SENT_ID
    assert_contract_request(seen[0], "POST", "/api/sendImage")
    assert body(seen[0]) == example


def test_send_file_by_url():
    example = contract("send-file-request-url.json")
    file = example["file"]
    client, seen = sent(answer({"id": SENT_ID}, 201))

    client.send_file(
        session=example["session"],
        chat_id=example["chatId"],
        url=file["url"],
        mimetype=file["mimetype"],
        filename=file["filename"],
        caption=example["caption"],
    )

    assert_contract_request(seen[0], "POST", "/api/sendFile")
    assert body(seen[0]) == example


def test_send_file_with_its_bytes_and_no_caption():
    client, seen = sent(answer({"id": SENT_ID}, 201))

    client.send_file(
        session="default",
        chat_id="11111111111@c.us",
        data=b"%PDF-1.7 price list",
        mimetype="application/pdf",
        filename="prices.pdf",
    )

    assert_contract_request(seen[0], "POST", "/api/sendFile")
    assert body(seen[0]) == {
        "session": "default",
        "chatId": "11111111111@c.us",
        "file": {
            "mimetype": "application/pdf",
            "filename": "prices.pdf",
            "data": base64.b64encode(b"%PDF-1.7 price list").decode(),
        },
    }
    binary_file = OPENAPI["components"]["schemas"]["BinaryFile"]
    assert set(binary_file["required"]) <= set(body(seen[0])["file"])


@pytest.mark.parametrize("source", [{}, {"url": "https://x/y.jpg", "data": b"y"}])
def test_send_image_needs_exactly_one_source(source):
    client, seen = sent()

    with pytest.raises(ValueError):
        client.send_image(
            session="default", chat_id="1@c.us", mimetype="image/jpeg", filename="y.jpg", **source
        )
    assert seen == []


def test_send_seen():
    example = contract("send-seen-request.json")
    client, seen = sent(answer({}, 201))

    assert (
        client.send_seen(
            session=example["session"],
            chat_id=example["chatId"],
            message_ids=example["messageIds"],
        )
        is None
    )

    assert_contract_request(seen[0], "POST", "/api/sendSeen")
    assert body(seen[0]) == example


@pytest.mark.parametrize("action", ["start_typing", "stop_typing"])
def test_typing(action):
    example = contract("start-typing-request.json")
    client, seen = sent(answer(status=201))

    getattr(client, action)(session=example["session"], chat_id=example["chatId"])

    path = "/api/startTyping" if action == "start_typing" else "/api/stopTyping"
    assert_contract_request(seen[0], "POST", path)
    assert body(seen[0]) == example


# Errors


def test_a_wrong_key_is_unauthorized_with_wahas_message():
    client = waha(answer(contract("error-unauthorized-401.json"), 401))

    with pytest.raises(WahaError) as error:
        client.session_list()

    assert (error.value.code, error.value.status) == (WahaErrorCode.UNAUTHORIZED, 401)
    assert error.value.message == "Unauthorized"
    assert not isinstance(error.value, WahaUnavailable)


def test_validation_messages_are_joined_into_a_bad_request():
    client = waha(
        answer({"statusCode": 400, "message": ["chatId must be a string", "text is required"]}, 400)
    )

    with pytest.raises(WahaError) as error:
        client.send_text(session="default", chat_id="1@c.us", text="")

    assert error.value.code == WahaErrorCode.BAD_REQUEST
    assert error.value.message == "chatId must be a string; text is required"


def test_a_server_error_is_unavailable_with_the_exception_message():
    client = waha(
        answer(
            {
                "statusCode": 500,
                "exception": {
                    "message": "Cannot read properties of undefined (reading 'markedUnread')",
                    "name": "TypeError",
                },
            },
            500,
        )
    )

    with pytest.raises(WahaUnavailable) as error:
        client.send_text(session="default", chat_id="1@c.us", text="Hi")

    assert (error.value.code, error.value.status) == (WahaErrorCode.UNAVAILABLE, 500)
    assert "markedUnread" in error.value.message


@pytest.mark.parametrize("status", [502, 503, 504, 429, 408])
def test_gateway_errors_and_throttling_without_a_body_are_unavailable(status):
    client = waha(httpx.Response(status, text="<html>Bad Gateway</html>"))

    with pytest.raises(WahaUnavailable) as error:
        client.session_get(name="default")

    assert error.value.status == status
    assert str(status) in error.value.message


def test_an_error_given_as_error_field():
    client = waha(answer({"error": "Session status is not as expected"}, 400))

    with pytest.raises(WahaError) as error:
        client.qr(name="default")

    assert error.value.message == "Session status is not as expected"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_timeouts_and_connection_failures_are_unavailable(failure):
    client = waha(failure)

    with pytest.raises(WahaUnavailable) as error:
        client.send_text(session="default", chat_id="1@c.us", text="Hi")

    assert error.value.code == WahaErrorCode.UNAVAILABLE
    assert error.value.status is None


def test_a_success_that_is_not_json_is_unexpected():
    client = waha(httpx.Response(200, text="<html>proxy login</html>"))

    with pytest.raises(WahaError) as error:
        client.session_get(name="default")

    assert error.value.code == WahaErrorCode.UNEXPECTED
    assert not isinstance(error.value, WahaUnavailable)


def test_a_redirect_is_not_followed():
    client = waha(httpx.Response(302, headers={"location": "http://elsewhere/login"}))

    with pytest.raises(WahaError) as error:
        client.session_list()

    assert (error.value.code, error.value.status) == (WahaErrorCode.UNEXPECTED, 302)


@pytest.mark.parametrize(
    "response",
    [
        answer({"message": f"Invalid API key {API_KEY}"}, 401),
        answer({"error": {"message": f"key={API_KEY} rejected"}}, 403),
        answer({"message": f"{API_KEY} broke something"}, 500),
    ],
)
def test_the_api_key_never_appears_in_errors(response):
    client = waha(response)

    with pytest.raises(WahaError) as error:
        client.session_list()

    assert API_KEY not in str(error.value)
    assert API_KEY not in error.value.message
    assert API_KEY not in repr(error.value)
    assert "***" in error.value.message


def test_the_api_key_is_not_in_the_clients_repr():
    assert repr(waha()) == f"<WahaClient {BASE_URL}>"
    assert API_KEY not in repr(waha())


def test_the_base_url_must_be_absolute():
    with pytest.raises(ValueError):
        WahaClient("waha:3000", API_KEY)


def test_the_client_closes_as_a_context_manager():
    with waha() as client:
        assert isinstance(client, WahaClient)


# Media downloads


def test_download_from_wahas_file_store_sends_the_key():
    jpeg = b"\xff\xd8\xff\xe0 jpeg bytes"
    client, seen = sent(
        httpx.Response(200, content=jpeg, headers={"content-type": "image/jpeg; charset=binary"})
    )

    downloaded = client.download(f"{BASE_URL}/api/files/default/ABC.jpg")

    assert downloaded == DownloadedFile(content=jpeg, content_type="image/jpeg")
    assert str(seen[0].url) == f"{BASE_URL}/api/files/default/ABC.jpg"
    assert seen[0].headers["X-Api-Key"] == API_KEY


def test_download_of_the_contract_media_url_is_read_from_the_base_url():
    # WAHA names itself http://localhost:3000; this client reaches it as http://waha:3000.
    media_url = contract("webhook-message-media.json")["payload"]["media"]["url"]
    client, seen = sent(httpx.Response(200, content=b"jpeg"))

    downloaded = client.download(media_url)

    assert downloaded.content == b"jpeg"
    assert downloaded.content_type == "application/octet-stream"
    assert seen[0].url.host == "waha"
    assert seen[0].url.path == (
        "/api/files/true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.jpg"
    )
    assert seen[0].headers["X-Api-Key"] == API_KEY


def test_download_of_a_relative_files_url():
    client, seen = sent(httpx.Response(200, content=b"x"))

    client.download("/api/files/default/ABC.ogg")

    assert str(seen[0].url) == f"{BASE_URL}/api/files/default/ABC.ogg"
    assert seen[0].headers["X-Api-Key"] == API_KEY


def test_download_from_another_origin_goes_without_the_key():
    client, seen = sent(httpx.Response(200, content=b"x", headers={"content-type": "video/mp4"}))

    downloaded = client.download("https://bucket.s3.example.com/media/ABC.mp4?X-Amz-Signature=1")

    assert downloaded.content_type == "video/mp4"
    assert seen[0].url.host == "bucket.s3.example.com"
    assert "X-Api-Key" not in seen[0].headers


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://waha/api/files/x", "data:,x"])
def test_download_refuses_other_schemes(url):
    client, seen = sent()

    with pytest.raises(WahaError) as error:
        client.download(url)

    assert error.value.code == WahaErrorCode.BAD_REQUEST
    assert seen == []


def test_download_refuses_a_file_declared_too_large():
    client = waha(httpx.Response(200, content=b"x" * 11))

    with pytest.raises(WahaError) as error:
        client.download(f"{BASE_URL}/api/files/big.mp4", max_bytes=10)

    assert error.value.code == WahaErrorCode.TOO_LARGE


def test_download_stops_reading_a_stream_that_grows_too_large():
    chunks_read: list[int] = []

    def chunks():
        for n in range(100):
            chunks_read.append(n)
            yield b"x" * 4

    client = waha(httpx.Response(200, content=chunks()))

    with pytest.raises(WahaError) as error:
        client.download(f"{BASE_URL}/api/files/big.mp4", max_bytes=10)

    assert error.value.code == WahaErrorCode.TOO_LARGE
    assert len(chunks_read) < 100


def test_download_up_to_the_limit_is_fine():
    client = waha(httpx.Response(200, content=iter([b"x" * 5, b"y" * 5])))

    assert client.download(f"{BASE_URL}/api/files/ok.bin", max_bytes=10).content == b"xxxxxyyyyy"


def test_download_of_a_missing_file_is_not_found():
    client = waha(answer({"statusCode": 404, "message": "File not found"}, 404))

    with pytest.raises(WahaNotFound) as error:
        client.download(f"{BASE_URL}/api/files/gone.jpg")

    assert error.value.message == "File not found"


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("timed out"), httpx.ConnectError("Connection refused")]
)
def test_download_failures_are_unavailable(failure):
    with pytest.raises(WahaUnavailable):
        waha(failure).download(f"{BASE_URL}/api/files/x.jpg")
