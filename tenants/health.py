"""/healthz: is the database, Redis and at least one Celery worker answering?"""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return "ok"


def _check_worker() -> str:
    from config.celery import app

    # limit=1: return as soon as one worker answers instead of waiting out the timeout.
    replies = app.control.ping(timeout=settings.HEALTHZ_WORKER_TIMEOUT, limit=1)
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)})"


CHECKS = {"database": _check_database, "redis": _check_redis, "worker": _check_worker}


@never_cache
@require_GET
def healthz(request):
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            status = {"status": check()}
        except Exception as exc:  # noqa: BLE001 - any failure means "down", with its reason
            healthy = False
            status = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        status["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = status
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": results}, status=200 if healthy else 503
    )
