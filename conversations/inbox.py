"""The inbox: which conversations a page lists, in which order, and the counts on its tabs.

Reads only (the writes are in services). Built to stay fast with 100,000 conversations in a
business: every list is a keyset page walked along an index, searches go through the
trigram and full-text indexes, and no page view counts the whole table.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as day_start

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery, TextChoices, Value
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Contact, Conversation, Message

PAGE_SIZE = 50
#: Counts stop here and show as "999+": counting further would read every row to say so.
COUNT_CAP = 1000
#: How long counts are reused; every change to a conversation also starts afresh.
COUNTS_SECONDS = 30
COUNTS_GENERATION_KEY = "conversations:inbox:counts-generation"
CURSOR_SALT = "conversations.inbox.cursor"
#: Search words shorter than this match whole words only (``ab:*`` would match half the table).
PREFIX_MIN_LENGTH = 3


class StatusTab(TextChoices):
    """The inbox's tabs: the first is the default, the conversations someone has to look at."""

    ACTIVE = "active", _("Open and waiting")
    OPEN = "open", pgettext_lazy("conversation status", "Open")
    PENDING = "pending", _("Waiting for a person")
    RESOLVED = "resolved", _("Resolved")
    ARCHIVED = "archived", _("Archived")
    ALL = "all", _("All")


TAB_STATUSES: dict[str, tuple[str, ...]] = {
    StatusTab.ACTIVE: (Conversation.Status.OPEN, Conversation.Status.PENDING),
    StatusTab.OPEN: (Conversation.Status.OPEN,),
    StatusTab.PENDING: (Conversation.Status.PENDING,),
    StatusTab.RESOLVED: (Conversation.Status.RESOLVED,),
    StatusTab.ARCHIVED: (Conversation.Status.ARCHIVED,),
    StatusTab.ALL: tuple(Conversation.Status.values),
}

#: ``assignee`` filter values besides a member's user id.
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


@dataclass(frozen=True)
class InboxFilters:
    """What the staff member asked to see. ``assignee`` is ``me``, ``none`` or a user id;
    ``user_id`` is whom ``me`` means."""

    status: str = StatusTab.ACTIVE
    q: str = ""
    platform: str = ""
    company_id: int | None = None
    assignee: str = ""
    user_id: int | None = None
    source: str = ""
    since: date | None = None
    until: date | None = None
    unread: bool = False

    @property
    def narrowed(self) -> bool:
        """Anything asked beyond a status tab."""
        return bool(
            self.q
            or self.platform
            or self.company_id
            or self.assignee
            or self.source
            or self.since
            or self.until
            or self.unread
        )

    @property
    def statuses(self) -> tuple[str, ...]:
        return TAB_STATUSES[self.status]


class CursorError(ValueError):
    """A page link that this server did not make (edited by hand, or cut short)."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after this conversation in the inbox's order."""

    last_message_at: datetime | None
    pk: int


def cursor_encode(conversation: Conversation) -> str:
    at = conversation.last_message_at
    return signing.Signer(salt=CURSOR_SALT).sign_object(
        [at.isoformat() if at else None, conversation.pk]
    )


def cursor_decode(token: str) -> Cursor:
    try:
        at, pk = signing.Signer(salt=CURSOR_SALT).unsign_object(token)
        return Cursor(datetime.fromisoformat(at) if at is not None else None, int(pk))
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise CursorError(str(error)) from error


@dataclass(frozen=True)
class InboxPage:
    conversations: list[Conversation]
    #: The token of the next (older) page, or None on the last page.
    next_cursor: str | None
    first: bool


class _RowBefore(Func):
    """``(last_message_at, id) < (%s, %s)``: one row comparison, which PostgreSQL uses as
    the start of a scan of the ``conversation_recent`` index (two ORed comparisons would
    make it read every newer row again on each page)."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra_context):
        parts = [compiler.compile(expression) for expression in self.get_source_expressions()]
        sql = [part[0] for part in parts]
        params = [param for part in parts for param in part[1]]
        half = len(sql) // 2
        return f"({', '.join(sql[:half])}) < ({', '.join(sql[half:])})", params


_WORD = re.compile(r"\w+")


def _message_query(q: str) -> SearchQuery | None:
    """Every word of ``q``; the longer ones also as the start of a word. Built from word
    characters only, so nothing the user types can break the query syntax."""
    words = _WORD.findall(q.lower())[:8]
    if not words:
        return None
    terms = [f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in words]
    return SearchQuery(" & ".join(terms), config="simple", search_type="raw")


def _contacts_found(q: str) -> list[QuerySet[Contact]]:
    """Contacts by name (a part of it, or a near spelling of one of its words), phone
    digits, e-mail or handle.

    One subquery per index, each read once: ``UPPER(name) LIKE`` and ``UPPER(name) %>``
    (word similarity, typos) through ``contact_name_trgm``, the phone's ``LIKE`` through
    ``contact_phone_trgm``, the handle through ``contact_unique_handle``. ORed inside one
    subquery they would make PostgreSQL compute the similarity of every contact instead.
    """
    named = Contact.objects.alias(name_upper=Upper("name"))
    found = [
        Contact.objects.filter(name__icontains=q),
        named.filter(name_upper__trigram_word_similar=q.upper()),
    ]
    digits = re.sub(r"\D", "", q)
    if len(digits) >= PREFIX_MIN_LENGTH:
        found.append(Contact.objects.filter(phone__contains=digits))
    if "@" in q:
        found.append(Contact.objects.filter(email__iexact=q))
    elif " " not in q:
        found.append(Contact.objects.exclude(handle="").filter(handle=q))
    return found


class _AmongIds(Func):
    """``column = ANY(ARRAY(subquery))``. The subquery runs once, planned on its own (so
    it takes its own index, which PostgreSQL misjudges for trigram operators inside an
    ``IN``), and its ids are then looked up through the column's index. Several of them
    ORed become one bitmap scan."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, subquery: QuerySet):
        super().__init__(F(column), Subquery(subquery.order_by()))

    def as_sql(self, compiler, connection, **extra_context):
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return f"{column_sql} = ANY(ARRAY{subquery_sql})", (*column_params, *subquery_params)


