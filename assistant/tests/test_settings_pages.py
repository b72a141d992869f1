"""Behaviour settings: how rows resolve into a Behaviour, the portal pages that edit them
(company-wide, overrides, validation, members only), the preview and the test chat."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from assistant import engine
from assistant.models import BehaviourSetting
from assistant.settings_resolve import behaviour_for
from assistant.tests.catalogue import teas_create
from assistant.types import Behaviour, Scenario, WorkingHours
from channels_app.models import Channel
from conftest import host_client
from connections.models import Connection
from conversations.models import Contact, Conversation, Message, Turn
from tenants.companies.models import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(in_business_a):
    return Company.objects.get(name="Alpha Shop Main")


def _channel(company, business, external_id: str, platform: str = "whatsapp") -> Channel:
    connection = Connection.objects.create(
        business=business,
        platform=platform,
        external_id=external_id,
        status=Connection.Status.CONNECTED,
        account_name=f"Account {external_id}",
    )
    return Channel.objects.create(company=company, connection=connection, platform=platform)


@pytest.fixture
def channels(company, in_business_a):
    return (
        _channel(company, in_business_a, "alpha-settings-1"),
        _channel(company, in_business_a, "alpha-settings-2", platform="telegram"),
    )


@pytest.fixture
def teas(company):
    return teas_create(company)


def _company_post(**changes) -> dict:
    data = {
        "tone": "friendly",
        "language_policy": "customer",
        "default_language": "ru",
        "greeting": "",
        "rules": "",
        "instructions": "",
        "out_of_hours": "",
        "privacy_notice": "",
        "handoff_keywords": "оператор, human",
        "handoff_on_low_confidence": "on",
        "handoff_after_misunderstandings": "2",
        "handoff_on_anger": "on",
        "hours_mode": "always",
        "timezone": "Europe/Moscow",
    }
    for weekday in range(7):
        data[f"day_{weekday}_from"] = ""
        data[f"day_{weekday}_to"] = ""
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _override_post(**changes) -> dict:
    data = {
        "channel": "",
        "scenario": "",
        "tone": "",
        "language_policy": "",
        "default_language": "",
        "greeting": "",
        "rules": "",
        "instructions": "",
        "out_of_hours": "",
        "privacy_notice": "",
        "handoff_keywords": "",
        "handoff_on_low_confidence": "unknown",
        "handoff_after_misunderstandings": "",
        "handoff_on_anger": "unknown",
        "hours_mode": "inherit",
        "timezone": "",
    }
    for weekday in range(7):
        data[f"day_{weekday}_from"] = ""
        data[f"day_{weekday}_to"] = ""
    data.update(changes)
    return data


# -- resolution ----------------------------------------------------------------------------


def test_without_settings_the_defaults_apply(company):
    assert behaviour_for(company=company) == Behaviour()


def test_precedence_channel_and_scenario_over_channel_over_scenario_over_company(company, channels):
    whatsapp, telegram = channels
    BehaviourSetting.objects.create(company=company, tone="formal", greeting="company")
    BehaviourSetting.objects.create(company=company, scenario="price", greeting="any-price")
    BehaviourSetting.objects.create(company=company, channel=whatsapp, greeting="wa-any")
    BehaviourSetting.objects.create(
        company=company, channel=whatsapp, scenario="price", greeting="wa-price"
    )

    def greeting(channel=None, scenario=None) -> str:
        return behaviour_for(company=company, channel=channel, scenario=scenario).greeting

    assert greeting() == "company"
    assert greeting(scenario=Scenario.PRICE) == "any-price"
    assert greeting(scenario=Scenario.GREETING) == "company"
    assert greeting(channel=whatsapp) == "wa-any"
    assert greeting(channel=whatsapp, scenario=Scenario.PRICE) == "wa-price"
    assert greeting(channel=whatsapp, scenario=Scenario.PAYMENT) == "wa-any"
    assert greeting(channel=telegram) == "company"
    assert greeting(channel=telegram, scenario="price") == "any-price"
    # Only the company row set the tone: every more specific row inherits it.
    assert behaviour_for(company=company, channel=whatsapp, scenario="price").tone == "formal"


def test_each_field_inherits_on_its_own_down_to_the_defaults(company, channels):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(
        company=company,
        greeting="Hi!",
        handoff_keywords="Менеджер , ,HUMAN",
        working_hours={"0": ["09:00", "18:00"], "5": ["10:00", "14:00"]},
        timezone="Europe/Moscow",
    )
    BehaviourSetting.objects.create(
        company=company,
        channel=whatsapp,
        tone="brief",
        handoff_after_misunderstandings=5,
        timezone="Asia/Almaty",
    )

    behaviour = behaviour_for(company=company, channel=whatsapp)

    assert behaviour.tone == "brief"
    assert behaviour.greeting == "Hi!"
    assert behaviour.handoff_keywords == ("менеджер", "human")
    assert behaviour.handoff_after_misunderstandings == 5
    assert behaviour.handoff_on_anger is True  # nobody set it: the default
    assert behaviour.language_policy == Behaviour().language_policy
    assert behaviour.working_hours == WorkingHours(
        days={0: (time(9), time(18)), 5: (time(10), time(14))}, timezone="Asia/Almaty"
    )


def test_an_empty_text_and_always_open_are_values_not_inheritance(company, channels):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(
        company=company, greeting="Hello", working_hours={"0": ["09:00", "18:00"]}
    )
    BehaviourSetting.objects.create(
        company=company, channel=whatsapp, greeting="", working_hours={}
    )
    behaviour = behaviour_for(company=company, channel=whatsapp)
    assert behaviour.greeting == ""
    assert behaviour.working_hours.days == {}


def test_resolution_takes_one_query(company, channels):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(company=company, tone="formal")
    BehaviourSetting.objects.create(company=company, channel=whatsapp, scenario="price")
    with CaptureQueriesContext(connection) as queries:
        behaviour_for(company=company, channel=whatsapp, scenario=Scenario.PRICE)
    # django-tenants sets the schema's search path before each statement: not a query.
    statements = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) == 1


def test_malformed_stored_hours_close_that_day_instead_of_failing(company):
    BehaviourSetting.objects.create(
        company=company,
        working_hours={"0": ["09:00", "18:00"], "1": ["late", "never"], "9": ["09:00", "10:00"]},
    )
    assert behaviour_for(company=company).working_hours.days == {0: (time(9), time(18))}


def test_a_draft_replaces_its_stored_row_only_where_it_applies(company, channels):
    whatsapp, telegram = channels
    BehaviourSetting.objects.create(company=company, tone="formal")
    draft = BehaviourSetting(company=company, channel=whatsapp, tone="brief")
    assert behaviour_for(company=company, channel=whatsapp, draft=draft).tone == "brief"
    assert behaviour_for(company=company, channel=telegram, draft=draft).tone == "formal"
    company_draft = BehaviourSetting(company=company, tone="friendly")
    assert behaviour_for(company=company, draft=company_draft).tone == "friendly"


def test_one_row_per_company_channel_and_scenario_even_without_a_channel(company, channels):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(company=company)
    with pytest.raises(IntegrityError), transaction.atomic():
        BehaviourSetting.objects.create(company=company)  # a second company-wide row
    BehaviourSetting.objects.create(company=company, channel=whatsapp, scenario="price")
    with pytest.raises(IntegrityError), transaction.atomic():
        BehaviourSetting.objects.create(company=company, channel=whatsapp, scenario="price")


# -- pages: members only --------------------------------------------------------------------


def test_assistant_pages_are_for_members_only(company, owner_b, channels):
    row = BehaviourSetting.objects.create(company=company, channel=channels[0], tone="brief")
    paths = [
        "/assistant/",
        f"/assistant/{company.pk}/",
        f"/assistant/{company.pk}/overrides/new/",
        f"/assistant/overrides/{row.pk}/",
        f"/assistant/overrides/{row.pk}/delete/",
        f"/assistant/try/{company.pk}/",
    ]
    stranger = host_client("alpha.localhost", owner_b)
    anonymous = host_client("alpha.localhost")
    for path in paths:
        assert stranger.get(path).status_code == 404, path
        response = anonymous.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert stranger.post(f"/assistant/overrides/{row.pk}/delete/").status_code == 404
    assert BehaviourSetting.objects.filter(pk=row.pk).exists()


# -- pages: company-wide settings -----------------------------------------------------------


def test_settings_page_starts_from_the_defaults(company, portal_a):
    response = portal_a.get(f"/assistant/{company.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ", ".join(Behaviour().handoff_keywords) in html
    assert re.search(r'value="always"[^>]*checked', html)
    assert 'data-testid="no-overrides"' in html
    assert not BehaviourSetting.objects.exists()  # looking saves nothing


def test_settings_left_unset_show_their_defaults(company, portal_a):
    BehaviourSetting.objects.create(company=company, greeting="Hi there")  # tone etc. unset
    html = portal_a.get(f"/assistant/{company.pk}/").content.decode()
    assert "Hi there" in html
    assert '<option value="friendly" selected>' in html
    assert re.search(r'name="handoff_on_anger"[^>]*checked', html)


def test_saving_the_company_settings_stores_every_value(company, portal_a):
    data = _company_post(
        tone="formal",
        greeting="Добрый день! Чем помочь?",
        rules="Доставка по Москве — 1 день.",
        hours_mode="hours",
        day_0_from="09:00",
        day_0_to="18:00",
        day_4_from="10:00",
        day_4_to="16:30",
        handoff_on_anger=None,  # unticked
        handoff_after_misunderstandings="3",
    )
    response = portal_a.post(f"/assistant/{company.pk}/", data)
    assert response.status_code == 302

    row = BehaviourSetting.objects.get(company=company, channel=None, scenario="")
    assert row.tone == "formal"
    assert row.working_hours == {"0": ["09:00", "18:00"], "4": ["10:00", "16:30"]}
    assert row.timezone == "Europe/Moscow"
    assert row.handoff_on_anger is False
    assert row.privacy_notice == ""  # empty is a value here, not "inherit"
    behaviour = behaviour_for(company=company)
    assert behaviour.greeting == "Добрый день! Чем помочь?"
    assert behaviour.handoff_keywords == ("оператор", "human")
    assert behaviour.handoff_after_misunderstandings == 3
    assert behaviour.working_hours.days[4] == (time(10), time(16, 30))

    # Saving again edits the same row.
    portal_a.post(f"/assistant/{company.pk}/", _company_post(tone="brief"))
    assert BehaviourSetting.objects.get().tone == "brief"
    assert behaviour_for(company=company).working_hours.days == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"hours_mode": "hours", "day_2_from": "18:00", "day_2_to": "09:00"},
            "the closing time must be after the opening time",
        ),
        ({"hours_mode": "hours", "day_1_from": "09:00"}, "set both the opening and the closing"),
        ({"hours_mode": "hours"}, "Set the hours of at least one day"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone"),
        ({"timezone": ""}, "This field is required"),
        ({"tone": "sarcastic"}, "Select a valid choice"),
        ({"handoff_after_misunderstandings": "0"}, "greater than or equal to 1"),
    ],
)
def test_wrong_settings_are_refused_with_a_clear_error(company, portal_a, changes, message):
    response = portal_a.post(f"/assistant/{company.pk}/", _company_post(**changes))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not BehaviourSetting.objects.exists()


def test_settings_of_an_unknown_company_are_not_found(company, portal_a):
    assert portal_a.get("/assistant/999999/").status_code == 404
    assert portal_a.get("/assistant/try/999999/").status_code == 404


# -- pages: overrides -----------------------------------------------------------------------


def test_an_override_sets_only_what_it_changes(company, channels, portal_a):
    whatsapp, _telegram = channels
    portal_a.post(f"/assistant/{company.pk}/", _company_post(tone="friendly", greeting="Hi"))

    response = portal_a.post(
        f"/assistant/{company.pk}/overrides/new/",
        _override_post(channel=str(whatsapp.pk), scenario="price", tone="brief"),
    )
    assert response.status_code == 302

    row = BehaviourSetting.objects.get(channel=whatsapp)
    assert row.scenario == "price" and row.tone == "brief"
    assert row.greeting is None and row.working_hours is None and row.timezone is None
    assert row.handoff_on_anger is None and row.handoff_after_misunderstandings is None
    assert behaviour_for(company=company, channel=whatsapp, scenario="price").tone == "brief"
    assert behaviour_for(company=company, channel=whatsapp, scenario="price").greeting == "Hi"
    assert behaviour_for(company=company, channel=whatsapp).tone == "friendly"

    page = portal_a.get(f"/assistant/{company.pk}/").content.decode()
    assert 'data-testid="override-row"' in page
    assert "tone" in page.split('data-testid="overrides"')[1]


def test_an_override_can_set_its_own_hours_and_explicit_no(company, channels, portal_a):
    whatsapp, _telegram = channels
    response = portal_a.post(
        f"/assistant/{company.pk}/overrides/new/",
        _override_post(
            channel=str(whatsapp.pk),
            hours_mode="hours",
            day_5_from="10:00",
            day_5_to="14:00",
            handoff_on_anger="false",
        ),
    )
    assert response.status_code == 302
    row = BehaviourSetting.objects.get(channel=whatsapp)
    assert row.working_hours == {"5": ["10:00", "14:00"]}
    assert row.handoff_on_anger is False
    behaviour = behaviour_for(company=company, channel=whatsapp)
    assert behaviour.handoff_on_anger is False
    assert behaviour.working_hours.timezone == "UTC"  # inherited: nobody set one


def test_an_override_needs_a_channel_or_a_scenario_and_must_be_new(company, channels, portal_a):
    whatsapp, _telegram = channels
    response = portal_a.post(
        f"/assistant/{company.pk}/overrides/new/", _override_post(tone="brief")
    )
    assert response.status_code == 422
    assert "Choose a channel, a scenario or both" in response.content.decode()

    BehaviourSetting.objects.create(company=company, channel=whatsapp, scenario="payment")
    response = portal_a.post(
        f"/assistant/{company.pk}/overrides/new/",
        _override_post(channel=str(whatsapp.pk), scenario="payment", tone="brief"),
    )
    assert response.status_code == 422
    assert "already have their own settings" in response.content.decode()
    assert BehaviourSetting.objects.count() == 1


def test_an_override_cannot_use_another_companys_channel(company, in_business_a, portal_a):
    from tenants.companies.services import company_create

    other = company_create(name="Alpha Second", kind="product", shop_type="online")
    foreign = _channel(other, in_business_a, "alpha-other-company")
    response = portal_a.post(
        f"/assistant/{company.pk}/overrides/new/",
        _override_post(channel=str(foreign.pk), tone="brief"),
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not BehaviourSetting.objects.exists()


def test_editing_and_deleting_an_override(company, channels, portal_a):
    whatsapp, telegram = channels
    row = BehaviourSetting.objects.create(company=company, channel=whatsapp, tone="brief")

    page = portal_a.get(f"/assistant/overrides/{row.pk}/")
    assert page.status_code == 200
    assert '<option value="brief" selected>' in page.content.decode()

    response = portal_a.post(
        f"/assistant/overrides/{row.pk}/",
        _override_post(channel=str(telegram.pk), scenario="greeting", greeting="Привет!"),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.channel_id, row.scenario, row.tone, row.greeting) == (
        telegram.pk,
        "greeting",
        None,
        "Привет!",
    )

    assert portal_a.get(f"/assistant/overrides/{row.pk}/delete/").status_code == 200
    assert BehaviourSetting.objects.filter(pk=row.pk).exists()  # asking deletes nothing
    response = portal_a.post(f"/assistant/overrides/{row.pk}/delete/")
    assert response.status_code == 302
    assert not BehaviourSetting.objects.filter(pk=row.pk).exists()


def test_the_company_row_is_not_an_override(company, portal_a):
    row = BehaviourSetting.objects.create(company=company, tone="brief")
    assert portal_a.get(f"/assistant/overrides/{row.pk}/").status_code == 404
    assert portal_a.post(f"/assistant/overrides/{row.pk}/delete/").status_code == 404
    assert BehaviourSetting.objects.filter(pk=row.pk).exists()


def test_the_portal_links_to_the_assistant_and_help(company, portal_a):
    html = portal_a.get("/").content.decode()
    assert 'data-testid="nav-assistant"' in html and 'href="/assistant/"' in html
    assert 'data-testid="help-toggle"' in html
    home = portal_a.get("/assistant/").content.decode()
    assert f"/assistant/{company.pk}/" in home and f"/assistant/try/{company.pk}/" in home
    portal_a.cookies["django_language"] = "ru"
    for path in ("/assistant/", f"/assistant/{company.pk}/", f"/assistant/try/{company.pk}/"):
        page = portal_a.get(path)
        assert page.status_code == 200 and '<html lang="ru"' in page.content.decode(), path


# -- preview --------------------------------------------------------------------------------


def test_preview_answers_with_the_unsaved_settings(company, portal_a):
    BehaviourSetting.objects.create(company=company, greeting="Saved greeting", tone="friendly")
    data = _company_post(greeting="Unsaved greeting, welcome!", tone="formal")
    data.update({"preview_text": "Hello!", "preview_kind": "company"})

    with mock.patch.object(engine, "answer", wraps=engine.answer) as answer:
        response = portal_a.post(f"/assistant/{company.pk}/preview/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unsaved greeting, welcome!" in html
    assert "Saved greeting" not in html
    behaviour = answer.call_args.kwargs["behaviour"]
    assert behaviour.tone == "formal"
    assert answer.call_args.kwargs["company"] == company
    assert BehaviourSetting.objects.get().greeting == "Saved greeting"  # nothing saved


def test_preview_of_an_override_uses_it_over_the_company_settings(company, channels, portal_a):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(company=company, greeting="Company hello")
    row = BehaviourSetting.objects.create(company=company, channel=whatsapp, greeting="WA hello")
    data = _override_post(channel=str(whatsapp.pk), greeting="Draft WhatsApp hello")
    data.update({"preview_text": "hi", "preview_kind": "override", "override": str(row.pk)})

    response = portal_a.post(f"/assistant/{company.pk}/preview/", data)

    assert response.status_code == 200
    assert "Draft WhatsApp hello" in response.content.decode()
    row.refresh_from_db()
    assert row.greeting == "WA hello"


def test_preview_with_wrong_settings_shows_the_mistakes(company, portal_a):
    data = _company_post(timezone="Nowhere/Land")
    data.update({"preview_text": "hello", "preview_kind": "company"})
    with mock.patch.object(engine, "answer") as answer:
        response = portal_a.post(f"/assistant/{company.pk}/preview/", data)
    assert response.status_code == 422
    assert "is not a time zone" in response.content.decode()
    answer.assert_not_called()

    data = _company_post()
    data.update({"preview_text": "  ", "preview_kind": "company"})
    response = portal_a.post(f"/assistant/{company.pk}/preview/", data)
    assert response.status_code == 422
    assert "Write a message to see the answer." in response.content.decode()


# -- test chat ------------------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return (
        Contact.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Turn.objects.count(),
    )


def test_test_chat_explains_the_answer_and_writes_no_conversation(
    company, teas, channels, portal_a
):
    before = _counts()

    response = portal_a.post(
        f"/assistant/try/{company.pk}/",
        {"text": "How much is the Sencha green tea?", "history": "[]", "misunderstood": "0"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    reply_html = html.split('data-testid="try-reply"')[1].split("</div>")[0]
    assert "450" in reply_html
    items = html.split('data-testid="reply-items"')[1].split("</table>")[0]
    assert "Sencha Green Tea" in items and "450" in items
    assert 'data-testid="reply-intent">Price' in html
    assert 'data-testid="reply-reasons"' in html
    assert 'data-testid="reply-engine">Rules' in html
    assert 'data-testid="reply-handoff">No' in html
    assert _counts() == before


def test_test_chat_keeps_the_conversation_in_the_page_for_follow_ups(company, teas, portal_a):
    first = portal_a.post(
        f"/assistant/try/{company.pk}/",
        {"text": "Do you have Earl Grey?", "history": "[]", "misunderstood": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert first.status_code == 200
    html = first.content.decode()
    assert 'id="try-state" hx-swap-oob="true"' in html
    state = html.split('name="history" value="')[1].split('"')[0]
    history = json.loads(state.replace("&quot;", '"').replace("&#x27;", "'"))
    assert history[0] == ["in", "Do you have Earl Grey?"]
    assert history[1][0] == "out" and "Earl Grey" in history[1][1]

    with mock.patch.object(engine, "answer", wraps=engine.answer) as answer:
        second = portal_a.post(
            f"/assistant/try/{company.pk}/",
            {"text": "how much is it?", "history": json.dumps(history), "misunderstood": "0"},
            HTTP_HX_REQUEST="true",
        )
    assert answer.call_args.kwargs["history"] == [tuple(entry) for entry in history]
    assert "390" in second.content.decode().split('data-testid="try-reply"')[1].split("</div>")[0]


def test_test_chat_uses_a_channels_override_when_chosen(company, channels, portal_a):
    whatsapp, _telegram = channels
    BehaviourSetting.objects.create(company=company, greeting="Company hello")
    BehaviourSetting.objects.create(company=company, channel=whatsapp, greeting="WhatsApp hello")

    everywhere = portal_a.post(f"/assistant/try/{company.pk}/", {"text": "Hello"})
    on_whatsapp = portal_a.post(
        f"/assistant/try/{company.pk}/", {"text": "Hello", "channel": str(whatsapp.pk)}
    )

    assert "Company hello" in everywhere.content.decode()
    assert "WhatsApp hello" in on_whatsapp.content.decode()


def test_test_chat_shows_a_hand_over_and_the_privacy_notice_on_the_first_message(company, portal_a):
    BehaviourSetting.objects.create(company=company, privacy_notice="We keep your data safe.")
    before = _counts()

    first = portal_a.post(f"/assistant/try/{company.pk}/", {"text": "I want a human operator"})
    html = first.content.decode()
    assert "We keep your data safe." in html
    assert 'data-testid="reply-handoff"><strong>' in html

    later = portal_a.post(
        f"/assistant/try/{company.pk}/",
        {"text": "hello", "history": json.dumps([["in", "hi"], ["out", "Hello!"]])},
    )
    assert "We keep your data safe." not in later.content.decode()
    assert _counts() == before


def test_test_chat_refuses_an_empty_message_and_survives_a_broken_page(company, portal_a):
    response = portal_a.post(
        f"/assistant/try/{company.pk}/", {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#try-errors"
    assert "Write a message first." in response.content.decode()

    response = portal_a.post(
        f"/assistant/try/{company.pk}/",
        {"text": "hello", "history": "{not json", "misunderstood": "abc"},
    )
    assert response.status_code == 422  # the counter is not a number: said, not crashed
    response = portal_a.post(
        f"/assistant/try/{company.pk}/", {"text": "hello", "history": '[["in", 5], "x"]'}
    )
    assert response.status_code == 200


def test_clear_starts_the_test_chat_over(company, portal_a):
    html = portal_a.get(f"/assistant/try/{company.pk}/").content.decode()
    assert 'name="history" value="[]"' in html
    assert 'data-testid="try-clear"' in html
    assert 'data-testid="try-reply"' not in html


def test_test_chat_shows_when_the_business_opens_in_its_own_time_zone(company, portal_a):
    BehaviourSetting.objects.create(
        company=company,
        working_hours={"0": ["09:00", "10:00"]},
        timezone="Europe/Moscow",
        out_of_hours="We are closed, a person will answer on Monday.",
    )
    tuesday_noon_utc = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
    with mock.patch("assistant.trychat.timezone.now", return_value=tuesday_noon_utc):
        response = portal_a.post(f"/assistant/try/{company.pk}/", {"text": "Hello"})
    html = response.content.decode()
    assert "Closed now; opens Mon 09:00 (Europe/Moscow)" in html
    assert "We are closed, a person will answer on Monday." in html
