import pytest

from simulators.stripe.__main__ import parse_args


def test_defaults_come_from_the_environment():
    args = parse_args(
        [],
        env={
            "STRIPE_SIM_PORT": "12200",
            "STRIPE_SIM_WEBHOOK_URL": "http://localhost:8000/stripe/webhook/",
            "STRIPE_SIM_WEBHOOK_SECRET": "whsec_dev",
            "STRIPE_SIM_WEBHOOK_RETRY_DELAYS": "0.5,2",
            "STRIPE_SIM_WEBHOOK_EVENTS": "invoice.*,checkout.session.completed",
        },
    )

    assert (args.port, args.host, args.api_key, args.public_url) == (12200, "127.0.0.1", None, None)
    assert (args.webhook_url, args.webhook_secret) == (
        "http://localhost:8000/stripe/webhook/",
        "whsec_dev",
    )
    assert args.webhook_retry_delays == (0.5, 2.0)
    assert args.webhook_events == "invoice.*,checkout.session.completed"


def test_arguments_win_over_the_environment():
    args = parse_args(
        [
            "--port", "12111",
            "--api-key", "sk_test_sim",
            "--public-url", "http://localhost:12111",
            "--state", "var/stripe-sim.json",
        ],
        env={"STRIPE_SIM_PORT": "1", "STRIPE_SIM_API_KEY": "sk_test_other"},
    )  # fmt: skip

    assert (args.port, args.api_key, args.public_url, args.state) == (
        12111,
        "sk_test_sim",
        "http://localhost:12111",
        "var/stripe-sim.json",
    )
    assert args.webhook_url is None


def test_a_webhook_url_needs_its_secret():
    with pytest.raises(SystemExit):
        parse_args(["--webhook-url", "http://localhost:8000/hook"], env={})
