from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from knowledge.models import Item, KnowledgeBase
from media_library.errors import MediaError, MediaErrorCode
from media_library.models import Media
from media_library.selectors import media_folder_counts, media_folder_video, media_list
from media_library.services import media_delete, media_folder_clear, media_upload
from media_library.tests.files import MOV_HEAD, WEBM_HEAD, image_bytes, photo, video
from tenants.companies.models import Company


def stored(media_root: Path) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def test_photo_upload_stores_the_file_and_a_jpeg_thumbnail(in_business_a, media_root):
    media = media_upload(
        folder="product", upload=photo("red shoe.png", fmt="PNG"), title=" Red shoe "
    )

    media.refresh_from_db()
    assert (media.kind, media.folder, media.title) == ("image", "product", "Red shoe")
    assert (media.width, media.height) == (800, 600)
    assert media.content_type == "image/png"
    assert media.original_filename == "red shoe.png"
    assert media.file.name.startswith("biz_alpha/product/") and media.file.name.endswith(".png")
    assert (media_root / media.file.name).read_bytes() == image_bytes("PNG")
    assert media.size == len(image_bytes("PNG"))
    assert media.thumbnail.name.startswith("biz_alpha/product/thumbs/")
    with Image.open(media_root / media.thumbnail.name) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (320, 240)
    assert media.preview_url == f"/media/files/{media.thumbnail.name}"


def test_thumbnail_is_upright_and_transparency_becomes_white(in_business_a, media_root):
    turned = media_upload(folder="service", upload=photo(exif_orientation=6))
    assert (turned.width, turned.height) == (600, 800)
    with Image.open(media_root / turned.thumbnail.name) as thumbnail:
        assert thumbnail.size == (240, 320)

    clear = media_upload(
        folder="service",
        upload=SimpleUploadedFile("logo.png", image_bytes("PNG", mode="RGBA", size=(100, 100))),
    )
    with Image.open(media_root / clear.thumbnail.name) as thumbnail:
        _red, green, blue = thumbnail.getpixel((50, 50))
        assert green > 100 and blue > 100  # half-transparent red on white, not on black


def test_a_file_that_is_not_a_picture_is_refused_even_named_jpg(in_business_a, media_root):
    fake = SimpleUploadedFile(
        "holiday.jpg", b"%PDF-1.7 not a picture at all" * 50, content_type="image/jpeg"
    )
    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=fake)
    assert error.value.code == MediaErrorCode.FILE_TYPE_UNSUPPORTED
    assert "not a photo or a video" in error.value.message
    assert not Media.objects.exists()
    assert stored(media_root) == []


@pytest.mark.parametrize(
    "content",
    [
        image_bytes()[:2000],  # a cut-off JPEG
        image_bytes("BMP"),  # a picture, but not one for the web
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 100,  # an iPhone HEIC photo
        b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska" + b"\x00" * 100,  # MKV, not WebM
        b"",
    ],
)
def test_damaged_or_unsupported_files_are_refused(in_business_a, content):
    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=SimpleUploadedFile("x.jpg", content))
    assert error.value.code == MediaErrorCode.FILE_TYPE_UNSUPPORTED
    assert not Media.objects.exists()


def test_too_large_files_are_refused_by_their_kind(in_business_a, settings, media_root):
    settings.MEDIA_IMAGE_MAX_BYTES = 1000
    settings.MEDIA_VIDEO_MAX_BYTES = 5000
    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=photo())
    assert error.value.code == MediaErrorCode.FILE_TOO_LARGE
    assert "A photo can be at most 1000" in error.value.message

    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=video(size=6000))
    assert error.value.code == MediaErrorCode.FILE_TOO_LARGE
    assert media_upload(folder="product", upload=video(size=4000)).kind == "video"
    assert Media.objects.count() == 1


def test_default_limits_are_10_and_100_megabytes():
    from django.conf import settings

    assert settings.MEDIA_IMAGE_MAX_BYTES == 10 * 1024 * 1024
    assert settings.MEDIA_VIDEO_MAX_BYTES == 100 * 1024 * 1024


@pytest.mark.parametrize(
    ("upload", "content_type", "extension"),
    [
        (video("a.mp4"), "video/mp4", ".mp4"),
        (video("b.MOV", head=MOV_HEAD), "video/quicktime", ".mov"),
        (video("c.webm", head=WEBM_HEAD), "video/webm", ".webm"),
        (video("renamed.jpg"), "video/mp4", ".mp4"),
    ],
)
def test_videos_are_recognised_by_their_content(
    in_business_a, media_root, upload, content_type, extension
):
    media = media_upload(folder="service", upload=upload)
    assert (media.kind, media.content_type) == ("video", content_type)
    assert media.file.name.endswith(extension)
    assert not media.thumbnail
    assert media.preview_url is None  # the page shows the video itself
    assert (media_root / media.file.name).is_file()


