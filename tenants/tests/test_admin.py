from conftest import host_client


def test_platform_admin_sees_businesses_with_trial_and_status(db, business_a):
    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.com", password="x")
    client = host_client("localhost", admin)
    html = client.get("/admin/tenants/business/").content.decode()
    assert "Alpha Shop" in html and "Beta Salon" in html
    assert "7 days left" in html
    assert "X8 Network" not in html.split("result_list")[1][:2000]  # the public row is hidden
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/membership/").status_code == 200


def test_business_owner_cannot_use_the_admin(owner_a):
    response = host_client("localhost", owner_a).get("/admin/tenants/business/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_is_not_served_on_business_hosts(portal_a):
    assert portal_a.get("/admin/").status_code == 404
