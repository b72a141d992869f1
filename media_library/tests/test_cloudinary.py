"""The Cloudinary client against the contract (shared/contracts/cloudinary, copied in fixtures/)."""

from __future__ import annotations

import base64
import io
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import httpx
import pytest

from media_library.cloudinary import (
    CloudinaryClient,
    CloudinaryConfig,
    CloudinaryError,
    CloudinaryErrorCode,
    api_sign,
    string_to_sign,
)

CONTRACT = Path(__file__).parent / "fixtures" / "cloudinary"
CONFIG = CloudinaryConfig(cloud_name="demo-cloud", api_key="614335564976464", api_secret="s3cr3t")
NOW = 1719307544


def contract(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text())


def client_answering(*answers: httpx.Response | Exception, seen: list | None = None):
    """A client whose requests get ``answers`` in order; the requests land in ``seen``."""
    pending = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        if seen is not None:
            seen.append(request)
        answer = pending.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return CloudinaryClient(CONFIG, transport=httpx.MockTransport(handler), clock=lambda: NOW)


def form_fields(request: httpx.Request) -> dict[str, bytes]:
    """The parts of a multipart/form-data request body, by name."""
    header = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message: Message = BytesParser(policy=HTTP).parsebytes(header + request.content)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


def basic_auth(request: httpx.Request) -> str:
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token).decode()


def test_signature_reproduces_the_official_test_vector():
    vector = contract("upload-signature-test-vector.json")
    params = vector["params_to_sign"]
    assert string_to_sign(params) == vector["string_to_sign"]
    assert api_sign(params, vector["api_secret"]) == vector["signature_sha1"]
    assert api_sign(params, vector["api_secret"], algorithm="sha256") == vector["signature_sha256"]


def test_signature_leaves_out_unsigned_and_empty_values():
    params = {
        "timestamp": "1315060510",
        "public_id": "a&b",
        "file": "x",
        "cloud_name": "c",
        "resource_type": "image",
        "api_key": "k",
        "signature": "s",
        "tags": "",
        "eager": ["w_1", "w_2"],
        "overwrite": True,
    }
    assert string_to_sign(params) == (
        "eager=w_1,w_2&overwrite=true&public_id=a%26b&timestamp=1315060510"
    )


def test_config_is_read_from_cloudinary_url():
    config = CloudinaryConfig.from_url("cloudinary://123456:abc-DEF_9@My-Cloud")
    assert config == CloudinaryConfig(
        cloud_name="My-Cloud", api_key="123456", api_secret="abc-DEF_9"
    )
    with pytest.raises(CloudinaryError) as error:
        CloudinaryConfig.from_url("https://api.cloudinary.com/demo")
    assert error.value.code == CloudinaryErrorCode.CONFIG_INVALID


def test_signed_upload_sends_the_file_and_reads_the_response():
    seen: list[httpx.Request] = []
    client = client_answering(
        httpx.Response(200, json=contract("upload.response.example.json")), seen=seen
    )

    asset = client.upload(
        file=io.BytesIO(b"jpeg bytes"),
        filename="x.jpg",
        public_id="biz_alpha/product/abc",
        resource_type="image",
        content_type="image/jpeg",
    )

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://api.cloudinary.com/v1_1/demo-cloud/image/upload"
    fields = form_fields(request)
    assert fields["file"] == b"jpeg bytes"
    assert fields["public_id"] == b"biz_alpha/product/abc"
    assert fields["timestamp"] == str(NOW).encode()
    assert fields["api_key"] == CONFIG.api_key.encode()
    signed = {k: v.decode() for k, v in fields.items() if k not in ("file", "api_key", "signature")}
    assert fields["signature"].decode() == api_sign(signed, CONFIG.api_secret)
    assert "authorization" not in request.headers  # the Upload API is signed, not logged in
    assert asset.public_id == "gotjephlnz2jgiu20zni"
    assert (asset.resource_type, asset.format, asset.version) == ("image", "jpg", 1719307544)
    assert (asset.width, asset.height, asset.bytes) == (1920, 1441, 896838)
    assert asset.secure_url.startswith("https://res.cloudinary.com/cld-docs/image/upload/")


def test_destroy_is_signed_and_reports_a_missing_asset():
    seen: list[httpx.Request] = []
    client = client_answering(
        httpx.Response(200, json={"result": "ok"}),
        httpx.Response(200, json={"result": "not found"}),
        seen=seen,
    )
    assert client.destroy(public_id="biz_alpha/service/v", resource_type="video") is True
    assert client.destroy(public_id="gone", resource_type="image") is False
    assert str(seen[0].url) == "https://api.cloudinary.com/v1_1/demo-cloud/video/destroy"
    fields = dict(httpx.QueryParams(seen[0].content.decode()))
    assert fields["public_id"] == "biz_alpha/service/v"
    signed = {k: v for k, v in fields.items() if k not in ("api_key", "signature")}
    assert fields["signature"] == api_sign(signed, CONFIG.api_secret)


