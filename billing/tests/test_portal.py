"""The billing page, a lapsed plan's read-only portal, and the plan's limits on every door
(portal, API, services), without Stripe keys (a fresh development machine)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from billing.entitlements import account_for, entitlements_for
from billing.models import BillingAccount, Plan
from billing.services import trial_reminders_send
from conftest import host_client
from conversations.models import Conversation, Message
from conversations.services import assistant_may_answer
from conversations.tests.test_api import conversation_of

pytestmark = pytest.mark.django_db


def _expire(business) -> None:
    business.trial_ends_at = timezone.now() - timedelta(hours=1)
    business.save(update_fields=["trial_ends_at"])


def test_a_new_business_sees_its_trial_plans_and_usage_and_how_to_turn_payment_on(portal_a):
    page = portal_a.get("/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-state="trialing"' in html
    assert "7 days left" in html
    assert "0 of 1 connected" in html
    for code in ("free", "single", "double", "growth", "enterprise"):
        assert f'data-testid="plan-{code}"' in html
    assert 'data-testid="plan-special"' not in html  # granted by the platform only
    assert "$9.99" in html and "$49.99" in html and "Custom price" in html
    assert 'data-testid="payments-not-configured"' in html
    assert "STRIPE_SECRET_KEY" in html and "plans_load --sync" in html
    assert 'data-testid="no-invoices"' in html


def test_the_dashboard_shows_the_trial_and_links_to_billing(portal_a):
    html = portal_a.get("/").content.decode()
    assert "Your free trial ends in 7 days." in html
    assert 'href="/billing/"' in html


def test_staff_see_the_plan_but_only_owners_change_it(business_a, in_business_a):
    staff = User.objects.create_user(email="staff-billing@example.com", password="pass-word-2026")
    Membership.objects.create(user=staff, business=business_a, role=Membership.Role.STAFF)
    client = host_client("alpha.localhost", staff)
    page = client.get("/billing/").content.decode()
    assert "The owner chooses the plan." in page
    assert client.post("/billing/change/free/").status_code == 403
    assert account_for(business_a).source == ""


def test_switching_to_free_needs_no_payment(portal_a, business_a):
    response = portal_a.post("/billing/change/free/")
    assert response.status_code == 302
    account = account_for(business_a)
    assert (account.source, account.plan.code) == (BillingAccount.Source.FREE, "free")
    business_a.refresh_from_db()
    assert business_a.history_retention_days == 7


def test_choosing_a_paid_plan_without_stripe_says_payment_is_not_configured(portal_a):
    response = portal_a.post("/billing/checkout/single/", follow=True)
    assert "not configured" in response.content.decode()


def test_a_downgrade_lists_the_channels_and_is_refused_until_enough_are_chosen(
    portal_a, business_a, whatsapp_channel, fake_waha
):
    from billing.services import plan_grant

    grant = plan_grant(
        business=business_a,
        plan=Plan.objects.get(code="growth"),
        ends_at=timezone.now() + timedelta(days=9),
    )
    # A second WhatsApp account, so two are connected and Free allows one.
    second = portal_a.post(f"/companies/{whatsapp_channel.company_id}/channels/whatsapp/")
    assert second.status_code == 302
    grant.revoked_at = timezone.now()
    grant.save()

    page = portal_a.get("/billing/change/free/").content.decode()
    assert 'data-testid="downgrade-choose"' in page
    assert "Choose 1 channel to disconnect" in page
    assert page.count('name="disconnect"') == 2

    refused = portal_a.post("/billing/change/free/")
    assert refused.status_code == 422
    assert account_for(business_a).source == ""

    done = portal_a.post("/billing/change/free/", {"disconnect": [whatsapp_channel.pk]})
    assert done.status_code == 302
    whatsapp_channel.connection.refresh_from_db()
    assert whatsapp_channel.connection.status == "disconnected"
    assert account_for(business_a).plan.code == "free"


def test_a_lapsed_business_reads_everything_but_writes_nothing_and_is_told_why(
    portal_a, business_a, whatsapp_channel
):
    conversation = conversation_of(whatsapp_channel, "lapsed")
    _expire(business_a)
    page = portal_a.get(f"/conversations/{conversation.pk}/")
    assert page.status_code == 200
    assert 'data-testid="billing-banner"' in page.content.decode()
    assert "Your free trial ended" in page.content.decode()

    refused = portal_a.post(f"/conversations/{conversation.pk}/", {"text": "hello"})
    assert refused.status_code == 403
    assert "Choose a plan" in refused.content.decode()
    assert not Message.objects.filter(direction="out").exists()

    htmx = portal_a.post(
        f"/conversations/{conversation.pk}/", {"text": "hello"}, HTTP_HX_REQUEST="true"
    )
    assert htmx["HX-Redirect"] == "/billing/"
    # Billing itself and disconnecting stay open.
    assert portal_a.post("/billing/change/free/").status_code == 302


def test_automatic_replies_stop_when_the_plan_lapses(business_a, whatsapp_channel):
    conversation = conversation_of(whatsapp_channel, "auto")
    assert assistant_may_answer(conversation)
    _expire(business_a)
    from django.db import connection

    connection.tenant = business_a
    assert not assistant_may_answer(Conversation.objects.get(pk=conversation.pk))


def test_the_api_refuses_a_channel_beyond_the_plan_and_sends_of_a_lapsed_business(
    business_a, owner_a, whatsapp_channel, fake_waha
):
    key = Token.objects.create(user=owner_a).key
    api = host_client("alpha.localhost")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    refused = api.post("/api/v1/channels/", {"company": whatsapp_channel.company_id}, **auth)
    assert refused.status_code == 403
    assert refused.json()["code"] == "channel_limit"
    assert "1 connected channel" in refused.json()["detail"]
    assert fake_waha.sessions == {}

    entitlements = api.get("/api/v1/billing/entitlements/", **auth).json()
    assert entitlements["state"] == "trialing"
    assert (entitlements["channels_allowed"], entitlements["channels_used"]) == (1, 1)

    conversation = conversation_of(whatsapp_channel, "api")
    _expire(business_a)
    sent = api.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"text": "hi"}, **auth)
    assert sent.status_code == 403
    assert sent.json()["code"] == "billing_read_only"
    assert not Message.objects.filter(direction="out").exists()


def test_trial_emails_go_two_days_before_and_at_the_end_once_each(business_a, business_b):
    now = timezone.now()
    business_a.trial_ends_at = now + timedelta(days=1, hours=12)
    business_a.save()
    business_b.trial_ends_at = now - timedelta(hours=2)
    business_b.save()

    assert trial_reminders_send(now=now) == {"ending": 1, "ended": 1}
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Your X8 Network trial ends in 2 day(s)", "Your X8 Network trial has ended"]
    ending = next(m for m in mail.outbox if "ends in" in m.subject)
    assert ending.to == ["owner-a@example.com"]
    assert "http://alpha.localhost:8000/billing/" in ending.body

    assert trial_reminders_send(now=now + timedelta(hours=1)) == {"ending": 0, "ended": 0}
    assert len(mail.outbox) == 2


def test_no_trial_email_for_a_business_that_chose_a_plan(business_a):
    business_a.trial_ends_at = timezone.now() + timedelta(days=1)
    business_a.save()
    account = account_for(business_a)
    account.plan, account.source = Plan.objects.get(code="free"), BillingAccount.Source.FREE
    account.save()
    assert trial_reminders_send() == {"ending": 0, "ended": 0}
    assert mail.outbox == []


def test_a_reply_queued_before_the_plan_lapsed_is_not_sent_after(
    business_a, owner_a, whatsapp_channel, fake_waha
):
    from django.db import connection

    from conversations.services import message_send
    from conversations.tasks import message_send_task

    conversation = conversation_of(whatsapp_channel, "queued")
    message = message_send(conversation=conversation, text="On its way", author=owner_a)
    _expire(business_a)
    connection.tenant = business_a
    message_send_task.run(message.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELED
    assert "trial ended" in message.error
    assert not [call for call in fake_waha.calls if "sendText" in call[1]]


def test_a_platform_admin_grants_a_plan_with_an_end_date_in_the_admin(business_a):
    from billing.models import PlanGrant

    admin = User.objects.create_superuser(
        email="root-billing@example.com", password="pass-word-2026", platform_role="admin"
    )
    client = host_client("localhost", admin)
    ends = timezone.localtime() + timedelta(days=90)
    response = client.post(
        "/admin/billing/plangrant/add/",
        {
            "business": business_a.pk,
            "plan": Plan.objects.get(code="special").pk,
            "channel_limit": 3,
            "starts_at_0": timezone.localtime().strftime("%Y-%m-%d"),
            "starts_at_1": "00:00:00",
            "ends_at_0": ends.strftime("%Y-%m-%d"),
            "ends_at_1": "00:00:00",
            "note": "Spring promotion",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = PlanGrant.objects.get()
    assert grant.granted_by == admin
    ent = entitlements_for(business_a)
    assert (ent.state, ent.source, ent.plan.code, ent.channels_allowed) == (
        "active",
        "grant",
        "special",
        3,
    )
    listing = client.get("/admin/tenants/business/").content.decode()
    assert "active · Special" in listing
    assert grant.ends_at.date() == ends.date()


def test_a_downgrade_while_whatsapp_is_down_says_so_and_keeps_the_plan(
    portal_a, business_a, whatsapp_channel, fake_waha
):
    from billing.services import plan_grant

    grant = plan_grant(
        business=business_a,
        plan=Plan.objects.get(code="growth"),
        ends_at=timezone.now() + timedelta(days=9),
    )
    portal_a.post(f"/companies/{whatsapp_channel.company_id}/channels/whatsapp/")
    grant.revoked_at = timezone.now()
    grant.save()
    fake_waha.down = True
    response = portal_a.post("/billing/change/free/", {"disconnect": [whatsapp_channel.pk]})
    assert response.status_code == 422
    assert "not reachable" in response.content.decode()
    assert account_for(business_a).source == ""
