import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from conftest import host_client
from media_library.models import Media
from media_library.services import media_upload
from media_library.tests.files import photo, video


@pytest.fixture
def alpha_media(business_a):
    with tenant_context(business_a):
        return {
            "photo": media_upload(folder="product", upload=photo("a.jpg")),
            "video": media_upload(folder="product", upload=video()),
            "service_photo": media_upload(folder="service", upload=photo("b.jpg")),
        }


def test_list_filters_by_folder_and_kind(portal_a, alpha_media):
    everything = portal_a.get("/api/v1/media/")
    assert everything.status_code == 200
    assert len(everything.json()["results"]) == 3

    product_photos = portal_a.get("/api/v1/media/?folder=product&kind=image").json()["results"]
    assert [m["id"] for m in product_photos] == [alpha_media["photo"].pk]
    item = product_photos[0]
    assert item["url"] == f"http://alpha.localhost/media/files/{alpha_media['photo'].file.name}"
    assert item["preview_url"].startswith(
        "http://alpha.localhost/media/files/biz_alpha/product/thumbs/"
    )
    assert (item["width"], item["height"], item["content_type"]) == (800, 600, "image/jpeg")

    videos = portal_a.get("/api/v1/media/?kind=video").json()["results"]
    assert [(m["id"], m["preview_url"]) for m in videos] == [(alpha_media["video"].pk, None)]

    assert portal_a.get("/api/v1/media/?folder=secret").status_code == 400


def test_upload_retrieve_and_delete_with_token(business_a, owner_a, media_root):
    key = Token.objects.create(user=owner_a).key
    client = host_client("alpha.localhost")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}

    created = client.post(
        "/api/v1/media/", {"folder": "service", "file": photo(), "title": "Haircut"}, **auth
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["folder"], body["kind"], body["title"]) == ("service", "image", "Haircut")

    detail = client.get(f"/api/v1/media/{body['id']}/", **auth)
    assert detail.status_code == 200 and detail.json()["url"] == body["url"]

    with tenant_context(business_a):
        media = Media.objects.get(pk=body["id"])
    assert (media_root / media.file.name).is_file()
    assert client.delete(f"/api/v1/media/{body['id']}/", **auth).status_code == 204
    assert not (media_root / media.file.name).exists()
    with tenant_context(business_a):
        assert not Media.objects.exists()


def test_invalid_uploads_explain_why(portal_a, alpha_media):
    fake = SimpleUploadedFile("x.jpg", b"no picture here")
    response = portal_a.post("/api/v1/media/", {"folder": "product", "file": fake})
    assert response.status_code == 400
    assert response.json()["code"] == "file_type_unsupported"

    second = portal_a.post("/api/v1/media/", {"folder": "product", "file": video()})
    assert second.status_code == 400
    assert second.json()["code"] == "video_exists"

    replaced = portal_a.post(
        "/api/v1/media/", {"folder": "product", "file": video("new.mp4"), "replace_video": "true"}
    )
    assert replaced.status_code == 201
    assert replaced.json()["original_filename"] == "new.mp4"

    missing = portal_a.post("/api/v1/media/", {"folder": "elsewhere"})
    assert missing.status_code == 400
    assert {"folder", "file"} <= set(missing.json())


def test_token_of_a_member_of_a_gets_404_on_b(business_b, owner_a, alpha_media):
    key = Token.objects.create(user=owner_a).key
    client = host_client("beta.localhost")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/v1/media/", **auth).status_code == 404
    assert client.delete(f"/api/v1/media/{alpha_media['photo'].pk}/", **auth).status_code == 404


def test_b_does_not_see_media_of_a_on_its_own_host(business_b, owner_b, alpha_media, business_a):
    client = host_client("beta.localhost", owner_b)
    assert client.get("/api/v1/media/").json()["results"] == []
    photo_pk = alpha_media["photo"].pk
    assert client.get(f"/api/v1/media/{photo_pk}/").status_code == 404
    assert client.delete(f"/api/v1/media/{photo_pk}/").status_code == 404
    with tenant_context(business_a):
        assert Media.objects.filter(pk=photo_pk).exists()


def test_anonymous_api_call_is_refused(business_a):
    assert host_client("alpha.localhost").get("/api/v1/media/").status_code in (401, 403)


def test_media_api_is_in_the_published_schema(db):
    schema = host_client("localhost").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/media/", "/api/v1/media/{id}/"} <= set(schema["paths"])
    upload = schema["paths"]["/api/v1/media/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
