"""``python -m simulators.waha``: run the WAHA simulator until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from simulators.waha.server import WahaSimServer
from simulators.waha.simulator import Timings


def _global_webhooks(env: os._Environ | dict) -> list[dict]:
    """WAHA's global webhook, configured by ``WHATSAPP_HOOK_*`` variables."""
    url = env.get("WHATSAPP_HOOK_URL")
    if not url:
        return []
    hook: dict = {
        "url": url,
        "events": [e.strip() for e in env.get("WHATSAPP_HOOK_EVENTS", "*").split(",") if e.strip()],
    }
    if env.get("WHATSAPP_HOOK_HMAC_KEY"):
        hook["hmac"] = {"key": env["WHATSAPP_HOOK_HMAC_KEY"]}
    retries = {}
    if env.get("WHATSAPP_HOOK_RETRIES_POLICY"):
        retries["policy"] = env["WHATSAPP_HOOK_RETRIES_POLICY"]
    if env.get("WHATSAPP_HOOK_RETRIES_DELAY_SECONDS"):
        retries["delaySeconds"] = float(env["WHATSAPP_HOOK_RETRIES_DELAY_SECONDS"])
    if env.get("WHATSAPP_HOOK_RETRIES_ATTEMPTS"):
        retries["attempts"] = int(env["WHATSAPP_HOOK_RETRIES_ATTEMPTS"])
    if retries:
        hook["retries"] = retries
    headers = []
    for pair in env.get("WHATSAPP_HOOK_CUSTOM_HEADERS", "").split(";"):
        name, sep, value = pair.partition(":")
        if sep and name.strip():
            headers.append({"name": name.strip(), "value": value.strip()})
    if headers:
        hook["customHeaders"] = headers
    return [hook]


def parse_args(argv: list[str] | None = None, env: os._Environ | dict | None = None):
    env = os.environ if env is None else env
    defaults = Timings()
    parser = argparse.ArgumentParser(
        prog="python -m simulators.waha",
        description="A local WAHA (WhatsApp HTTP API) simulator with a phone page at /phone.",
    )
    parser.add_argument("--host", default=env.get("WAHA_SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("WAHA_SIM_PORT", "3000")))
    parser.add_argument(
        "--api-key",
        default=env.get("WAHA_SIM_API_KEY", "dev-waha-key"),
        help="the X-Api-Key clients must send ('' = none; 'sha512:<hex>' as WAHA accepts)",
    )
    parser.add_argument(
        "--public-url",
        default=env.get("WAHA_SIM_PUBLIC_URL"),
        help="base of media URLs in webhooks (default http://localhost:<port>)",
    )
    parser.add_argument(
        "--state",
        default=env.get("WAHA_SIM_STATE"),
        help="JSON file that keeps sessions (and their links) across restarts",
    )
    parser.add_argument("--start-delay", type=float, default=defaults.start_delay)
    parser.add_argument("--qr-interval", type=float, default=defaults.qr_interval)
    parser.add_argument("--ack-server-delay", type=float, default=defaults.ack_server_delay)
    parser.add_argument("--ack-device-delay", type=float, default=defaults.ack_device_delay)
    parser.add_argument(
        "--send-id-style",
        choices=("string", "webjs"),
        default=env.get("WAHA_SIM_SEND_ID_STYLE", "string"),
        help="send responses' id: a string (WAMessage) or WEBJS's {fromMe, remote, id, …} object",
    )
    parser.add_argument("--log-level", default=env.get("WAHA_SIM_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s waha-sim %(levelname)s %(message)s"
    )
    timings = Timings(
        start_delay=args.start_delay,
        qr_interval=args.qr_interval,
        ack_server_delay=args.ack_server_delay,
        ack_device_delay=args.ack_device_delay,
    )
    server = WahaSimServer(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        public_url=args.public_url or f"http://localhost:{args.port}",
        timings=timings,
        state_path=args.state,
        global_webhooks=_global_webhooks(os.environ),
        send_id_style=args.send_id_style,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("simulators.waha").info(
        "WAHA simulator on %s (API key %s) — phone page %s/phone",
        server.url,
        "set" if args.api_key else "none",
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
