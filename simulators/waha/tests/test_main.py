from simulators.waha.__main__ import _global_webhooks, parse_args


def test_defaults_come_from_the_environment():
    args = parse_args([], env={"WAHA_SIM_PORT": "3100", "WAHA_SIM_API_KEY": "k"})

    assert (args.port, args.api_key, args.host) == (3100, "k", "127.0.0.1")
    assert args.public_url is None  # then http://localhost:<port>


def test_arguments_win_over_the_environment():
    args = parse_args(
        ["--port", "3000", "--api-key", "dev", "--state", "var/waha.json", "--qr-interval", "5"],
        env={"WAHA_SIM_PORT": "3100", "WAHA_SIM_PUBLIC_URL": "http://waha.test"},
    )

    assert (args.port, args.api_key, args.state, args.qr_interval) == (
        3000,
        "dev",
        "var/waha.json",
        5,
    )
    assert args.public_url == "http://waha.test"


def test_global_webhook_from_whatsapp_hook_variables():
    hooks = _global_webhooks(
        {
            "WHATSAPP_HOOK_URL": "http://localhost:8000/hooks/waha",
            "WHATSAPP_HOOK_EVENTS": "message, session.status",
            "WHATSAPP_HOOK_HMAC_KEY": "secret",
            "WHATSAPP_HOOK_RETRIES_ATTEMPTS": "4",
            "WHATSAPP_HOOK_CUSTOM_HEADERS": "X-A:1;X-B:2",
        }
    )

    assert hooks == [
        {
            "url": "http://localhost:8000/hooks/waha",
            "events": ["message", "session.status"],
            "hmac": {"key": "secret"},
            "retries": {"attempts": 4},
            "customHeaders": [{"name": "X-A", "value": "1"}, {"name": "X-B", "value": "2"}],
        }
    ]
    assert _global_webhooks({}) == []
