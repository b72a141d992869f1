"""Sign-up: e-mail → code → password and business → logged in on the business host."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_exists

from accounts.errors import AccountsError, AccountsErrorCode
from accounts.models import LoginHandoff, Membership, SignupCode, User
from accounts.services import (
    login_handoff_create,
    login_handoff_redeem,
    signup_code_request,
    signup_code_verify,
)
from conftest import host_client
from tenants.models import Business


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _code_from_outbox() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def _signup(client, email="new@example.com", slug="new-shop", password="Sunny-Orchard-42"):
    client.post("/signup/", {"email": email})
    client.post("/signup/code/", {"code": _code_from_outbox()})
    return client.post("/signup/finish/", {
        "business_name": "New Shop", "slug": slug, "full_name": "Nina New",
        "password1": password, "password2": password})


def test_full_signup_lands_logged_in_on_the_new_business_host(db):
    client = host_client("localhost")
    # when
    response = _signup(client)
    # then: the business exists with its schema, trial and owner
    business = Business.objects.get(slug="new-shop")
    user = User.objects.get(email="new@example.com")
    assert schema_exists(business.schema_name)
    assert business.trial_days_left() == 7
    assert Membership.objects.get(user=user, business=business).role == "owner"
    assert user.check_password("Sunny-Orchard-42")
    # and the redirect is a hand-off to the business host, which logs the user in there
    location = urlparse(response["Location"])
    assert location.hostname == "new-shop.localhost"
    portal = host_client("new-shop.localhost")
    landed = portal.get(location.path, follow=True)
    assert landed.status_code == 200
    assert "Create your first company" in landed.content.decode()
    assert int(portal.session["_auth_user_id"]) == user.pk


def test_code_email_is_six_digits_and_says_when_it_expires(db):
    host_client("localhost").post("/signup/", {"email": "Code@Example.com"})
    message = mail.outbox[-1]
    assert message.to == ["code@example.com"]
    assert re.fullmatch(r"\d{6}", _code_from_outbox())
    assert "10 minutes" in message.body


def test_duplicate_email_is_refused(owner_a):
    response = host_client("localhost").post("/signup/", {"email": "OWNER-A@example.com"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert not mail.outbox


def test_expired_code_is_refused(db):
    signup_code_request(email="late@example.com", ip=None)
    code = _code_from_outbox()
    SignupCode.objects.filter(email="late@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AccountsError) as error:
        signup_code_verify(email="late@example.com", code=code)
    assert error.value.code == AccountsErrorCode.CODE_EXPIRED


def test_code_works_only_once(db):
    signup_code_request(email="once@example.com", ip=None)
    code = _code_from_outbox()
    signup_code_verify(email="once@example.com", code=code)
    with pytest.raises(AccountsError) as error:
        signup_code_verify(email="once@example.com", code=code)
    assert error.value.code == AccountsErrorCode.CODE_INVALID


def test_new_code_replaces_the_old_one(db):
    signup_code_request(email="twice@example.com", ip=None)
    old = _code_from_outbox()
    signup_code_request(email="twice@example.com", ip=None)
    new = _code_from_outbox()
    if old != new:
        with pytest.raises(AccountsError):
            signup_code_verify(email="twice@example.com", code=old)
    signup_code_verify(email="twice@example.com", code=new)


def test_wrong_codes_lock_the_code_after_five_attempts(db):
    signup_code_request(email="guess@example.com", ip=None)
    right = _code_from_outbox()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(AccountsError) as error:
            signup_code_verify(email="guess@example.com", code=wrong)
        assert error.value.code == AccountsErrorCode.CODE_INVALID
    with pytest.raises(AccountsError) as error:
        signup_code_verify(email="guess@example.com", code=right)
    assert error.value.code == AccountsErrorCode.CODE_TOO_MANY_ATTEMPTS


def test_too_many_code_requests_are_refused(db):
    client = host_client("localhost")
    for _ in range(3):
        assert client.post("/signup/", {"email": "spam@example.com"}).status_code == 302
    response = client.post("/signup/", {"email": "spam@example.com"})
    assert response.status_code == 422
    assert "Too many codes" in response.content.decode()
    assert len(mail.outbox) == 3


def test_code_requests_are_limited_per_ip_across_addresses(db, settings):
    settings.SIGNUP_CODE_RATE = {"per_email": (3, 600), "per_ip": (2, 3600)}
    client = host_client("localhost")
    assert client.post("/signup/", {"email": "a1@example.com"}).status_code == 302
    assert client.post("/signup/", {"email": "a2@example.com"}).status_code == 302
    assert client.post("/signup/", {"email": "a3@example.com"}).status_code == 422


def test_finish_step_needs_a_verified_code(db):
    client = host_client("localhost")
    client.post("/signup/", {"email": "skip@example.com"})
    response = client.get("/signup/finish/")
    assert response.status_code == 302 and response["Location"] == "/signup/"


@pytest.mark.parametrize(("slug", "message"), [
    ("admin", "reserved"), ("alpha", "already taken"), ("Bad Slug!", "lowercase Latin"),
])
def test_bad_slugs_are_explained_and_nothing_is_created(business_a, slug, message):
    response = _signup(host_client("localhost"), email="slugger@example.com", slug=slug)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not User.objects.filter(email="slugger@example.com").exists()


def test_weak_or_mismatched_password_is_refused(db):
    client = host_client("localhost")
    assert _signup(client, password="123").status_code == 422
    response = client.post("/signup/finish/", {
        "business_name": "New Shop", "slug": "new-shop", "password1": "Sunny-Orchard-42",
        "password2": "Sunny-Orchard-43"})
    assert "differ" in response.content.decode()


def test_slug_check_fragment(business_a):
    client = host_client("localhost")
    assert "is free" in client.get("/signup/check-slug/", {"slug": "fresh-one"}).content.decode()
    assert "already taken" in client.get("/signup/check-slug/", {"slug": "alpha"}).content.decode()


def test_handoff_is_single_use(business_a, owner_a):
    token = login_handoff_create(user=owner_a, business=business_a)
    assert login_handoff_redeem(token=token, business=business_a) == owner_a
    with pytest.raises(AccountsError):
        login_handoff_redeem(token=token, business=business_a)


def test_handoff_for_another_business_is_refused(business_a, business_b, owner_a):
    token = login_handoff_create(user=owner_a, business=business_a)
    with pytest.raises(AccountsError):
        login_handoff_redeem(token=token, business=business_b)


def test_expired_or_forged_handoff_is_refused(business_a, owner_a, settings):
    token = login_handoff_create(user=owner_a, business=business_a)
    settings.LOGIN_HANDOFF_TTL_SECONDS = -1
    with pytest.raises(AccountsError):
        login_handoff_redeem(token=token, business=business_a)
    settings.LOGIN_HANDOFF_TTL_SECONDS = 60
    with pytest.raises(AccountsError):
        login_handoff_redeem(token=token[:-2] + "xx", business=business_a)
    assert LoginHandoff.objects.filter(used_at__isnull=True).count() == 1


def test_handoff_view_with_bad_token_sends_to_login(business_a):
    response = host_client("alpha.localhost").get("/accounts/handoff/garbage/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