def _searched(conversations: QuerySet[Conversation], q: str) -> QuerySet[Conversation]:
    condition = Q()
    for contacts in _contacts_found(q):
        condition |= Q(_AmongIds("contact_id", contacts.values("pk")))
    message_query = _message_query(q)
    if message_query is not None:
        messages = (
            Message.objects.alias(document=SearchVector("text", config="simple"))
            .filter(document=message_query)
            .values("conversation_id")
        )
        condition |= Q(_AmongIds("id", messages))
    return conversations.filter(condition)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, day_start.min))


def conversations_filtered(
    filters: InboxFilters, *, statuses: tuple[str, ...] | None = None
) -> QuerySet[Conversation]:
    """The conversations the filters select (in no particular order). ``statuses`` stands
    in for the status tab's when given (the counts of the other tabs)."""
    statuses = filters.statuses if statuses is None else statuses
    conversations = Conversation.objects.all()
    if set(statuses) != set(Conversation.Status.values):
        conversations = conversations.filter(status__in=statuses)
    if filters.platform:
        conversations = conversations.filter(channel__platform=filters.platform)
    if filters.company_id:
        conversations = conversations.filter(channel__company_id=filters.company_id)
    if filters.assignee == ASSIGNEE_ME:
        conversations = conversations.filter(assignee_id=filters.user_id)
    elif filters.assignee == ASSIGNEE_NONE:
        conversations = conversations.filter(assignee__isnull=True)
    elif filters.assignee:
        conversations = conversations.filter(assignee_id=int(filters.assignee))
    if filters.source:
        contacts = Contact.objects.filter(source__icontains=filters.source).values("pk")
        conversations = conversations.filter(_AmongIds("contact_id", contacts))
    if filters.since:
        conversations = conversations.filter(last_message_at__gte=_day_start(filters.since))
    if filters.until:
        conversations = conversations.filter(
            last_message_at__lt=_day_start(filters.until + timedelta(days=1))
        )
    if filters.unread:
        conversations = conversations.filter(unread_count__gt=0)
    if filters.q:
        conversations = _searched(conversations, filters.q)
    return conversations


