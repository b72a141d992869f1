import io
import os
import socket
import subprocess
from pathlib import Path

from django.core.management import call_command
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from knowledge.models import KnowledgeBase
from tenants.companies.models import Company
from tenants.models import Business

ROOT = Path(__file__).resolve().parents[2]


def test_demo_data_loads_once_with_two_companies_and_logins(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)  # a second run changes nothing
    assert "already loaded" in out.getvalue()
    demo = Business.objects.get(slug="demo")
    owner = User.objects.get(email="demo@example.com")
    assert owner.check_password("demo-pass-2026")
    assert Membership.objects.get(business=demo, user=owner).role == "owner"
    assert User.objects.get(email="admin@example.com").check_password("admin-pass-2026")
    with tenant_context(demo):
        assert sorted(Company.objects.values_list("kind", flat=True)) == ["product", "service"]
        assert Company.objects.count() == 2
        bases = {
            base.company.name: (base.kind, base.items.count())
            for base in KnowledgeBase.objects.select_related("company")
        }
        assert bases == {"Green Home Store": ("product", 20), "Master Electric": ("service", 170)}
    assert out.getvalue().count("Knowledge base:") == 2, "imported on the first run only"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_services_script_starts_redis_when_none_runs():
    port = _free_port()
    env = {**os.environ, "REDIS_PORT": str(port)}
    try:
        result = subprocess.run(["bash", "config/scripts/services.sh"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "starting Redis" in result.stdout
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            assert conn.recv(16).startswith(b"+PONG")
        # a second run reuses what is running
        again = subprocess.run(["bash", "config/scripts/services.sh"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
        assert f"Redis is running on port {port}" in again.stdout
    finally:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")


def test_services_script_names_what_is_missing_when_it_cannot_reach_postgres():
    env = {**os.environ, "DATABASE_URL": "postgres://x8:x8@db.invalid:5432/x8"}
    result = subprocess.run(["bash", "config/scripts/services.sh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "PostgreSQL at db.invalid:5432 does not answer" in result.stderr
