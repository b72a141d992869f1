"""The account settings page: a person's name, language and live-chat alerts."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import User


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in Russian leaves Russian active in this thread: later tests expect English."""
    yield
    translation.deactivate()


def checkbox(html: str, name: str) -> str:
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)


def test_the_page_shows_the_alert_checkboxes_as_they_are(portal_a, owner_a):
    User.objects.filter(pk=owner_a.pk).update(notify_desktop=True, notify_sound=False)

    html = portal_a.get("/accounts/settings/").content.decode()

    assert "Desktop notification for a new conversation" in html
    assert "Sound for a new conversation" in html
    assert "checked" in checkbox(html, "notify_desktop")
    assert "checked" not in checkbox(html, "notify_sound")


def test_the_alerts_are_saved_with_the_rest_of_the_settings(portal_a, owner_a):
    assert (owner_a.notify_desktop, owner_a.notify_sound) == (False, True)

    response = portal_a.post(
        "/accounts/settings/",
        {
            "action": "preferences",
            "full_name": "  Anna Owner ",
            "language": "ru",
            "notify_desktop": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/settings/"
    owner_a.refresh_from_db()
    assert (owner_a.full_name, owner_a.language) == ("Anna Owner", "ru")
    assert (owner_a.notify_desktop, owner_a.notify_sound) == (True, False), "unticked is off"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"

    html = portal_a.get("/accounts/settings/").content.decode()
    assert "checked" in checkbox(html, "notify_desktop")
    assert "checked" not in checkbox(html, "notify_sound")


def test_both_alerts_can_be_switched_off_and_on_again(portal_a, owner_a):
    form = {"action": "preferences", "full_name": "", "language": "en"}
    portal_a.post("/accounts/settings/", form)
    owner_a.refresh_from_db()
    assert (owner_a.notify_desktop, owner_a.notify_sound) == (False, False)

    portal_a.post("/accounts/settings/", {**form, "notify_desktop": "on", "notify_sound": "on"})
    owner_a.refresh_from_db()
    assert (owner_a.notify_desktop, owner_a.notify_sound) == (True, True)


def test_a_bad_language_is_shown_again_with_422_and_nothing_saved(portal_a, owner_a):
    response = portal_a.post(
        "/accounts/settings/",
        {"action": "preferences", "language": "xx", "notify_desktop": "on", "full_name": "New"},
    )

    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    owner_a.refresh_from_db()
    assert (owner_a.full_name, owner_a.notify_desktop) == ("", False)


def test_rotating_the_token_leaves_the_alerts_alone(portal_a, owner_a):
    User.objects.filter(pk=owner_a.pk).update(notify_desktop=True, notify_sound=True)

    response = portal_a.post("/accounts/settings/", {"action": "rotate-token"})

    assert response.status_code == 200
    owner_a.refresh_from_db()
    assert (owner_a.notify_desktop, owner_a.notify_sound) == (True, True)


def test_a_boosted_visit_gets_the_whole_page(portal_a):
    html = portal_a.get("/accounts/settings/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="preferences-form"' in html and 'id="api-token"' in html
