from django_tenants.utils import tenant_context

from tenants.companies.models import Company


def test_dashboard_shows_company_cards_and_trial(portal_a):
    response = portal_a.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="company-card"') == 1
    assert "Alpha Shop Main" in html
    assert "Your free trial ends in 7 days." in html


def test_create_company_then_see_its_card(portal_a, business_a):
    response = portal_a.post("/companies/new/", {
        "name": "Garden Corner", "kind": "product", "shop_type": "physical", "status": "active",
        "description": "Seeds & tools"})
    assert response.status_code == 302
    html = portal_a.get("/").content.decode()
    assert "Garden Corner" in html and "Seeds &amp; tools" in html
    with tenant_context(business_a):
        assert Company.objects.get(name="Garden Corner").code.startswith("COMP")


def test_invalid_company_form_is_shown_again_with_422_and_errors(portal_a, business_a):
    response = portal_a.post("/companies/new/", {"name": "  ", "kind": "nope", "shop_type": "online",
                                                 "status": "active"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert "Select a valid choice." in html
    with tenant_context(business_a):
        assert Company.objects.count() == 1


def test_edit_and_delete_with_confirmation(portal_a, business_a):
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
    response = portal_a.post(f"/companies/{company.pk}/edit/", {
        "name": "Alpha Renamed", "kind": "service", "shop_type": "salon", "status": "suspended",
        "description": ""})
    assert response.status_code == 302
    confirm = portal_a.get(f"/companies/{company.pk}/delete/")
    assert "cannot be undone" in confirm.content.decode()
    with tenant_context(business_a):
        company.refresh_from_db()
        assert (company.name, company.kind, company.status) == ("Alpha Renamed", "service",
                                                                "suspended")
    assert portal_a.post(f"/companies/{company.pk}/delete/").status_code == 302
    with tenant_context(business_a):
        assert not Company.objects.filter(pk=company.pk).exists()


def test_russian_interface(portal_a):
    portal_a.cookies["django_language"] = "ru"
    html = portal_a.get("/").content.decode()
    assert "Компании" in html
    assert "Новая компания" in html
    assert 'lang="ru"' in html
