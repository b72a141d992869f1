"""The inbox page: rows, filters, search, keyset pages, capped counts, members only."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_app.models import Channel
from connections.models import Connection
from conversations import inbox
from conversations.inbox import InboxFilters, cursor_decode, inbox_counts, inbox_page
from conversations.models import Contact, Conversation, Message
from tenants.companies.models import Company
from tenants.companies.services import company_create

ROW_ID = re.compile(r'id="conversation-(\d+)"')
OLDER = re.compile(r'href="(\?[^"]*after=[^"]+)"[^>]*data-testid="older"')


@pytest.fixture(autouse=True)
def _cache_of_this_test(settings):
    """Counts are cached in Redis, shared by test runs side by side and kept between tests:
    each test gets a key prefix of its own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"inbox-{uuid.uuid4().hex}"},
    }


def _channel(business, platform: str, company: Company | None = None) -> Channel:
    linked = Connection.objects.create(
        business=business,
        platform=platform,
        external_id=f"inbox-{uuid.uuid4().hex[:12]}",
        status=Connection.Status.CONNECTED,
    )
    company = company or Company.objects.get(name="Alpha Shop Main")
    return Channel.objects.create(company=company, connection=linked, platform=platform)


@pytest.fixture
def whatsapp(in_business_a):
    return _channel(in_business_a, Connection.Platform.WHATSAPP)


_phones = iter(range(79_990_000_000, 79_999_999_999))


def conversation(
    channel: Channel,
    *,
    name: str = "Customer",
    phone: str | None = None,
    handle: str = "",
    email: str = "",
    source: str = "",
    status: str = Conversation.Status.OPEN,
    mode: str = Conversation.Mode.ASSISTANT,
    unread: int = 0,
    at=None,
    assignee_id: int | None = None,
    text: str = "Hello",
    older_text: str = "",
) -> Conversation:
    """A contact's conversation with its last message (and, if given, one before it)."""
    if phone is None:
        phone = "" if handle else str(next(_phones))
    contact = Contact.objects.create(
        channel=channel,
        name=name,
        phone=phone,
        handle=handle,
        email=email,
        source=source,
        chat_id=f"{phone}@c.us" if phone else handle,
    )
    at = at if at is not None else timezone.now()
    made = Conversation.objects.create(
        contact=contact,
        channel=channel,
        status=status,
        mode=mode,
        unread_count=unread,
        assignee_id=assignee_id,
        last_message_at=at,
        last_message_text=text,
        last_message_direction=Message.Direction.IN,
    )
    for words in (older_text, text):
        if words:
            Message.objects.create(
                conversation=made,
                channel=channel,
                direction=Message.Direction.IN,
                status=Message.Status.RECEIVED,
                text=words,
                provider_id=uuid.uuid4().hex,
            )
    return made


def listed(client, query: str = "") -> list[int]:
    response = client.get(f"/conversations/{query}")
    assert response.status_code == 200, response.content.decode()[:500]
    return [int(pk) for pk in ROW_ID.findall(response.content.decode())]


# -- rows --------------------------------------------------------------------------------------


def test_a_row_shows_what_staff_need_to_pick_a_conversation(portal_a, whatsapp, owner_a):
    # given
    owner_a.full_name = "Olga Owner"
    owner_a.save()
    made = conversation(
        whatsapp,
        name="Мария Петрова",
        phone="79991112233",
        source="instagram-ad",
        status=Conversation.Status.PENDING,
        mode=Conversation.Mode.HUMAN,
        unread=3,
        assignee_id=owner_a.pk,
        text="Есть чайники?",
    )
    # when
    page = portal_a.get("/conversations/").content.decode()
    # then
    row = page[page.index(f'id="conversation-{made.pk}"') :]
    row = row[: row.index("</tr>")]
    for shown in (
        "Мария Петрова",
        "79991112233",
        "Alpha Shop Main",
        "instagram-ad",
        "Есть чайники?",
        'aria-label="WhatsApp"',
        'title="3 unread messages" data-testid="unread">3<',
        "Waiting for a person",
        "A person answers",
        "Olga Owner",
        f'href="/conversations/{made.pk}/"',
    ):
        assert shown in row, shown


