from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from conftest import host_client
from tenants.companies.models import Company


def test_list_is_scoped_to_the_host_business(portal_a):
    response = portal_a.get("/api/v1/companies/")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Alpha Shop Main"]


def test_create_with_token_auth(business_a, owner_a):
    key = Token.objects.create(user=owner_a).key
    client = host_client("alpha.localhost")
    response = client.post(
        "/api/v1/companies/", {"name": "API Co", "kind": "service", "shop_type": "on_site"},
        content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"].startswith("COMP")
    with tenant_context(business_a):
        assert Company.objects.filter(name="API Co").exists()


def test_invalid_create_explains_each_field(portal_a):
    response = portal_a.post("/api/v1/companies/", {"name": "", "kind": "x"},
                             content_type="application/json")
    assert response.status_code == 400
    assert {"name", "kind"} <= set(response.json())


def test_code_cannot_be_set_through_the_api(portal_a, business_a):
    response = portal_a.post("/api/v1/companies/", {"name": "Sneaky", "code": "COMP777",
                                                    "kind": "product", "shop_type": "online"},
                             content_type="application/json")
    assert response.status_code == 201
    assert response.json()["code"] != "COMP777"


def test_token_of_a_member_of_a_gets_404_on_b(business_b, owner_a):
    key = Token.objects.create(user=owner_a).key
    response = host_client("beta.localhost").get(
        "/api/v1/companies/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
    assert "Beta" not in response.content.decode()


def test_anonymous_api_call_is_refused(business_a):
    response = host_client("alpha.localhost").get("/api/v1/companies/")
    assert response.status_code in (401, 403)


def test_schema_and_docs_are_published(db):
    client = host_client("localhost")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/companies/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
