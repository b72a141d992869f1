"""An owner fills the media library in a real browser: photos, the welcome video, its
replacement and a deletion, through the boosted (htmx) forms."""

import os
import re
import secrets

import pytest
from django.test import Client

from accounts.models import Membership, User
from conftest import chromium_page
from media_library.tests.files import MP4_HEAD, WEBM_HEAD, image_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(live_server, settings):
    with chromium_page(live_server, settings) as page:
        yield page


@pytest.fixture
def studio(live_server):
    """A business of its own (the live server empties the database when it finishes) and its
    owner's session key. Made before Playwright starts: its event loop would give the database
    work here a connection of its own that nothing closes."""
    from tenants.services import business_create

    business = business_create(name="Media Studio", slug=f"studio-{secrets.token_hex(3)}")
    owner = User.objects.create_user(email="studio@example.com", password="pass-word-2026")
    Membership.objects.create(user=owner, business=business, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(owner)
    return business, client.cookies["sessionid"].value


def test_fill_the_media_library(studio, browser_page, live_server, settings, tmp_path):
    page = browser_page
    business, session_key = studio
    base = f"http://{business.slug}.localhost:{settings.SITE_PORT}"
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_key,
                "url": base,
            }
        ]
    )
    files = {
        "red.jpg": image_bytes("JPEG", size=(900, 600)),
        "logo.png": image_bytes("PNG", mode="RGBA", size=(300, 300)),
        "welcome.mp4": MP4_HEAD + b"\x00" * 2048,
        "better.webm": WEBM_HEAD + b"\x00" * 2048,
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    page.goto(f"{base}/media/")
    assert "No video yet." in page.get_by_test_id("welcome-video").inner_text()

    page.set_input_files("input[name=files]", [tmp_path / "red.jpg", tmp_path / "logo.png"])
    page.get_by_test_id("media-upload").click()
    page.wait_for_selector("text=2 files were uploaded.")
    tiles = page.get_by_test_id("media-tile")
    assert tiles.count() == 2
    # the thumbnails are really served to the browser
    page.wait_for_function(
        "[...document.querySelectorAll('.media-tile img')].every(i => i.naturalWidth > 0)"
    )

    page.set_input_files("input[name=files]", tmp_path / "welcome.mp4")
    page.get_by_test_id("media-upload").click()
    page.wait_for_selector("#media-video video")

    page.set_input_files("input[name=files]", tmp_path / "better.webm")
    page.get_by_test_id("media-upload").click()
    errors = page.get_by_test_id("upload-errors")
    errors.wait_for()
    assert "already has its video" in errors.inner_text()
    page.get_by_test_id("replace-video").locator("input").check()
    page.set_input_files("input[name=files]", tmp_path / "better.webm")
    page.get_by_test_id("media-upload").click()
    page.wait_for_selector("text=1 file was uploaded.")
    assert page.locator("#media-video video").get_attribute("src").endswith(".webm")

    tiles.first.get_by_test_id("media-delete").click()
    page.get_by_test_id("media-delete-confirm").click()
    page.wait_for_selector("text=was deleted.")
    assert page.get_by_test_id("media-tile").count() == 1
    page.wait_for_url(re.compile(r"/media/\?folder=product$"))
    page.screenshot(path=os.environ.get("X8_MEDIA_SCREENSHOT", "/tmp/x8-media.png"), full_page=True)