def test_photos_are_unlimited_but_a_second_video_is_refused(in_business_a, media_root):
    for number in range(3):
        media_upload(folder="product", upload=photo(f"{number}.jpg"))
    first = media_upload(folder="product", upload=video("first.mp4"))

    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=video("second.mp4"))

    assert error.value.code == MediaErrorCode.VIDEO_EXISTS
    assert "already has its video" in error.value.message
    assert "Replace the current video" in error.value.message
    assert media_folder_video(folder="product") == first
    # the other folder has its own video
    media_upload(folder="service", upload=video("service.mp4"))
    assert media_folder_counts() == {"product": 4, "service": 1}
    assert len(stored(media_root)) == 3 + 3 + 2  # photos, their thumbnails, two videos


def test_replacing_the_video_deletes_the_old_one(
    in_business_a, media_root, django_capture_on_commit_callbacks
):
    old = media_upload(folder="product", upload=video("old.mp4"))
    old_path = media_root / old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        new = media_upload(
            folder="product", upload=video("new.webm", head=WEBM_HEAD), replace_video=True
        )

    assert media_folder_video(folder="product") == new
    assert not Media.objects.filter(pk=old.pk).exists()
    assert not old_path.exists()
    assert (media_root / new.file.name).is_file()


def test_replace_video_with_a_photo_keeps_the_video(in_business_a):
    current = media_upload(folder="product", upload=video())
    media_upload(folder="product", upload=photo(), replace_video=True)
    assert media_folder_video(folder="product") == current


def test_unknown_folder_is_refused(in_business_a):
    with pytest.raises(MediaError) as error:
        media_upload(folder="secret", upload=photo())
    assert error.value.code == MediaErrorCode.FOLDER_INVALID


def test_delete_removes_file_thumbnail_and_item_references(in_business_a, media_root):
    company = Company.objects.first()
    knowledge_base = KnowledgeBase.objects.create(company=company, name="Shoes")
    item = Item.objects.create(knowledge_base=knowledge_base, name="Red shoe", sku="RS-1")
    media = media_upload(folder="product", upload=photo())
    kept = media_upload(folder="product", upload=photo("other.jpg"))
    item.media.add(media, kept)

    media_delete(media=media)

    assert not Media.objects.filter(pk=media.pk).exists()
    assert not (media_root / media.file.name).exists()
    assert not (media_root / media.thumbnail.name).exists()
    item.refresh_from_db()
    assert list(item.media.all()) == [kept]
    assert stored(media_root) == sorted([kept.file.name, kept.thumbnail.name])


def test_delete_of_a_file_already_gone_still_deletes_the_row(in_business_a, media_root):
    media = media_upload(folder="product", upload=photo())
    (media_root / media.file.name).unlink()
    media_delete(media=media)
    assert not Media.objects.exists()


def test_folder_clear_deletes_only_that_folder(in_business_a, media_root):
    for number in range(2):
        media_upload(folder="product", upload=photo(f"{number}.jpg"))
    media_upload(folder="product", upload=video())
    keep = media_upload(folder="service", upload=photo())

    assert media_folder_clear(folder="product") == 3

    assert list(media_list()) == [keep]
    assert stored(media_root) == sorted([keep.file.name, keep.thumbnail.name])


def test_a_failing_storage_leaves_nothing_behind(in_business_a, media_root, monkeypatch):
    from media_library.cloudinary import CloudinaryError, CloudinaryErrorCode
    from media_library.storage import MediaFileSystemStorage

    saved = []

    class ThumbnailFails(MediaFileSystemStorage):
        def _save(self, name, content):
            if "/thumbs/" in name:
                raise CloudinaryError(CloudinaryErrorCode.TIMEOUT, "Cloudinary did not answer.")
            saved.append(name)
            return super()._save(name, content)

    from media_library.tests.conftest import use_media_storage

    use_media_storage(monkeypatch, ThumbnailFails())
    with pytest.raises(MediaError) as error:
        media_upload(folder="product", upload=photo())

    assert error.value.code == MediaErrorCode.STORAGE_FAILED
    assert "Cloudinary did not answer" in error.value.message
    assert len(saved) == 1  # the photo was stored, then removed again
    assert stored(media_root) == []
    assert not Media.objects.exists()


def test_businesses_do_not_share_media(business_a, business_b, media_root):
    from django_tenants.utils import tenant_context

    with tenant_context(business_a):
        media_upload(folder="product", upload=video())
    with tenant_context(business_b):
        assert not media_list().exists()
        other = media_upload(folder="product", upload=video())  # B has its own video slot
        assert other.file.name.startswith("biz_beta/product/")
