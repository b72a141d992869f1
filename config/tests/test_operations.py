import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django_tenants.utils import tenant_context

from config.logging import ContextFilter, JsonFormatter
from conftest import host_client

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "k" * 20 + "-prod-secret-for-the-check-" + "z" * 20,
        "SITE_DOMAIN": "x8.example.com",
        "SECRETS_ENCRYPTION_KEYS": "hB2VvK3x3lMyYt9mWdLk1e0kGQy8m3p5oXwCq3sJbFI=",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.prod", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _log_line(message: str) -> dict:
    record = logging.LogRecord("x8.test", logging.INFO, __file__, 1, message, None, None)
    record.order = 42
    ContextFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_logs_are_json_and_carry_the_business_schema(business_a):
    assert _log_line("outside")["schema"] == "public"
    with tenant_context(business_a):
        line = _log_line("inside")
    assert line["schema"] == "biz_alpha"
    assert line["message"] == "inside"
    assert line["order"] == 42
    assert connection.schema_name == "public"


def test_every_response_carries_a_request_id(db):
    response = host_client("localhost").get("/", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"


def test_env_example_lists_every_variable_the_settings_read():
    import re

    settings_text = "".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    names = set(re.findall(r'env(?:_int|_bool|_list)?\(\s*"([A-Z0-9_]+)"', settings_text))
    names |= {f"{p}_CLIENT_{k}" for p in ("GOOGLE", "FACEBOOK") for k in ("ID", "SECRET")}
    example = (ROOT / ".env.example").read_text()
    missing = sorted(n for n in names if not re.search(rf"^#?\s*{n}=", example, re.M))
    assert not missing, f".env.example does not list {missing}"


def test_vendored_assets_are_served_without_a_cdn(db):
    client = host_client("localhost")
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
    html = client.get("/").content.decode()
    assert "https://" not in "".join(
        line for line in html.splitlines() if "<script" in line or "stylesheet" in line)


def test_russian_catalog_is_complete():
    import polib

    po = polib.pofile(str(ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    mo = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.mo"
    assert mo.stat().st_mtime >= 0 and mo.stat().st_size > 1000


def test_public_pages_switch_language(db):
    client = host_client("localhost")
    client.cookies["django_language"] = "ru"
    html = client.get("/signup/").content.decode()
    assert "Начните бесплатный период" in html
