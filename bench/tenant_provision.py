"""How long does a new business take to provision? Cloning the template vs replaying migrations.

Creates a scratch database (dropped at the end), migrates it, then creates N businesses
through the sign-up service and prints median and p95 seconds per business, next to one
business whose schema is built by replaying every migration, in the same run.

    .venv/bin/python bench/tenant_provision.py [-n 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _scratch_database_url() -> tuple[str, str]:
    from config.env import load_dotenv

    load_dotenv(ROOT / ".env")
    url = os.environ.get("DATABASE_URL", "postgres://x8:x8@localhost:5432/x8")
    parts = urlparse(url)
    name = f"{parts.path.lstrip('/') or 'x8'}_bench"
    return urlunparse(parts._replace(path=f"/{name}")), name


def _admin_execute(url: str, sql: str) -> None:
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password, dbname="postgres", autocommit=True,
    ) as conn:
        conn.execute(sql)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="businesses to create (default 50)")
    args = parser.parse_args()

    url, name = _scratch_database_url()
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin_execute(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    try:
        import django

        django.setup()
        _run(args.n)
    finally:
        from django.db import connections

        connections.close_all()
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')


def _run(n: int) -> None:
    import logging

    from django.core.management import call_command
    from django.db import connection

    from accounts.services import business_signup
    from tenants.models import Business
    from tenants.services import business_create, public_tenant_ensure

    logging.disable(logging.INFO)
    print("migrating the scratch database (public schema and template) ...", flush=True)
    call_command("migrate_schemas", "--noinput", verbosity=0)
    public_tenant_ensure()

    signup_times: list[float] = []
    provision_times: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        business_signup(email=f"owner{i}@bench.example", password="Bench-Pass-2026",
                        business_name=f"Bench {i}", slug=f"bench-{i}")
        signup_times.append(time.perf_counter() - started)
    for i in range(n):
        started = time.perf_counter()
        business_create(name=f"Provision {i}", slug=f"provision-{i}")
        provision_times.append(time.perf_counter() - started)

    # The same business built the way it would be without a template: an empty schema and
    # every tenant migration replayed into it.
    replay = Business(name="Replayed", slug="replayed", schema_name="biz_replayed")
    replay.auto_create_schema = False
    replay.save()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "biz_replayed"')
    call_command("migrate_schemas", "--tenant", "-s", "biz_replayed", "--noinput", verbosity=0)
    replay_seconds = time.perf_counter() - started

    signup_median = statistics.median(signup_times)
    provision_median = statistics.median(provision_times)
    print()
    print(f"businesses created               {n} + {n}")
    print(f"sign-up service, per business    median {signup_median:.3f} s   "
          f"p95 {_percentile(signup_times, 0.95):.3f} s   (includes password hashing)")
    print(f"provisioning only (clone+rows)   median {provision_median:.3f} s   "
          f"p95 {_percentile(provision_times, 0.95):.3f} s")
    print(f"replaying migrations, 1 business {replay_seconds:.3f} s")
    print(f"ratio replay / clone (median)    {replay_seconds / provision_median:.1f}x faster by "
          f"cloning; sign-up {replay_seconds / signup_median:.1f}x")
    print(f"target: median under 0.3 s per business -> "
          f"{'met' if signup_median < 0.3 else 'NOT met'} (sign-up), "
          f"{'met' if provision_median < 0.3 else 'NOT met'} (provisioning)")


if __name__ == "__main__":
    main()
