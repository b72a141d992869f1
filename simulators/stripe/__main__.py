"""``python -m simulators.stripe``: run the Stripe simulator until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from simulators.stripe.server import StripeSimServer
from simulators.stripe.webhooks import DEFAULT_RETRY_DELAYS, WebhookEndpoint


def _delays(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of seconds: {text!r}") from exc


def parse_args(argv: list[str] | None = None, env: os._Environ | dict | None = None):
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(
        prog="python -m simulators.stripe",
        description="A local Stripe API simulator with hosted Checkout, portal and invoice pages.",
    )
    parser.add_argument("--host", default=env.get("STRIPE_SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("STRIPE_SIM_PORT", "12111")))
    parser.add_argument(
        "--api-key",
        default=env.get("STRIPE_SIM_API_KEY") or None,
        help="the secret key clients must send (default: any key starting sk_test_)",
    )
    parser.add_argument(
        "--public-url",
        default=env.get("STRIPE_SIM_PUBLIC_URL"),
        help="base of the hosted pages' URLs (default http://localhost:<port>)",
    )
    parser.add_argument("--webhook-url", default=env.get("STRIPE_SIM_WEBHOOK_URL"))
    parser.add_argument("--webhook-secret", default=env.get("STRIPE_SIM_WEBHOOK_SECRET"))
    parser.add_argument(
        "--webhook-events",
        default=env.get("STRIPE_SIM_WEBHOOK_EVENTS", "*"),
        help="event types the endpoint is enabled for, comma separated ('invoice.*' allowed)",
    )
    parser.add_argument(
        "--webhook-retry-delays",
        type=_delays,
        default=_delays(env.get("STRIPE_SIM_WEBHOOK_RETRY_DELAYS", "")) or DEFAULT_RETRY_DELAYS,
        help="seconds before each retry of a failed delivery, comma separated (default 1,4,16)",
    )
    parser.add_argument(
        "--state",
        default=env.get("STRIPE_SIM_STATE"),
        help="JSON file that keeps the account's objects across restarts",
    )
    parser.add_argument("--account-name", default=env.get("STRIPE_SIM_ACCOUNT_NAME", "X8 Network"))
    parser.add_argument("--log-level", default=env.get("STRIPE_SIM_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        parser.error("--webhook-url needs --webhook-secret (STRIPE_SIM_WEBHOOK_SECRET)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s stripe-sim %(levelname)s %(message)s"
    )
    events = tuple(e.strip() for e in args.webhook_events.split(",") if e.strip()) or ("*",)
    webhooks = (
        [WebhookEndpoint(args.webhook_url, args.webhook_secret, events)] if args.webhook_url else []
    )
    server = StripeSimServer(
        host=args.host,
        port=args.port,
        public_url=args.public_url or f"http://localhost:{args.port}",
        api_key=args.api_key,
        webhooks=webhooks,
        retry_delays=args.webhook_retry_delays,
        state_path=args.state,
        account_name=args.account_name,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("simulators.stripe").info(
        "Stripe simulator on %s (API key %s, webhooks %s) — overview %s/",
        server.url,
        "fixed" if args.api_key else "any sk_test_…",
        args.webhook_url or "none (events wait in the outbox)",
        server.url,
    )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