def row_related(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """What ``_row.html`` shows, in the one query of the page: the assignee too (a user in
    the public schema, on the business's search path; missing when they were deleted)."""
    return conversations.select_related("contact", "channel__company", "assignee")


NEWEST_FIRST = (F("last_message_at").desc(nulls_last=True), F("id").desc())


def inbox_page(
    *, filters: InboxFilters, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> InboxPage:
    """One page of the inbox, newest conversation first (those with no message yet last),
    after ``cursor``.

    Keyset pagination on ``(last_message_at DESC NULLS LAST, id DESC)``: a page costs the
    same at the end of the list as at the start, and a conversation that moves while
    someone pages is neither shown twice nor skipped because of the rows around it.
    """
    listed = row_related(conversations_filtered(filters))
    if cursor is None:
        rows = list(listed.order_by(*NEWEST_FIRST)[: size + 1])
    elif cursor.last_message_at is None:
        rows = list(
            listed.filter(last_message_at__isnull=True, pk__lt=cursor.pk).order_by("-id")[
                : size + 1
            ]
        )
    else:
        rows = list(
            listed.filter(
                _RowBefore(
                    F("last_message_at"),
                    F("id"),
                    Value(cursor.last_message_at),
                    Value(cursor.pk),
                )
            ).order_by(*NEWEST_FIRST)[: size + 1]
        )
        if len(rows) <= size:  # then the conversations that have no message yet
            rows += listed.filter(last_message_at__isnull=True).order_by("-id")[
                : size + 1 - len(rows)
            ]
    more = len(rows) > size
    rows = rows[:size]
    return InboxPage(
        conversations=rows,
        next_cursor=cursor_encode(rows[-1]) if more else None,
        first=cursor is None,
    )


@dataclass(frozen=True)
class Count:
    value: int

    @property
    def capped(self) -> bool:
        return self.value >= COUNT_CAP

    def __str__(self) -> str:
        return f"{COUNT_CAP - 1}+" if self.capped else str(self.value)


def _sum(*counts: int) -> int:
    """Capped counts add up exactly until one of them is capped; then so is the sum."""
    return min(sum(counts), COUNT_CAP)


@dataclass(frozen=True)
class InboxCounts:
    #: Per tab, what it lists with the current filters (unread ones with "unread only");
    #: while searching only the current tab's.
    tabs: dict[str, Count]
    #: Conversations with unread messages in the current tab.
    unread: Count


def _capped_sql(conversations: QuerySet[Conversation]) -> tuple[str, tuple]:
    # No order: any COUNT_CAP rows will do, the first an index gives.
    sql, params = conversations.order_by().values("pk")[:COUNT_CAP].query.sql_with_params()
    # Django's own compiled statement, its values kept apart as parameters.
    return f"(SELECT count(*) FROM ({sql}) AS capped)", params  # noqa: S608


def _counted(parts: list[QuerySet[Conversation]]) -> list[int]:
    """The capped counts of ``parts`` in one statement."""
    compiled = [_capped_sql(part) for part in parts]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(sql for sql, _params in compiled),
            [param for _sql, params in compiled for param in params],
        )
        return list(cursor.fetchone())


def _searching(filters: InboxFilters) -> bool:
    """Filters that read contacts or messages (no index orders them by recency)."""
    return bool(filters.q or filters.source)


def _counts_key(filters: InboxFilters) -> str:
    """Without a search, one entry serves every tab, with "unread only" on or off."""
    scope = asdict(filters)
    del scope["unread"]
    if not _searching(filters):
        del scope["status"]
    if filters.assignee != ASSIGNEE_ME:
        del scope["user_id"]
    digest = hashlib.blake2b(repr(sorted(scope.items())).encode(), digest_size=12).hexdigest()
    generation = cache.get(COUNTS_GENERATION_KEY)
    if generation is None:
        generation = 0
        cache.add(COUNTS_GENERATION_KEY, generation, timeout=None)
    return f"conversations:inbox:counts:{generation}:{digest}"


def _counts_made(filters: InboxFilters) -> dict[str, tuple[int, int]]:
    """Per status, or per tab while searching: (conversations, those with unread messages)."""
    every, unread = replace(filters, unread=False), replace(filters, unread=True)
    if _searching(filters):
        values = _counted([conversations_filtered(every), conversations_filtered(unread)])
        return {filters.status: (values[0], values[1])}
    parts = []
    for status in Conversation.Status.values:
        parts.append(conversations_filtered(every, statuses=(status,)))
        parts.append(conversations_filtered(unread, statuses=(status,)))
    values = _counted(parts)
    return {
        status: (values[2 * n], values[2 * n + 1])
        for n, status in enumerate(Conversation.Status.values)
    }


def inbox_counts(*, filters: InboxFilters) -> InboxCounts:
    """Conversations per tab, and those with unread messages in the current tab.

    Counted without ``COUNT(*)`` over the table: each figure counts at most ``COUNT_CAP``
    rows (``SELECT count(*) FROM (SELECT ... LIMIT 1000)``, along an index), so it costs
    the same with 100,000 conversations as with 1,000, and a busy tab says "999+", which is
    all anyone needs to know there. The eight figures (per status: all, and unread) are one
    statement; the tabs that span statuses add them up. A search (or a lead source, which
    reads every contact) counts only the current tab, as each figure would repeat it.

    They are kept in the cache (Redis, per business and set of filters) for
    ``COUNTS_SECONDS``, and ``inbox_counts_invalidate`` (one Redis increment, called when a
    conversation changes) makes the next page view count afresh. So colleagues paging
    through a quiet inbox share one count, a busy one recounts at most once per change and
    page view, never once per row, and no figure outlives the change that made it wrong.
    """
    key = _counts_key(filters)
    made = cache.get(key)
    if made is None:
        made = _counts_made(filters)
        cache.set(key, made, timeout=COUNTS_SECONDS)
    which = 1 if filters.unread else 0
    if _searching(filters):
        tabs = {filters.status: Count(made[filters.status][which])}
        return InboxCounts(tabs=tabs, unread=Count(made[filters.status][1]))
    tabs = {
        tab: Count(_sum(*(made[status][which] for status in TAB_STATUSES[tab])))
        for tab in StatusTab.values
    }
    return InboxCounts(
        tabs=tabs, unread=Count(_sum(*(made[status][1] for status in filters.statuses)))
    )


def inbox_counts_invalidate() -> None:
    """A conversation of this business changed: the next inbox counts are counted afresh.
    One Redis increment; the entries cached before expire on their own."""
    # A ValueError: nothing was counted since Redis started, so nothing to start afresh.
    with contextlib.suppress(ValueError):
        cache.incr(COUNTS_GENERATION_KEY)
