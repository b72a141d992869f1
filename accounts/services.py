"""Writes on accounts: sign-up by e-mailed code, memberships, log-in hand-off between hosts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AccountsError, AccountsErrorCode
from accounts.models import LoginHandoff, Membership, SignupCode, User
from accounts.ratelimit import rate_limit_hit
from tenants.models import Business
from tenants.services import business_create

logger = logging.getLogger(__name__)

HANDOFF_SALT = "x8.accounts.login-handoff"


def _hash(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()


def email_normalize(email: str) -> str:
    return (email or "").strip().lower()


def signup_code_request(*, email: str, ip: str | None) -> SignupCode:
    """E-mail a fresh 6-digit code to `email`; earlier unused codes for it stop working.

    Raises AccountsError when the address already has an account or too many codes were
    asked for (per address and per IP).
    """
    email = email_normalize(email)
    if User.objects.filter(email__iexact=email).exists():
        raise AccountsError(
            AccountsErrorCode.EMAIL_TAKEN,
            _("An account with this e-mail already exists. Log in instead."),
        )
    per_email, per_ip = settings.SIGNUP_CODE_RATE["per_email"], settings.SIGNUP_CODE_RATE["per_ip"]
    limited = rate_limit_hit(
        action="signup-code", key=email, limit=per_email[0], window_seconds=per_email[1]
    )
    if ip and rate_limit_hit(
        action="signup-code-ip", key=ip, limit=per_ip[0], window_seconds=per_ip[1]
    ):
        limited = True
    if limited:
        raise AccountsError(
            AccountsErrorCode.RATE_LIMITED,
            _("Too many codes were requested. Wait a few minutes and try again."),
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        SignupCode.objects.filter(email=email, used_at__isnull=True).update(used_at=now)
        signup_code = SignupCode.objects.create(
            email=email,
            code_hash=_hash(f"{email}:{code}"),
            expires_at=now + timedelta(seconds=settings.SIGNUP_CODE_TTL_SECONDS),
            requested_from=ip,
        )
    context = {"code": code, "minutes": settings.SIGNUP_CODE_TTL_SECONDS // 60}
    send_mail(
        subject=render_to_string("accounts/email/signup_code_subject.txt", context).strip(),
        message=render_to_string("accounts/email/signup_code_message.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    logger.info("signup code sent", extra={"signup_code_id": signup_code.pk})
    return signup_code


def signup_code_verify(*, email: str, code: str) -> None:
    """Accept `code` for `email` once. Wrong, expired, reused or over-tried codes are refused.

    A wrong attempt is counted even though an error is raised, so guessing is bounded.
    """
    email = email_normalize(email)
    with transaction.atomic():
        signup_code = (
            SignupCode.objects.select_for_update()
            .filter(email=email)
            .order_by("-created_at")
            .first()
        )
        error = _signup_code_check(signup_code, email=email, code=code)
        if error is None:
            signup_code.used_at = timezone.now()
            signup_code.save(update_fields=["used_at"])
        elif error.code == AccountsErrorCode.CODE_INVALID and signup_code is not None:
            signup_code.attempts += 1
            signup_code.save(update_fields=["attempts"])
    if error is not None:
        raise error


def _signup_code_check(signup_code: SignupCode | None, *, email: str, code: str):
    if signup_code is None or signup_code.used_at is not None:
        return AccountsError(
            AccountsErrorCode.CODE_INVALID, _("This code is not valid. Ask for a new one.")
        )
    if signup_code.expires_at <= timezone.now():
        return AccountsError(
            AccountsErrorCode.CODE_EXPIRED, _("This code has expired. Ask for a new one.")
        )
    if signup_code.attempts >= settings.SIGNUP_CODE_MAX_ATTEMPTS:
        return AccountsError(
            AccountsErrorCode.CODE_TOO_MANY_ATTEMPTS,
            _("Too many wrong attempts. Ask for a new code."),
        )
    given = "".join(ch for ch in (code or "") if ch.isdigit())
    if not hmac.compare_digest(signup_code.code_hash, _hash(f"{email}:{given}")):
        return AccountsError(AccountsErrorCode.CODE_INVALID, _("The code is not correct."))
    return None


@transaction.atomic
def business_signup(
    *, email: str, password: str, business_name: str, slug: str, full_name: str = ""
) -> tuple[User, Business]:
    """Create the owner's account and their business (on trial) in one transaction."""
    email = email_normalize(email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as exc:
        raise AccountsError(
            AccountsErrorCode.EMAIL_TAKEN,
            _("An account with this e-mail already exists. Log in instead."),
        ) from exc
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    business = business_create(name=business_name, slug=slug)
    membership_create(user=user, business=business, role=Membership.Role.OWNER)
    logger.info("business signed up", extra={"business": business.slug})
    return user, business


def membership_create(*, user: User, business: Business, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        user=user, business=business, defaults={"role": role}
    )
    return membership


def login_handoff_create(*, user: User, business: Business) -> str:
    """A signed, single-use ticket to log `user` in on `business`'s host within a minute."""
    nonce = secrets.token_urlsafe(24)
    LoginHandoff.objects.create(nonce_hash=_hash(nonce), user=user, business=business)
    return signing.dumps({"n": nonce, "b": business.pk}, salt=HANDOFF_SALT, compress=True)


@transaction.atomic
def login_handoff_redeem(*, token: str, business: Business) -> User:
    """The user a hand-off ticket was issued to, if it is genuine, fresh, unused and for here."""
    invalid = AccountsError(
        AccountsErrorCode.HANDOFF_INVALID,
        _("This sign-in link is no longer valid. Please log in."),
    )
    try:
        payload = signing.loads(
            token, salt=HANDOFF_SALT, max_age=settings.LOGIN_HANDOFF_TTL_SECONDS
        )
    except signing.BadSignature as exc:
        raise invalid from exc
    if payload.get("b") != business.pk:
        raise invalid
    handoff = (
        LoginHandoff.objects.select_for_update()
        .select_related("user")
        .filter(nonce_hash=_hash(str(payload.get("n"))), business=business, used_at__isnull=True)
        .first()
    )
    if handoff is None or not handoff.user.is_active:
        raise invalid
    handoff.used_at = timezone.now()
    handoff.save(update_fields=["used_at"])
    return handoff.user


def api_token_rotate(*, user: User) -> str:
    """Replace the user's API token with a new one and return its key."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


def account_preferences_update(
    *, user: User, full_name: str, language: str, notify_desktop: bool, notify_sound: bool
) -> User:
    """Save what a person chose for themself: their name, language and live-chat alerts."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}")
    user.full_name = full_name.strip()
    user.language = language
    user.notify_desktop = notify_desktop
    user.notify_sound = notify_sound
    user.save(update_fields=["full_name", "language", "notify_desktop", "notify_sound"])
    return user
