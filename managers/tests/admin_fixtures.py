"""People and objects for the admin tests of managers: a manager with business A assigned
(and B not), another manager with B, a platform admin, and connections with secrets."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from conftest import host_client
from connections.models import Connection, ConnectionEvent
from managers.models import Assignment

PASSWORD = "manager-pass-2026"


def platform_user(email: str, *, role: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, platform_role=role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def manager(db) -> User:
    return platform_user("manager-one@example.com", role=User.PlatformRole.MANAGER)


@pytest.fixture
def other_manager(db) -> User:
    return platform_user("manager-two@example.com", role=User.PlatformRole.MANAGER)


@pytest.fixture
def platform_admin(db) -> User:
    """A platform admin as the demo data makes one (a superuser too)."""
    user = platform_user("platform-admin@example.com", role=User.PlatformRole.ADMIN)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def assigned(business_a, business_b, manager, other_manager, platform_admin):
    """A is the manager's; B is the other manager's."""
    Assignment.objects.create(business=business_a, manager=manager, assigned_by=platform_admin)
    Assignment.objects.create(
        business=business_b, manager=other_manager, assigned_by=platform_admin
    )


@pytest.fixture
def manager_client(manager, assigned) -> Client:
    return host_client("localhost", manager)


@pytest.fixture
def admin_client_(platform_admin) -> Client:
    return host_client("localhost", platform_admin)


def connection_make(business, *, external_id: str, secrets: dict[str, str], **fields) -> Connection:
    connection = Connection(
        business=business,
        platform=fields.pop("platform", Connection.Platform.TELEGRAM),
        external_id=external_id,
        status=fields.pop("status", Connection.Status.CONNECTED),
        **fields,
    )
    connection.secrets_set(secrets)
    connection.save()
    return connection


@pytest.fixture
def connection_a(business_a) -> Connection:
    return connection_make(
        business_a,
        external_id="alpha-bot",
        secrets={"bot_token": "alpha-token-0001", "webhook_secret": "alpha-webhook-secret"},
        last_error="Telegram said: Unauthorized",
        error_count=2,
    )


@pytest.fixture
def connection_b(business_b) -> Connection:
    connection = connection_make(
        business_b,
        external_id="beta-bot-hidden",
        secrets={"bot_token": "beta-token-9999"},
        account_name="Beta Salon Bot",
    )
    ConnectionEvent.objects.create(
        connection=connection, kind=ConnectionEvent.Kind.ERROR, ok=False, detail="beta failure"
    )
    return connection
