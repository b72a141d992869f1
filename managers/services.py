"""Writes of managers: who manages a business, and what managers and admins do to a
business's connections (reveal or replace a secret, reconnect) or inside its schema.

Every such access is written to ``AccessLog`` (who, what, when; never a secret's value).
"""

from __future__ import annotations

import enum
import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from accounts.models import User
from connections.crypto import SecretsError
from connections.models import Connection
from tenants.errors import ApplicationError
from tenants.models import Business

from .models import AccessLog, Assignment, AssignmentChange

logger = logging.getLogger(__name__)


class ManagersErrorCode(enum.StrEnum):
    ASSIGNMENT_CONFLICT = "assignment_conflict"
    NOT_A_MANAGER = "not_a_manager"
    NOT_A_BUSINESS = "not_a_business"
    SECRET_UNKNOWN = "secret_unknown"
    SECRET_UNREADABLE = "secret_unreadable"
    SECRET_INVALID = "secret_invalid"
    NOT_RECONNECTABLE = "not_reconnectable"
    NO_CHANNEL = "no_channel"
    PROVIDER = "provider"


class ManagersError(ApplicationError):
    code: ManagersErrorCode


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET


# ------------------------------------------------------------------------ assignments


def _conflict(business: Business, current: Assignment | None) -> ManagersError:
    if current is None:
        message = _(
            "Someone else has just removed the manager of %(business)s. Nothing was changed: "
            "look at the business again and choose once more."
        ) % {"business": business.name}
    else:
        message = _(
            "Someone else has just assigned %(business)s to %(manager)s. Nothing was changed: "
            "look at the business again and choose once more."
        ) % {"business": business.name, "manager": current.manager.email}
    return ManagersError(ManagersErrorCode.ASSIGNMENT_CONFLICT, message)


@transaction.atomic
def assignment_set(
    *,
    business: Business,
    manager: User | None,
    by: User,
    expected_manager_id: int | _Unset | None = UNSET,
) -> Assignment | None:
    """Make ``manager`` the manager of ``business`` (``None``: no manager) and keep the change.

    ``expected_manager_id`` is the manager the person saw when they chose (``None``: none).
    When the business's manager is no longer that one, someone else was faster: nothing is
    written and a ``ManagersError`` (assignment_conflict) says who won. Two assignments of
    the same business at the same moment wait for each other on the business's row; should
    one come in without that lock, the primary key (the business) still refuses the second.
    """
    if business.is_public:
        raise ManagersError(ManagersErrorCode.NOT_A_BUSINESS, _("This is not a business."))
    if manager is not None and not (manager.is_active and manager.is_platform_manager):
        raise ManagersError(
            ManagersErrorCode.NOT_A_MANAGER,
            _("%(user)s is not an active platform manager.") % {"user": manager.email},
        )
    # Every change of one business's manager goes through this lock, one at a time. A lock
    # that leaves the business's key alone: a write elsewhere that references the business
    # (its foreign key checks run at commit) is not blocked by it, so it cannot deadlock.
    list(Business.objects.select_for_update(no_key=True).filter(pk=business.pk).values_list("pk"))
    current = Assignment.objects.select_related("manager").filter(business=business).first()
    current_id = current.manager_id if current else None
    if expected_manager_id is not UNSET and expected_manager_id != current_id:
        raise _conflict(business, current)
    new_id = manager.pk if manager else None
    if new_id == current_id:
        return current
    if manager is None:
        current.delete()
        assignment = None
    elif current is None:
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    business=business, manager=manager, assigned_by=by
                )
        except IntegrityError:
            winner = Assignment.objects.select_related("manager").filter(business=business).first()
            raise _conflict(business, winner) from None
    else:
        assignment = current
        assignment.manager = manager
        assignment.assigned_by = by
        assignment.save(update_fields=["manager", "assigned_by", "assigned_at"])
    AssignmentChange.objects.create(
        business=business, previous_manager_id=current_id, manager=manager, changed_by=by
    )
    logger.info(
        "manager of business %s changed from %s to %s by %s",
        business.pk,
        current_id,
        new_id,
        by.pk,
    )
    return assignment


# ------------------------------------------------------------------------ access log


def access_log(*, user: User, business: Business, action: str, target: str) -> AccessLog:
    return AccessLog.objects.create(
        user=user, business=business, action=action, target=target[:200]
    )


def business_view_log(*, user: User, business: Business, what: str) -> AccessLog:
    """Record that ``user`` looked inside the business's schema."""
    return access_log(
        user=user, business=business, action=AccessLog.Action.BUSINESS_VIEW, target=what
    )


def _secret_target(connection: Connection, key: str) -> str:
    return f"connection {connection.pk} · {connection.platform} {connection.external_id} · {key}"


