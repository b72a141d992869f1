from pathlib import Path

import pytest

from conftest import host_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_running(db, celery_worker):
    return celery_worker


def test_healthz_is_ok_with_database_redis_and_a_worker(celery_worker_running):
    response = host_client("localhost").get("/healthz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert {name: check["status"][:2] for name, check in checks.items()} == {
        "database": "ok",
        "redis": "ok",
        "worker": "ok",
    }


def test_healthz_reports_a_missing_worker_with_503(db, settings):
    settings.HEALTHZ_WORKER_TIMEOUT = 0.3
    response = host_client("localhost").get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["worker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_reports_redis_down_with_503(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.HEALTHZ_WORKER_TIMEOUT = 0.3
    response = host_client("localhost").get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "down"
    assert "Connection" in response.json()["checks"]["redis"]["error"]


def test_healthz_answers_on_business_hosts_too(business_a, settings):
    settings.HEALTHZ_WORKER_TIMEOUT = 0.3
    response = host_client("alpha.localhost").get("/healthz")
    assert response.status_code in (200, 503)
    assert set(response.json()["checks"]) == {"database", "redis", "worker"}
