"""Who reaches a business host: members only; everyone else learns nothing."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import tenant_context

from conftest import host_client
from tenants.companies.models import Company


def test_anonymous_visitor_is_sent_to_log_in(business_a):
    response = host_client("alpha.localhost").get("/companies/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/companies/new/")


def test_logged_in_stranger_gets_404_on_another_business_host(business_b, owner_a):
    response = host_client("beta.localhost", owner_a).get("/")
    assert response.status_code == 404
    assert b"Beta Salon" not in response.content


def test_member_sees_their_dashboard(portal_a):
    response = portal_a.get("/")
    assert response.status_code == 200
    assert "Alpha Shop Main" in response.content.decode()


def test_unknown_host_is_404(db):
    assert host_client("nobody.localhost").get("/").status_code == 404


def _tenant_paths(b_company_id: int) -> list[str]:
    """Every URL of a business host, filled with business B's ids."""
    values = {"pk": str(b_company_id), "slug": "beta", "token": "x"}
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                full = prefix + route
                if full.startswith("^") or "(?P" in full:  # regex routes (DRF formats, allauth)
                    full = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "1"), full)
                    full = full.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\", "")
                full = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), full)
                paths.append("/" + full.lstrip("/"))

    walk(get_resolver("config.urls_tenant").url_patterns, "")
    return sorted(set(paths))


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_of_a_cannot_reach_anything_of_b(business_a, business_b, owner_a, method):
    with tenant_context(business_b):
        b_company = Company.objects.get(name="Beta Salon Main")
    with tenant_context(business_a):
        assert not Company.objects.filter(pk=b_company.pk).exists()
    paths = _tenant_paths(b_company.pk)
    assert f"/companies/{b_company.pk}/edit/" in paths
    assert f"/api/v1/companies/{b_company.pk}/" in paths

    for path in paths:
        for host in ("A", "B"):
            # a fresh session each time: the crawl also visits the log-out URL
            client = host_client("alpha.localhost" if host == "A" else "beta.localhost", owner_a)
            response = getattr(client, method)(path)
            body = response.content.decode(errors="replace")
            assert "Beta Salon" not in body, f"{method} {path} on {host} leaked B's data"
            if host == "B" and not path.startswith(("/accounts/", "/i18n/", "/healthz",
                                                    "/api/schema/", "/api/docs/")):
                assert response.status_code == 404, f"{method} {path} on B: {response.status_code}"
            if host == "A" and f"/{b_company.pk}/" in path:
                assert response.status_code in (404, 405), f"{method} {path} on A"
    with tenant_context(business_b):
        assert Company.objects.filter(pk=b_company.pk, name="Beta Salon Main").exists()