def _secrets_of(connection: Connection) -> dict[str, str]:
    try:
        return connection.secrets
    except SecretsError as error:
        raise ManagersError(
            ManagersErrorCode.SECRET_UNREADABLE,
            _("The secrets of this connection cannot be read with the configured keys."),
        ) from error


def _secret_check(secrets: dict[str, str], key: str) -> None:
    if key not in secrets:
        raise ManagersError(
            ManagersErrorCode.SECRET_UNKNOWN,
            _("This connection has no secret named “%(key)s”.") % {"key": key},
        )


# ------------------------------------------------------------------------ secrets


def connection_secret_reveal(*, connection: Connection, key: str, by: User) -> str:
    """The value of one secret of ``connection``, once; the access is logged first."""
    secrets = _secrets_of(connection)
    _secret_check(secrets, key)
    access_log(
        user=by,
        business=connection.business,
        action=AccessLog.Action.SECRET_REVEAL,
        target=_secret_target(connection, key),
    )
    logger.info("secret %s of connection %s revealed by %s", key, connection.pk, by.pk)
    return secrets[key]


def connection_secret_replace(
    *, connection: Connection, key: str, value: str, by: User
) -> Connection:
    """Store a new value for one secret of ``connection`` (encrypted) and log who did it.

    WhatsApp's webhook key is also WAHA's: WAHA gets it first, and when WAHA cannot take it
    the stored key is left as it was (the two never disagree).
    """
    value = value.strip()
    if not value:
        raise ManagersError(ManagersErrorCode.SECRET_INVALID, _("Enter the new value."))
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update().select_related("business").get(pk=connection.pk)
        )
        secrets = _secrets_of(connection)
        _secret_check(secrets, key)
        if connection.platform == Connection.Platform.WHATSAPP and key == "hmac_key":
            _whatsapp_webhook_key_push(connection, value)
        secrets[key] = value
        connection.secrets_set(secrets)
        connection.save(update_fields=["secrets_encrypted", "updated_at"])
        access_log(
            user=by,
            business=connection.business,
            action=AccessLog.Action.SECRET_REPLACE,
            target=_secret_target(connection, key),
        )
    logger.info("secret %s of connection %s replaced by %s", key, connection.pk, by.pk)
    return connection


def _whatsapp_channel(connection: Connection):
    from channels_app.models import Channel

    with tenant_context(connection.business):
        channel = (
            Channel.objects.select_related("company", "connection")
            .filter(connection_id=connection.pk)
            .first()
        )
    if channel is None:
        raise ManagersError(
            ManagersErrorCode.NO_CHANNEL,
            _("No company of the business uses this connection any more."),
        )
    return channel


def _whatsapp_webhook_key_push(connection: Connection, key: str) -> None:
    """Give WAHA the session's new webhook key (the rest of its configuration unchanged)."""
    from channels_app import services as channels
    from channels_app.waha.client import WahaError, WahaUnavailable, session_config

    channel = _whatsapp_channel(connection)
    config = session_config(
        webhook_url=channels.waha_webhook_url(),
        hmac_key=key,
        events=channels.WAHA_EVENTS,
        metadata={"business": connection.business.slug, "company": channel.company.code},
        **channels.WEBHOOK_RETRIES,
    )
    try:
        channels.waha_client().session_update(name=connection.external_id, config=config)
    except WahaUnavailable as error:
        raise ManagersError(
            ManagersErrorCode.PROVIDER,
            _(
                "WhatsApp service is not reachable right now, so the key was not replaced. "
                "Nothing was lost; try again in a minute."
            ),
        ) from error
    except WahaError as error:
        raise ManagersError(
            ManagersErrorCode.PROVIDER,
            _("WhatsApp service refused the new key: %(reason)s") % {"reason": error.message},
        ) from error


# ------------------------------------------------------------------------ reconnect


def connection_reconnect(*, connection: Connection, by: User) -> None:
    """Start the connection's WhatsApp session over (a new QR code) from the business's
    schema. The attempt is logged whether or not WhatsApp's service answers."""
    from channels_app.services import ChannelError, whatsapp_reconnect

    if connection.platform != Connection.Platform.WHATSAPP:
        raise ManagersError(
            ManagersErrorCode.NOT_RECONNECTABLE,
            _("Only WhatsApp connections can be reconnected from here."),
        )
    channel = _whatsapp_channel(connection)
    target = f"connection {connection.pk} · {connection.platform} {connection.external_id}"
    try:
        with tenant_context(connection.business):
            whatsapp_reconnect(channel=channel)
    except ChannelError as error:
        access_log(
            user=by,
            business=connection.business,
            action=AccessLog.Action.RECONNECT,
            target=f"{target} · failed",
        )
        raise ManagersError(ManagersErrorCode.PROVIDER, error.message) from error
    access_log(
        user=by, business=connection.business, action=AccessLog.Action.RECONNECT, target=target
    )
