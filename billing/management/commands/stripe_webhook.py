"""``manage.py stripe_webhook``: the endpoint Stripe posts its events to.

- ``--secret whsec_...``: record the signing secret printed by ``stripe listen`` (test mode)
  and print the URL to give to ``stripe listen --forward-to``;
- ``--create https://x8.example.com``: create the endpoint in the Stripe account (live or
  test, by the key) for the events billing uses, and record the secret Stripe returns.
"""

from __future__ import annotations

import uuid

import requests
import stripe
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from billing import stripe_api
from tenants.models import public_url

EVENTS = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
]


class Command(BaseCommand):
    help = "Register the Stripe webhook endpoint (from `stripe listen` or in the account)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--secret", help="The whsec_... secret that `stripe listen` prints.")
        group.add_argument("--create", metavar="BASE_URL", help="Public base URL of the site.")
        parser.add_argument(
            "--simulator",
            metavar="URL",
            help="Also tell the local Stripe simulator at URL to post its events here.",
        )

    def handle(
        self, *args, secret: str | None, create: str | None, simulator: str | None, **options
    ):
        if secret:
            if not secret.startswith("whsec_"):
                raise CommandError("A Stripe signing secret starts with whsec_.")
            endpoint = self._local(secret)
        else:
            endpoint = self._create(create.rstrip("/"))
        path = reverse(
            "stripe_webhook", urlconf="config.urls_public", args=[endpoint.djstripe_uuid]
        )
        self.stdout.write(self.style.SUCCESS(f"Stripe events are received at {public_url(path)}"))
        if simulator and secret:
            self._tell_simulator(simulator.rstrip("/"), public_url(path), secret)
        elif secret:
            self.stdout.write(f"Run: stripe listen --forward-to {public_url(path)}")

    def _tell_simulator(self, simulator: str, url: str, secret: str) -> None:
        try:
            response = requests.post(
                f"{simulator}/sim/webhooks",
                json={"url": url, "secret": secret, "events": EVENTS},
                timeout=5,
            )
            response.raise_for_status()
        except requests.RequestException as error:
            message = f"The Stripe simulator at {simulator} did not answer: {error}"
            raise CommandError(message) from error
        self.stdout.write(f"The simulator at {simulator} now posts its events there.")

    def _local(self, secret: str) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(id__startswith="we_local_").first()
        if endpoint is None:
            endpoint = WebhookEndpoint(
                id=f"we_local_{uuid.uuid4().hex[:16]}",
                livemode=False,
                enabled_events=EVENTS,
                status="enabled",
                url="stripe-cli",
                api_version="",
            )
        endpoint.secret = secret
        endpoint.save()
        return endpoint

    def _create(self, base_url: str) -> WebhookEndpoint:
        key_uuid = uuid.uuid4()
        path = reverse("stripe_webhook", urlconf="config.urls_public", args=[key_uuid])
        try:
            created = stripe_api.call(
                stripe.WebhookEndpoint.create,
                url=f"{base_url}{path}",
                enabled_events=EVENTS,
                metadata={"djstripe_uuid": str(key_uuid)},
            )
        except stripe_api.BillingError as error:
            raise CommandError(error.message) from error
        return WebhookEndpoint.objects.update_or_create(
            id=created.id,
            defaults={
                "livemode": bool(created.livemode),
                "enabled_events": list(created.enabled_events),
                "status": created.status,
                "url": created.url,
                "secret": created.secret,
                "djstripe_uuid": key_uuid,
                "api_version": created.api_version or "",
            },
        )[0]
