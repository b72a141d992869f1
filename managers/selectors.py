"""Reads of managers: whose businesses, the company behind each connection, and what a
manager sees inside a business (its companies, knowledge bases, channels, conversations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, QuerySet
from django.http import Http404
from django_tenants.utils import schema_context, tenant_context

from accounts.models import User
from connections.models import Connection
from tenants.models import Business

from .models import Assignment

#: Conversations listed inside a business.
RECENT_CONVERSATIONS = 50


def assigned_business_ids_query(*, user: User) -> QuerySet:
    """Ids of the businesses assigned to ``user``, as a subquery to filter with."""
    return Assignment.objects.filter(manager_id=user.pk).values("business_id")


def manager_businesses(*, user: User) -> QuerySet[Business]:
    return Business.objects.filter(pk__in=assigned_business_ids_query(user=user))


def business_visible_get(*, user: User, business_id: int) -> Business:
    """The business, if ``user`` may look at it: any business for a platform admin, an
    assigned one for a manager. Anything else does not exist (404)."""
    businesses = Business.objects.exclude(schema_name="public")
    if not user.is_platform_admin:
        if not user.is_platform_manager:
            raise Http404
        businesses = businesses.filter(pk__in=assigned_business_ids_query(user=user))
    business = businesses.filter(pk=business_id).first()
    if business is None:
        raise Http404
    return business


def connection_company_names(*, connections: Iterable[Connection]) -> dict[int, str]:
    """Connection id → name of the company its channel belongs to (in the business's own
    schema). One query per business among ``connections``."""
    from channels_app.models import Channel

    by_schema: dict[str, list[int]] = defaultdict(list)
    for connection in connections:
        by_schema[connection.business.schema_name].append(connection.pk)
    names: dict[int, str] = {}
    for schema_name, ids in by_schema.items():
        with schema_context(schema_name):
            names.update(
                Channel.objects.filter(connection_id__in=ids).values_list(
                    "connection_id", "company__name"
                )
            )
    return names


@dataclass(frozen=True)
class CompanyRow:
    name: str
    code: str
    kind: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class KnowledgeBaseRow:
    company: str
    name: str
    kind: str
    rows: int
    updated_at: datetime


@dataclass(frozen=True)
class ChannelRow:
    company: str
    platform: str
    status: str
    account: str
    created_at: datetime


@dataclass(frozen=True)
class ConversationRow:
    contact: str
    channel: str
    status: str
    mode: str
    last_message: str
    last_message_direction: str
    last_message_at: datetime | None


@dataclass(frozen=True)
class BusinessInside:
    business: Business
    companies: list[CompanyRow]
    knowledge_bases: list[KnowledgeBaseRow]
    channels: list[ChannelRow]
    conversations: list[ConversationRow]


def business_inside(*, business: Business) -> BusinessInside:
    """What is inside the business's schema, read in its tenant context (read only)."""
    from channels_app.models import Channel
    from conversations.models import Conversation
    from knowledge.models import KnowledgeBase
    from tenants.companies.models import Company

    with tenant_context(business):
        companies = [
            CompanyRow(
                name=company.name,
                code=company.code,
                kind=company.get_kind_display(),
                status=company.get_status_display(),
                created_at=company.created_at,
            )
            for company in Company.objects.order_by("code")
        ]
        knowledge_bases = [
            KnowledgeBaseRow(
                company=base.company.name,
                name=base.name,
                kind=base.get_kind_display(),
                rows=base.rows,
                updated_at=base.updated_at,
            )
            for base in KnowledgeBase.objects.select_related("company").annotate(
                rows=Count("items")
            )
        ]
        channels = [
            ChannelRow(
                company=channel.company.name,
                platform=channel.get_platform_display(),
                status=channel.connection.get_status_display(),
                account=channel.connection.account_name or channel.connection.account_id,
                created_at=channel.created_at,
            )
            for channel in Channel.objects.select_related("company", "connection")
        ]
        conversations = [
            ConversationRow(
                contact=str(conversation.contact),
                channel=f"{conversation.channel.get_platform_display()} · "
                f"{conversation.channel.company.name}",
                status=conversation.get_status_display(),
                mode=conversation.get_mode_display(),
                last_message=conversation.last_message_text,
                last_message_direction=conversation.last_message_direction,
                last_message_at=conversation.last_message_at,
            )
            for conversation in Conversation.objects.select_related(
                "contact", "channel__company"
            ).order_by(F("last_message_at").desc(nulls_last=True), "-id")[:RECENT_CONVERSATIONS]
        ]
    return BusinessInside(
        business=business,
        companies=companies,
        knowledge_bases=knowledge_bases,
        channels=channels,
        conversations=conversations,
    )
