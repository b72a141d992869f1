"""Inside a business: a read-only look into its schema, for its manager and for admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from conftest import host_client
from conversations.models import Contact, Conversation
from knowledge.models import Item, KnowledgeBase
from managers.models import AccessLog
from managers.tests.admin_fixtures import (  # noqa: F401
    admin_client_,
    assigned,
    connection_a,
    connection_make,
    manager,
    manager_client,
    other_manager,
    platform_admin,
)
from tenants.companies.models import Company

pytestmark = pytest.mark.django_db


def _inside(business) -> str:
    return f"/admin/x8/businesses/{business.pk}/inside/"


@pytest.fixture
def filled_a(business_a, connection_a):  # noqa: F811
    """A's schema with a knowledge base of 3 rows, a channel and 52 conversations."""
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
        base = KnowledgeBase.objects.create(company=company, name="Spring prices")
        Item.objects.bulk_create(
            Item(knowledge_base=base, name=f"Pot {n}", match_key=f"pot-{n}") for n in range(3)
        )
        channel = Channel.objects.create(
            company=company, connection=connection_a, platform=connection_a.platform
        )
        now = timezone.now()
        for n in range(52):
            contact = Contact.objects.create(
                channel=channel, name=f"Customer {n:02d}", chat_id=f"{n}@chat"
            )
            Conversation.objects.create(
                contact=contact,
                channel=channel,
                last_message_text=f"Is pot {n:02d} in stock?",
                last_message_direction="in",
                last_message_at=now - timedelta(minutes=n),
            )
    return business_a


def test_a_manager_looks_inside_an_assigned_business_and_it_is_logged(
    manager_client,  # noqa: F811
    manager,  # noqa: F811
    filled_a,
):
    page = manager_client.get(_inside(filled_a))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Alpha Shop Main" in html
    assert "Spring prices" in html and '<td data-testid="rows">3</td>' in html
    assert "alpha-bot" not in html  # the channel's connection id stays in SystemData
    assert "Telegram" in html
    assert html.count("Is pot") == 50  # the latest 50 conversations, newest first
    assert "Customer 00" in html and "Is pot 49 in stock?" in html
    assert "Customer 50" not in html and "Customer 51" not in html
    assert html.index("Customer 00") < html.index("Customer 01")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.business, entry.action) == (
        manager,
        filled_a,
        AccessLog.Action.BUSINESS_VIEW,
    )


def test_every_look_is_logged(manager_client, business_a):  # noqa: F811
    manager_client.get(_inside(business_a))
    manager_client.get(_inside(business_a))
    assert AccessLog.objects.filter(action="business_view", business=business_a).count() == 2


def test_an_unassigned_business_cannot_be_looked_into(
    manager_client,  # noqa: F811
    business_b,
):
    assert manager_client.get(_inside(business_b)).status_code == 404
    assert manager_client.get("/admin/x8/businesses/999999/inside/").status_code == 404
    assert not AccessLog.objects.exists()


def test_a_platform_admin_looks_inside_any_business(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    business_b,
):
    page = admin_client_.get(_inside(business_b))
    assert page.status_code == 200
    assert "Beta Salon Main" in page.content.decode()
    assert AccessLog.objects.get().user == platform_admin


def test_nothing_is_written_from_inside(manager_client, business_a):  # noqa: F811
    assert manager_client.post(_inside(business_a), {"name": "x"}).status_code == 405
    assert not AccessLog.objects.exists()


def test_people_outside_the_platform_staff_are_sent_to_log_in(owner_a, business_a):
    page = host_client("localhost", owner_a).get(_inside(business_a))
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    assert not AccessLog.objects.exists()


def test_the_business_page_links_inside_and_to_its_connections(
    manager_client,  # noqa: F811
    business_a,
    connection_a,  # noqa: F811
):
    html = manager_client.get(f"/admin/tenants/business/{business_a.pk}/change/").content.decode()
    assert _inside(business_a) in html
    assert f"/admin/connections/connection/?business__id__exact={business_a.pk}" in html
    assert "1 connections" in html