def test_an_assignee_who_is_gone_shows_as_former_member(portal_a, whatsapp):
    gone = conversation(whatsapp, name="Left behind", assignee_id=987_654)
    nobody = conversation(whatsapp, name="Nobody's")
    page = portal_a.get("/conversations/").content.decode()
    assert "former member" in page.split(f'id="conversation-{gone.pk}"')[1].split("</tr>")[0]
    assert "Unassigned" in page.split(f'id="conversation-{nobody.pk}"')[1].split("</tr>")[0]


def test_a_script_in_a_contact_name_is_shown_as_text(portal_a, whatsapp):
    from conversations import live

    made = conversation(whatsapp, name="<script>alert(1)</script>", text="<b>bold</b>")
    page = portal_a.get("/conversations/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    # the same row as pushed over the websocket
    pushed = live.row_html(Conversation.objects.get(pk=made.pk))
    assert all("<script>alert" not in html for html in pushed.values())
    assert all("&lt;script&gt;alert(1)" in html for html in pushed.values())


def test_the_pushed_row_is_one_query_and_keeps_its_ids(whatsapp):
    from conversations.live import row_html
    from conversations.selectors import conversation_row

    made = conversation(whatsapp, name="Ann", assignee_id=987_654)
    with CaptureQueriesContext(connection) as captured:
        row = conversation_row(made.pk)
        html = row_html(row)["en"]
    # (each cursor also sets the business's search path first)
    assert len([q for q in captured if not q["sql"].startswith("SET ")]) == 1
    assert html.startswith(f'<tr id="conversation-{made.pk}"')
    assert f'data-conversation="{made.pk}"' in html
    assert "former member" in html


def test_an_empty_inbox_says_where_conversations_come_from(portal_a, in_business_a):
    page = portal_a.get("/conversations/").content.decode()
    assert 'data-testid="inbox-empty"' in page
    assert "New customer messages appear here" in page


def test_a_search_without_results_offers_to_clear_the_filters(portal_a, whatsapp):
    conversation(whatsapp, name="Ann")
    page = portal_a.get("/conversations/?q=nothing-like-it").content.decode()
    assert "No conversations match" in page
    assert "Clear the filters" in page


# -- filters -----------------------------------------------------------------------------------


def test_the_default_tab_lists_open_and_pending_ones(portal_a, whatsapp):
    made = {
        status: conversation(whatsapp, name=status, status=status).pk
        for status in Conversation.Status.values
    }
    assert set(listed(portal_a)) == {made["open"], made["pending"]}
    for status in Conversation.Status.values:
        assert listed(portal_a, f"?status={status}") == [made[status]]
    assert set(listed(portal_a, "?status=all")) == set(made.values())


def test_filters_by_channel_company_assignee_source_date_and_unread(
    portal_a, whatsapp, in_business_a, owner_a, owner_b
):
    # given
    from accounts.models import Membership

    Membership.objects.create(user=owner_b, business=in_business_a)
    salon = company_create(name="Alpha Salon", kind="service", shop_type="online")
    web = _channel(in_business_a, Connection.Platform.WEBCHAT, salon)
    now = timezone.now()
    plain = conversation(whatsapp, name="Plain", at=now - timedelta(days=10))
    visitor = conversation(web, name="Visitor", handle="v-123", at=now - timedelta(days=3))
    mine = conversation(whatsapp, name="Mine", assignee_id=owner_a.pk, at=now - timedelta(days=2))
    theirs = conversation(whatsapp, name="Theirs", assignee_id=owner_b.pk, at=now)
    from_ad = conversation(whatsapp, name="From ad", source="Instagram-Ad spring", at=now)
    waiting = conversation(whatsapp, name="Waiting", unread=2, at=now)
    everyone = {plain.pk, visitor.pk, mine.pk, theirs.pk, from_ad.pk, waiting.pk}
    today = timezone.localdate()

    # then
    assert set(listed(portal_a)) == everyone
    assert listed(portal_a, "?platform=webchat") == [visitor.pk]
    assert set(listed(portal_a, "?platform=whatsapp")) == everyone - {visitor.pk}
    assert listed(portal_a, f"?company={salon.pk}") == [visitor.pk]
    assert listed(portal_a, "?assignee=me") == [mine.pk]
    assert listed(portal_a, f"?assignee={owner_b.pk}") == [theirs.pk]
    assert set(listed(portal_a, "?assignee=none")) == everyone - {mine.pk, theirs.pk}
    assert listed(portal_a, "?source=instagram") == [from_ad.pk]
    assert listed(portal_a, "?unread=on") == [waiting.pk]
    since = (today - timedelta(days=4)).isoformat()
    until = (today - timedelta(days=1)).isoformat()
    assert set(listed(portal_a, f"?since={since}&until={until}")) == {visitor.pk, mine.pk}
    assert listed(portal_a, f"?until={(today - timedelta(days=9)).isoformat()}") == [plain.pk]
    # filters combine, and the tabs keep them
    page = portal_a.get("/conversations/?platform=whatsapp&source=ad").content.decode()
    assert [int(pk) for pk in ROW_ID.findall(page)] == [from_ad.pk]
    assert 'href="?platform=whatsapp&amp;source=ad&amp;status=resolved"' in page


@pytest.mark.parametrize(
    "query",
    ["?assignee=424242", "?company=999999", "?platform=fax", "?since=yesterday",
     "?since=2026-05-02&until=2026-05-01", "?status=deleted", "?after=forged-cursor"],
)  # fmt: skip
def test_bad_filters_are_refused_with_a_reason(portal_a, whatsapp, query):
    conversation(whatsapp, name="Ann")
    response = portal_a.get(f"/conversations/{query}")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="inbox-errors"' in page
    assert ROW_ID.findall(page) == []


# -- search ------------------------------------------------------------------------------------


def test_search_finds_a_word_of_any_message(portal_a, whatsapp):
    kettle = conversation(
        whatsapp, name="Ann", older_text="Do you sell kettles?", text="Thanks, bye"
    )
    conversation(whatsapp, name="Bob", text="Where do you deliver?")
    assert listed(portal_a, "?q=kettle") == [kettle.pk]  # the start of a word
    assert listed(portal_a, "?q=KETTLES") == [kettle.pk]
    assert listed(portal_a, "?q=sell+kettles") == [kettle.pk]
    assert listed(portal_a, "?q=sell+toasters") == []


def test_search_finds_a_contact_by_part_of_a_name_or_a_typo(portal_a, whatsapp):
    svetlana = conversation(whatsapp, name="Svetlana Kuznetsova", phone="79161234567")
    ivan = conversation(whatsapp, name="Иван Петров")
    conversation(whatsapp, name="Somebody Else", phone="79000000001")
    assert listed(portal_a, "?q=kuzne") == [svetlana.pk]  # a part
    assert listed(portal_a, "?q=Kuznetsva") == [svetlana.pk]  # a letter missing
    assert listed(portal_a, "?q=петроф") == [ivan.pk]  # a letter wrong, any case
    assert listed(portal_a, "?q=%2B7+916+123") == [svetlana.pk]  # phone digits as typed


def test_search_finds_a_contact_by_email_or_handle(portal_a, whatsapp, in_business_a):
    web = _channel(in_business_a, Connection.Platform.WEBCHAT)
    visitor = conversation(web, name="", handle="w-7f3a9c", email="ann@example.com")
    conversation(web, name="Other", handle="w-000000", email="bob@example.com")
    assert listed(portal_a, "?q=ANN@example.com") == [visitor.pk]
    assert listed(portal_a, "?q=w-7f3a9c") == [visitor.pk]


def test_search_goes_through_the_indexes(whatsapp):
    """The expressions match the indexes' (a mismatch would leave only a full read, even
    with sequential scans priced out). bench/live_fanout.py times them on 100,000 rows."""
    conversation(whatsapp, name="Ann", text="kettle please")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = inbox.conversations_filtered(InboxFilters(q="kettle 916")).explain()
    for index in ("message_text_search", "contact_name_trgm", "contact_phone_trgm"):
        assert index in plan, index


# -- pages -------------------------------------------------------------------------------------


def test_older_pages_list_every_conversation_once_across_ties(portal_a, whatsapp):
    # given: 125 conversations, seven at a time sharing their last message's time, and
    # three without any message yet (listed last)
    base = timezone.now().replace(microsecond=0)
    made = [
        conversation(whatsapp, name=f"C{n}", at=base - timedelta(minutes=n // 7))
        for n in range(122)
    ]
    silent = [conversation(whatsapp, name=f"S{n}") for n in range(3)]
    Conversation.objects.filter(pk__in=[c.pk for c in silent]).update(last_message_at=None)
    # when: following "Older" from the first page
    seen, pages, query = [], 0, "?status=all"
    while query:
        response = portal_a.get(f"/conversations/{query}")
        page = response.content.decode()
        rows = [int(pk) for pk in ROW_ID.findall(page)]
        assert len(rows) == (inbox.PAGE_SIZE if pages < 2 else 25)
        seen += rows
        pages += 1
        older = OLDER.search(page)
        query = older.group(1).replace("&amp;", "&") if older else ""
        assert pages <= 3
    # then
    expected = sorted(made, key=lambda c: (c.last_message_at, c.pk), reverse=True)
    assert seen == [c.pk for c in expected] + sorted((c.pk for c in silent), reverse=True)
    assert pages == 3


def test_a_page_ending_among_conversations_without_messages_goes_on(whatsapp):
    for n in range(5):
        conversation(whatsapp, name=f"C{n}")
    Conversation.objects.update(last_message_at=None)
    filters = InboxFilters(status="all")
    first = inbox_page(filters=filters, size=2)
    second = inbox_page(filters=filters, size=2, cursor=cursor_decode(first.next_cursor))
    third = inbox_page(filters=filters, size=2, cursor=cursor_decode(second.next_cursor))
    pks = [c.pk for page in (first, second, third) for c in page.conversations]
    assert pks == sorted(Conversation.objects.values_list("pk", flat=True), reverse=True)
    assert third.next_cursor is None


def test_the_page_costs_the_same_queries_with_many_rows(
    portal_a, whatsapp, owner_a, django_assert_max_num_queries
):
    conversation(whatsapp, name="First", assignee_id=owner_a.pk)

    def queries() -> int:
        inbox.inbox_counts_invalidate()  # the counts are counted too
        with CaptureQueriesContext(connection) as captured:
            assert portal_a.get("/conversations/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(70):
        conversation(
            whatsapp,
            name=f"C{n}",
            assignee_id=owner_a.pk if n % 2 else 987_654,
            status="pending" if n % 3 else "open",
            unread=n % 2,
        )
    inbox.inbox_counts_invalidate()
    with django_assert_max_num_queries(few):
        page = portal_a.get("/conversations/").content.decode()
    assert len(ROW_ID.findall(page)) == inbox.PAGE_SIZE
    assert queries() == few


# -- counts ------------------------------------------------------------------------------------


def test_counts_stop_at_the_cap(portal_a, whatsapp, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 5)
    for n in range(7):
        conversation(whatsapp, name=f"Open {n}", unread=1 if n < 2 else 0)
    for n in range(3):
        conversation(whatsapp, name=f"Waiting {n}", status="pending")
    conversation(whatsapp, name="Done", status="resolved")
    with CaptureQueriesContext(connection) as captured:
        counts = inbox_counts(filters=InboxFilters())
    assert (str(counts.tabs["open"]), str(counts.tabs["pending"])) == ("4+", "3")
    assert (str(counts.tabs["active"]), str(counts.tabs["all"])) == ("4+", "4+")
    assert (str(counts.tabs["resolved"]), str(counts.tabs["archived"])) == ("1", "0")
    assert str(counts.unread) == "2"
    counted = [q["sql"] for q in captured if "count(" in q["sql"].lower()]
    assert len(counted) == 1, "one statement"
    assert counted[0].lower().count("count(") == counted[0].count("LIMIT 5") == 8
    page = portal_a.get("/conversations/").content.decode()
    assert 'data-testid="tab-open"' in page
    assert ">4+</span>" in page


def test_counts_are_cached_until_a_conversation_changes(whatsapp, django_assert_num_queries):
    conversation(whatsapp, name="Ann")
    assert str(inbox_counts(filters=InboxFilters()).tabs["open"]) == "1"
    conversation(whatsapp, name="Bob")
    with django_assert_num_queries(0):
        assert str(inbox_counts(filters=InboxFilters()).tabs["open"]) == "1"
    inbox.inbox_counts_invalidate()
    assert str(inbox_counts(filters=InboxFilters()).tabs["open"]) == "2"


def test_unread_only_counts_unread_ones_per_tab(whatsapp):
    conversation(whatsapp, name="Ann", unread=1)
    conversation(whatsapp, name="Bob")
    conversation(whatsapp, name="Cid", unread=4, status="pending")
    counts = inbox_counts(filters=InboxFilters(unread=True))
    assert {tab: str(count) for tab, count in counts.tabs.items()} == {
        "active": "2", "open": "1", "pending": "1", "resolved": "0", "archived": "0", "all": "2",
    }  # fmt: skip
    assert str(inbox_counts(filters=InboxFilters(status="open")).unread) == "1"


def test_a_search_counts_only_its_own_tab(whatsapp):
    conversation(whatsapp, name="Ann", text="kettle")
    conversation(whatsapp, name="Bob", text="kettle", status="resolved")
    counts = inbox_counts(filters=InboxFilters(q="kettle"))
    assert {tab: str(count) for tab, count in counts.tabs.items()} == {"active": "1"}


# -- the page around the list ------------------------------------------------------------------


def test_only_members_see_the_inbox(client, business_a, owner_b, whatsapp):
    from conftest import host_client

    conversation(whatsapp, name="Secret customer")
    stranger = host_client("alpha.localhost", owner_b)
    response = stranger.get("/conversations/")
    assert response.status_code == 404
    assert "Secret customer" not in response.content.decode()
    anonymous = host_client("alpha.localhost").get("/conversations/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


def test_htmx_asks_for_the_list_only(portal_a, whatsapp):
    made = conversation(whatsapp, name="Ann")
    response = portal_a.get(
        "/conversations/?status=open", headers={"HX-Request": "true", "HX-Target": "inbox"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="inbox"')
    assert "<html" not in page
    assert ROW_ID.findall(page) == [str(made.pk)]


def test_the_page_tells_the_live_script_what_to_do_with_new_rows(portal_a, whatsapp):
    for n in range(inbox.PAGE_SIZE + 1):
        conversation(whatsapp, name=f"C{n}")
    first = portal_a.get("/conversations/").content.decode()
    assert 'data-live="prepend" data-statuses="open pending"' in first
    assert 'src="/static/js/inbox.js"' in first
    older = OLDER.search(first).group(1).replace("&amp;", "&")
    assert 'data-live="banner"' in portal_a.get(f"/conversations/{older}").content.decode()
    filtered = portal_a.get("/conversations/?q=C1").content.decode()
    assert 'data-live="banner"' in filtered
    resolved = portal_a.get("/conversations/?status=resolved").content.decode()
    assert 'data-live="prepend" data-statuses="resolved"' in resolved