def test_delete_by_prefix_follows_next_cursor_until_done():
    seen: list[httpx.Request] = []
    first_page = {
        "deleted": {"biz_alpha/product/a": "deleted"},
        "partial": True,
        "next_cursor": "c1b2",
    }
    client = client_answering(
        httpx.Response(200, json=first_page),
        httpx.Response(200, json=contract("delete_resources.response.example.json")),
        seen=seen,
    )

    deleted = client.delete_by_prefix(prefix="biz_alpha/product/", resource_type="image")

    assert deleted == {"biz_alpha/product/a": "deleted", "image1": "deleted", "image2": "deleted"}
    assert [r.method for r in seen] == ["DELETE", "DELETE"]
    assert all(r.url.path == "/v1_1/demo-cloud/resources/image/upload" for r in seen)
    assert seen[0].url.params.get("prefix") == "biz_alpha/product/"
    assert "next_cursor" not in seen[0].url.params
    assert seen[1].url.params.get("next_cursor") == "c1b2"
    assert basic_auth(seen[0]) == f"{CONFIG.api_key}:{CONFIG.api_secret}"


def test_delete_by_an_empty_prefix_is_refused():
    with pytest.raises(ValueError):
        client_answering().delete_by_prefix(prefix="/", resource_type="image")


def test_delete_folder():
    seen: list[httpx.Request] = []
    client = client_answering(
        httpx.Response(200, json=contract("delete_folder.response.example.json")), seen=seen
    )
    assert client.delete_folder(path="product/test") == ["product/test"]
    assert seen[0].method == "DELETE"
    assert str(seen[0].url) == "https://api.cloudinary.com/v1_1/demo-cloud/folders/product/test"
    assert basic_auth(seen[0]) == f"{CONFIG.api_key}:{CONFIG.api_secret}"


def test_folder_that_is_not_empty_gives_cloudinarys_message():
    error_body = contract("api_error.example.json")
    error_body["error"]["message"] = "Folder is not empty"
    client = client_answering(httpx.Response(400, json=error_body))
    with pytest.raises(CloudinaryError) as error:
        client.delete_folder(path="biz_alpha/product")
    assert (error.value.code, error.value.status) == (CloudinaryErrorCode.API_ERROR, 400)
    assert error.value.message == "Folder is not empty"


def test_api_error_json_becomes_the_error_message():
    client = client_answering(httpx.Response(401, json=contract("api_error.example.json")))
    with pytest.raises(CloudinaryError) as error:
        client.upload(file=io.BytesIO(b"x"), filename="x.jpg", public_id="x", resource_type="image")
    assert error.value.message == "<message>"
    assert error.value.status == 401


def test_an_answer_that_is_not_json_is_a_clear_error():
    client = client_answering(
        httpx.Response(502, text="<html>Bad gateway</html>"), httpx.Response(200, text="ok")
    )
    with pytest.raises(CloudinaryError) as error:
        client.destroy(public_id="x", resource_type="image")
    assert error.value.message == "Cloudinary answered with HTTP status 502."
    with pytest.raises(CloudinaryError) as error:
        client.destroy(public_id="x", resource_type="image")
    assert error.value.code == CloudinaryErrorCode.BAD_RESPONSE


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (httpx.ReadTimeout("slow"), CloudinaryErrorCode.TIMEOUT),
        (httpx.ConnectError("refused"), CloudinaryErrorCode.UNAVAILABLE),
    ],
)
def test_timeouts_and_connection_failures_are_clear_errors(failure, code):
    client = client_answering(failure)
    with pytest.raises(CloudinaryError) as error:
        client.upload(file=io.BytesIO(b"x"), filename="x.mp4", public_id="x", resource_type="video")
    assert error.value.code == code
    assert "Cloudinary" in error.value.message


def test_delivery_urls():
    client = client_answering()
    assert client.delivery_url(
        public_id="biz_alpha/product/abc", resource_type="image", extension="png"
    ) == ("https://res.cloudinary.com/demo-cloud/image/upload/biz_alpha/product/abc.png")
    assert client.delivery_url(
        public_id="v", resource_type="video", extension="jpg", transformation="c_limit,w_320"
    ) == ("https://res.cloudinary.com/demo-cloud/video/upload/c_limit,w_320/v.jpg")
