"""Log-in by password or e-mailed code, password reset by code, change password, log-out."""

import re
from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from accounts.models import User
from conftest import host_client


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner(owner_a):
    owner_a.set_password("Right-Password-77")
    owner_a.save()
    EmailAddress.objects.get_or_create(
        user=owner_a, email=owner_a.email, defaults={"verified": True, "primary": True})
    return owner_a


def test_password_login_on_public_host_hands_over_to_the_business(owner, business_a):
    client = host_client("localhost")
    response = client.post("/accounts/login/", {"login": owner.email,
                                                "password": "Right-Password-77"})
    assert response["Location"] == "/accounts/after-login/"
    final = urlparse(client.get(response["Location"])["Location"])
    assert final.hostname == "alpha.localhost"
    assert final.path.startswith("/accounts/handoff/")
    portal = host_client("alpha.localhost")
    assert "Alpha Shop Main" in portal.get(final.path, follow=True).content.decode()
    # the public host's session was only a stepping stone
    assert "_auth_user_id" not in client.session


def test_login_directly_on_the_business_host(owner, business_a):
    portal = host_client("alpha.localhost")
    response = portal.post("/accounts/login/?next=/", {"login": owner.email,
                                                       "password": "Right-Password-77"})
    assert response.status_code == 302
    assert "Alpha Shop Main" in portal.get("/").content.decode()


def test_wrong_password_is_refused_and_repeated_failures_are_rate_limited(owner):
    client = host_client("localhost")
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": owner.email, "password": "nope"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    response = client.post("/accounts/login/", {"login": owner.email, "password": "nope"})
    assert "Too many failed login attempts" in response.content.decode() or response.status_code == 429


def test_login_by_emailed_code(owner, business_a):
    portal = host_client("alpha.localhost")
    response = portal.post("/accounts/login/code/", {"email": owner.email})
    assert response.status_code == 302
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[-1].body).group(1)
    response = portal.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert "Alpha Shop Main" in portal.get("/").content.decode()


def test_password_reset_by_code(owner):
    client = host_client("localhost")
    response = client.post("/accounts/password/reset/", {"email": owner.email})
    assert response.status_code == 302
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[-1].body).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    response = client.post(response["Location"], {"password1": "Brand-New-Secret-9",
                                                  "password2": "Brand-New-Secret-9"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Brand-New-Secret-9")


def test_change_password(owner, business_a):
    portal = host_client("alpha.localhost", owner)
    response = portal.post("/accounts/password/change/", {
        "oldpassword": "Right-Password-77", "password1": "Another-Secret-55",
        "password2": "Another-Secret-55"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Another-Secret-55")


def test_logout_ends_the_portal_session(owner, business_a):
    portal = host_client("alpha.localhost", owner)
    assert portal.get("/").status_code == 200
    portal.post("/accounts/logout/")
    assert portal.get("/").status_code == 302


def test_social_buttons_only_when_configured(db, settings):
    page = host_client("localhost").get("/accounts/login/").content.decode()
    assert "Google" not in page and "Facebook" not in page
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id", "secret": "s"}], "SCOPE": ["email"]},
        "facebook": {},
    }
    page = host_client("localhost").get("/accounts/login/").content.decode()
    assert "Google" in page and "Facebook" not in page


def test_allauth_signup_is_closed_and_points_to_ours(db):
    response = host_client("localhost").get("/accounts/signup/")
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == "/signup/"


def test_api_token_is_shown_once(owner, business_a):
    portal = host_client("alpha.localhost", owner)
    html = portal.post("/accounts/settings/", {"action": "rotate-token"}).content.decode()
    key = re.search(r'data-testid="api-token">([0-9a-f]{40})<', html).group(1)
    again = portal.get("/accounts/settings/").content.decode()
    assert key not in again
    assert User.objects.get(pk=owner.pk).auth_token.key == key
