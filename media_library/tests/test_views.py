import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import host_client
from media_library.models import Media
from media_library.services import media_upload
from media_library.tests.files import image_bytes, photo, video


@pytest.fixture
def alpha_photo(business_a):
    with tenant_context(business_a):
        return media_upload(folder="product", upload=photo("boots.jpg"), title="Boots")


def test_library_shows_both_folders_and_the_photo_grid(portal_a, alpha_photo):
    response = portal_a.get("/media/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="folder-product"' in html and 'data-testid="folder-service"' in html
    assert html.count('data-testid="media-tile"') == 1
    assert f'src="/media/files/{alpha_photo.thumbnail.name}"' in html
    assert "Boots" in html
    assert "No video yet." in html
    assert 'data-testid="nav-media"' in html

    service = portal_a.get("/media/?folder=service").content.decode()
    assert 'data-testid="media-tile"' not in service
    assert "No photos in this folder yet." in service


def test_library_page_queries_do_not_grow_with_photos(portal_a, business_a):
    def queries_of_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert portal_a.get("/media/").status_code == 200
        return len(queries)

    with tenant_context(business_a):
        media_upload(folder="product", upload=photo())
    with_one = queries_of_the_page()
    with tenant_context(business_a):
        for number in range(4):
            media_upload(folder="product", upload=photo(f"{number}.jpg"))
        media_upload(folder="product", upload=video())
    assert queries_of_the_page() == with_one


def test_upload_several_photos_at_once(portal_a, business_a, media_root):
    response = portal_a.post(
        "/media/upload/",
        {
            "folder": "service",
            "title": "",
            "files": [photo("one.jpg"), photo("two.png", fmt="PNG")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/media/?folder=service"
    page = portal_a.get(response["Location"]).content.decode()
    assert "2 files were uploaded." in page
    assert page.count('data-testid="media-tile"') == 2
    with tenant_context(business_a):
        names = sorted(Media.objects.values_list("original_filename", flat=True))
        assert names == ["one.jpg", "two.png"]
        for media in Media.objects.all():
            assert (media_root / media.file.name).is_file()
            assert media.file.name.startswith("biz_alpha/service/")


def test_the_welcome_video_is_shown_with_a_player(portal_a, business_a):
    response = portal_a.post("/media/upload/", {"folder": "product", "files": [video()]})
    assert response.status_code == 302
    html = portal_a.get("/media/").content.decode()
    with tenant_context(business_a):
        media = Media.objects.get(kind="video")
    assert f'<video controls preload="metadata" src="/media/files/{media.file.name}"' in html
    assert "Replace the current video" in html


def test_invalid_upload_is_shown_again_with_422_and_reasons(portal_a, business_a):
    fake = SimpleUploadedFile(
        "notes.jpg", b"just some text, not a picture", content_type="image/jpeg"
    )
    response = portal_a.post("/media/upload/", {"folder": "product", "files": [fake, photo()]})
    html = response.content.decode()
    assert response.status_code == 422
    assert "notes.jpg: This is not a photo or a video that can be used here." in html
    assert "1 file was uploaded." in html  # the good one went in
    with tenant_context(business_a):
        assert Media.objects.count() == 1


def test_upload_without_a_file_asks_for_one(portal_a):
    response = portal_a.post("/media/upload/", {"folder": "product"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_second_video_offers_to_replace_the_current_one(
    portal_a, business_a, django_capture_on_commit_callbacks
):
    portal_a.post("/media/upload/", {"folder": "product", "files": [video("first.mp4")]})

    response = portal_a.post(
        "/media/upload/", {"folder": "product", "files": [video("second.mp4")]}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "second.mp4: The Products folder already has its video." in html
    assert 'class="checkbox highlight"' in html and "Replace the current video" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post(
            "/media/upload/",
            {"folder": "product", "files": [video("second.mp4")], "replace_video": "on"},
        )
    assert response.status_code == 302
    with tenant_context(business_a):
        assert list(Media.objects.values_list("original_filename", flat=True)) == ["second.mp4"]


def test_delete_with_confirmation(portal_a, business_a, alpha_photo, media_root):
    confirm = portal_a.get(f"/media/{alpha_photo.pk}/delete/")
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.content.decode()

    response = portal_a.post(f"/media/{alpha_photo.pk}/delete/")
    assert response.status_code == 302
    assert "Boots was deleted." in portal_a.get(response["Location"]).content.decode()
    with tenant_context(business_a):
        assert not Media.objects.exists()
    assert not (media_root / alpha_photo.file.name).exists()
    assert not (media_root / alpha_photo.thumbnail.name).exists()


def test_clear_a_folder_with_confirmation(portal_a, business_a, alpha_photo):
    with tenant_context(business_a):
        media_upload(folder="service", upload=photo())
    confirm = portal_a.get("/media/folders/product/clear/")
    assert "1 file of Products will be deleted" in confirm.content.decode()
    response = portal_a.post("/media/folders/product/clear/")
    assert response.status_code == 302
    assert (
        "1 file was deleted from Products." in portal_a.get(response["Location"]).content.decode()
    )
    with tenant_context(business_a):
        assert list(Media.objects.values_list("folder", flat=True)) == ["service"]
    assert portal_a.get("/media/folders/secret/clear/").status_code == 404


def test_owner_gets_their_files(portal_a, alpha_photo):
    response = portal_a.get(alpha_photo.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image_bytes()
    assert response["Content-Type"] == "image/jpeg"
    assert portal_a.get(alpha_photo.thumbnail.url).status_code == 200


def test_videos_are_served_in_byte_ranges_for_players(portal_a, business_a):
    with tenant_context(business_a):
        media = media_upload(folder="product", upload=video(size=4096))
    content = video(size=4096).read()
    url = media.file.url

    whole = portal_a.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "video/mp4"

    start = portal_a.get(url, HTTP_RANGE="bytes=0-99")
    assert start.status_code == 206
    assert start["Content-Range"] == "bytes 0-99/4096"
    assert b"".join(start.streaming_content) == content[:100]
    tail = portal_a.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == content[-10:]
    rest = portal_a.get(url, HTTP_RANGE="bytes=4000-")
    assert rest["Content-Range"] == "bytes 4000-4095/4096"
    assert portal_a.get(url, HTTP_RANGE="bytes=5000-").status_code == 416
    assert portal_a.get(url.replace(".mp4", ".webm"), HTTP_RANGE="bytes=0-1").status_code == 404


def test_member_of_b_cannot_see_delete_or_fetch_media_of_a(
    business_b, owner_b, alpha_photo, business_a
):
    # On A's host B's owner is a stranger: everything is a 404.
    on_a = host_client("alpha.localhost", owner_b)
    assert on_a.get("/media/").status_code == 404
    assert on_a.post(f"/media/{alpha_photo.pk}/delete/").status_code == 404
    assert on_a.get(alpha_photo.file.url).status_code == 404
    # On B's own host A's rows and files do not exist.
    on_b = host_client("beta.localhost", owner_b)
    assert on_b.get("/media/").status_code == 200
    assert on_b.post(f"/media/{alpha_photo.pk}/delete/").status_code == 404
    assert on_b.get(alpha_photo.file.url).status_code == 404
    assert on_b.get(f"/media/files/biz_beta/../{alpha_photo.file.name}").status_code == 404
    assert on_b.get(f"/media/files/biz_beta/%2e%2e/{alpha_photo.file.name}").status_code == 404
    with tenant_context(business_a):
        assert Media.objects.filter(pk=alpha_photo.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(business_a, alpha_photo):
    client = host_client("alpha.localhost")
    assert client.get("/media/").status_code == 302
    assert client.get(alpha_photo.file.url).status_code == 302
