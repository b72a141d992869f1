"""CloudinaryStorage and the media services on it, against a fake Cloudinary behind
httpx.MockTransport that answers with the contract's payloads."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from media_library.cloudinary import CloudinaryClient, CloudinaryConfig
from media_library.errors import MediaError, MediaErrorCode
from media_library.models import Media
from media_library.services import media_delete, media_folder_clear, media_upload
from media_library.storage import CloudinaryStorage, MediaFileSystemStorage, media_storage
from media_library.tests.conftest import use_media_storage
from media_library.tests.files import image_bytes, photo, video
from media_library.tests.test_cloudinary import form_fields

CONTRACT = Path(__file__).parent / "fixtures" / "cloudinary"
CONFIG = CloudinaryConfig(cloud_name="demo-cloud", api_key="key", api_secret="secret")
DELIVERY = "https://res.cloudinary.com/demo-cloud"


class FakeCloudinary:
    """Keeps assets in memory: ``{(resource_type, public_id): bytes}``."""

    def __init__(self) -> None:
        self.assets: dict[tuple[str, str], bytes] = {}
        self.folders_deleted: list[str] = []
        self.calls: list[str] = []
        self.fail_uploads_of: str | None = None

    def client(self) -> CloudinaryClient:
        return CloudinaryClient(CONFIG, transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        parts = request.url.path.strip("/").split("/")
        self.calls.append(f"{request.method} {request.url.path}")
        if request.url.host == "res.cloudinary.com":
            # /<cloud>/<resource_type>/upload/<public_id>.<ext>
            resource_type, public_id = parts[1], "/".join(parts[3:]).rsplit(".", 1)[0]
            content = self.assets.get((resource_type, public_id))
            if content is None:
                return httpx.Response(404, headers={"x-cld-error": "Resource not found"})
            return httpx.Response(200, content=content if request.method == "GET" else b"")
        if parts[-1] == "destroy":
            fields = dict(httpx.QueryParams(request.content.decode()))
            found = self.assets.pop((parts[2], fields["public_id"]), None)
            return httpx.Response(200, json={"result": "ok" if found is not None else "not found"})
        if parts[2] == "resources":
            prefix = request.url.params["prefix"]
            gone = [key for key in self.assets if key[0] == parts[3] and key[1].startswith(prefix)]
            for key in gone:
                del self.assets[key]
            return httpx.Response(
                200, json={"deleted": {key[1]: "deleted" for key in gone}, "partial": False}
            )
        if parts[2] == "folders":
            path = "/".join(parts[3:])
            self.folders_deleted.append(path)
            return httpx.Response(200, json={"deleted": [path]})
        if parts[-1] == "upload":
            return self._upload(parts[2], form_fields(request))
        return httpx.Response(404, json={"error": {"message": "No such endpoint"}})

    def _upload(self, resource_type: str, fields: dict[str, bytes]) -> httpx.Response:
        public_id = fields["public_id"].decode()
        if self.fail_uploads_of and self.fail_uploads_of in public_id:
            return httpx.Response(400, json={"error": {"message": "Invalid image file"}})
        self.assets[(resource_type, public_id)] = fields["file"]
        answer = json.loads((CONTRACT / "upload.response.example.json").read_text())
        answer.update(public_id=public_id, resource_type=resource_type, bytes=len(fields["file"]))
        return httpx.Response(200, json=answer)


@pytest.fixture
def cloudinary(monkeypatch) -> FakeCloudinary:
    fake = FakeCloudinary()
    use_media_storage(monkeypatch, CloudinaryStorage(client=fake.client()))
    return fake


def test_media_storage_is_cloudinary_only_when_configured(settings):
    settings.CLOUDINARY_URL = ""
    assert type(media_storage()) is MediaFileSystemStorage
    settings.CLOUDINARY_URL = "cloudinary://key:secret@demo-cloud"
    storage = media_storage()
    assert isinstance(storage, CloudinaryStorage)
    assert storage.client.config == CONFIG


def test_local_storage_follows_media_root_and_media_url(tmp_path):
    storage = MediaFileSystemStorage()
    with override_settings(MEDIA_ROOT=tmp_path):
        name = storage.save("biz_alpha/product/a.jpg", ContentFile(b"x"))
        assert (tmp_path / name).read_bytes() == b"x"
        assert storage.url(name) == "/media/files/biz_alpha/product/a.jpg"


def test_storage_saves_serves_checks_and_deletes_through_cloudinary():
    fake = FakeCloudinary()
    storage = CloudinaryStorage(client=fake.client())

    name = storage.save("biz_alpha/product/abc.png", ContentFile(b"png bytes"))

    assert name == "biz_alpha/product/abc.png"  # no "is it taken?" round trip before saving
    assert fake.calls == ["POST /v1_1/demo-cloud/image/upload"]
    assert fake.assets == {("image", "biz_alpha/product/abc"): b"png bytes"}
    assert storage.url(name) == f"{DELIVERY}/image/upload/biz_alpha/product/abc.png"
    assert storage.exists(name)
    assert storage.open(name).read() == b"png bytes"
    storage.delete(name)
    assert fake.calls[-1] == "POST /v1_1/demo-cloud/image/destroy"
    assert not storage.exists(name)
    storage.delete(name)  # already gone: not an error


def test_videos_are_video_assets_with_a_poster_frame():
    fake = FakeCloudinary()
    storage = CloudinaryStorage(client=fake.client())
    name = storage.save("biz_alpha/service/v.mp4", ContentFile(b"mp4"))
    assert ("video", "biz_alpha/service/v") in fake.assets
    assert storage.url(name) == f"{DELIVERY}/video/upload/biz_alpha/service/v.mp4"
    assert storage.video_poster_url(name) == (
        f"{DELIVERY}/video/upload/c_limit,w_320/biz_alpha/service/v.jpg"
    )
    assert storage.video_poster_url("biz_alpha/service/p.jpg") is None


def test_upload_and_delete_on_cloudinary(in_business_a, cloudinary, media_root):
    media = media_upload(folder="product", upload=photo())

    file_id = media.file.name.rsplit(".", 1)[0]
    thumb_id = media.thumbnail.name.rsplit(".", 1)[0]
    assert cloudinary.assets[("image", file_id)] == image_bytes()
    assert ("image", thumb_id) in cloudinary.assets
    assert media.file.url == f"{DELIVERY}/image/upload/{media.file.name}"
    assert media.preview_url == f"{DELIVERY}/image/upload/{media.thumbnail.name}"
    assert not media_root.exists()  # nothing on the local disk

    media_delete(media=media)
    assert cloudinary.assets == {}
    assert not Media.objects.exists()


def test_cloudinary_video_shows_its_poster_frame(in_business_a, cloudinary):
    media = media_upload(folder="service", upload=video())
    public_id = media.file.name.rsplit(".", 1)[0]
    assert ("video", public_id) in cloudinary.assets
    assert media.preview_url == f"{DELIVERY}/video/upload/c_limit,w_320/{public_id}.jpg"


def test_a_refused_thumbnail_removes_the_uploaded_photo(in_business_a, cloudinary):
    cloudinary.fail_uploads_of = "/thumbs/"
    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=photo())
    assert error.value.code == MediaErrorCode.STORAGE_FAILED
    assert "Invalid image file" in error.value.message
    assert cloudinary.assets == {}
    assert not Media.objects.exists()


def test_folder_clear_deletes_by_prefix_then_the_folder(in_business_a, cloudinary):
    media_upload(folder="product", upload=photo())
    media_upload(folder="product", upload=video())
    kept = media_upload(folder="service", upload=photo())

    assert media_folder_clear(folder="product") == 2

    assert cloudinary.calls[-3:] == [
        "DELETE /v1_1/demo-cloud/resources/image/upload",
        "DELETE /v1_1/demo-cloud/resources/video/upload",
        "DELETE /v1_1/demo-cloud/folders/biz_alpha/product",
    ]
    assert {public_id for _, public_id in cloudinary.assets} == {
        kept.file.name.rsplit(".", 1)[0],
        kept.thumbnail.name.rsplit(".", 1)[0],
    }
    assert list(Media.objects.all()) == [kept]


def test_folder_clear_of_a_folder_never_created_on_cloudinary(in_business_a, monkeypatch):
    def handler(request: httpx.Request) -> httpx.Response:
        if "/folders/" in request.url.path:
            return httpx.Response(404, json={"error": {"message": "Can't find folder"}})
        return httpx.Response(200, json={"deleted": {}, "partial": False})

    client = CloudinaryClient(CONFIG, transport=httpx.MockTransport(handler))
    use_media_storage(monkeypatch, CloudinaryStorage(client=client))
    assert media_folder_clear(folder="service") == 0


def test_cloudinary_outage_on_delete_keeps_the_media(in_business_a, cloudinary, monkeypatch):
    media = media_upload(folder="product", upload=photo())

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no route")

    client = CloudinaryClient(CONFIG, transport=httpx.MockTransport(down))
    use_media_storage(monkeypatch, CloudinaryStorage(client=client))
    media = Media.objects.get(pk=media.pk)
    with pytest.raises(MediaError) as error:
        media_delete(media=media)
    assert error.value.code == MediaErrorCode.STORAGE_FAILED
    assert "Cloudinary did not answer in time" in error.value.message
    assert Media.objects.filter(pk=media.pk).exists()
    with pytest.raises(MediaError):
        media_folder_clear(folder="product")
    assert Media.objects.filter(pk=media.pk).exists()
