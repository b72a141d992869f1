"""A manager's day in three real browsers on a real daphne: a platform admin assigns Alpha
Shop to a manager, the manager logs in and sees only it, replaces a token of its WhatsApp
connection in SystemData, and chats with the business while its owner answers in the
portal, each side seeing the other's messages without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from conftest import chromium
from connections.models import Connection
from managers.models import AccessLog, Assignment, AssignmentChange, ManagerMessage

pytestmark = pytest.mark.browser

PASSWORD = "Manager-Day-2026"
OWNER_PASSWORD = "pass-word-2026"  # owner A's, as the session set-up makes it
OLD_TOKEN = "alpha-api-token-0001"
NEW_TOKEN = "alpha-api-token-fresh-7777"


def _staff(email: str, *, full_name: str, role: str, superuser: bool = False) -> User:
    user = User.objects.create_user(
        email=email, password=PASSWORD, full_name=full_name, platform_role=role, is_staff=True
    )
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user


def _whatsapp(business, *, external_id: str, secrets: dict[str, str]) -> Connection:
    connection = Connection(
        business=business,
        platform=Connection.Platform.WHATSAPP,
        external_id=external_id,
        status=Connection.Status.CONNECTED,
        provider_status="WORKING",
    )
    connection.secrets_set(secrets)
    connection.save()
    return connection


@pytest.fixture
def world(daphne_server, business_a, business_b, owner_a):
    """An admin; manager M with nothing yet; B already another manager's; a WhatsApp
    connection for each business. Committed, so the daphne process sees it."""
    admin = _staff(
        "day-admin@example.com", full_name="Ada Admin", role=User.PlatformRole.ADMIN, superuser=True
    )
    manager = _staff(
        "day-manager@example.com", full_name="Maria Manager", role=User.PlatformRole.MANAGER
    )
    other = _staff(
        "day-other-manager@example.com", full_name="Oleg Other", role=User.PlatformRole.MANAGER
    )
    Assignment.objects.create(business=business_b, manager=other, assigned_by=admin)
    connection_a = _whatsapp(
        business_a,
        external_id="alpha-day-wa",
        secrets={"hmac_key": "alpha-day-hmac", "api_token": OLD_TOKEN},
    )
    _whatsapp(business_b, external_id="beta-day-hidden", secrets={"hmac_key": "beta-day-hmac"})
    return {
        "port": daphne_server,
        "admin": admin,
        "manager": manager,
        "owner": owner_a,
        "a": business_a,
        "b": business_b,
        "connection_a": connection_a,
    }


def _admin_login(page, public: str, user: User) -> None:
    page.goto(f"{public}/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{public}/admin/")


def _live(page) -> None:
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")


def test_an_admin_assigns_a_business_and_its_manager_looks_after_it(world):
    port, manager, business_a, business_b = (
        world["port"],
        world["manager"],
        world["a"],
        world["b"],
    )
    public = f"http://localhost:{port}"
    portal = f"http://{business_a.slug}.localhost:{port}"

    with chromium() as browser:
        admin_page, manager_page, owner_page = (browser.new_context().new_page() for _ in range(3))
        for page in (admin_page, manager_page, owner_page):
            page.set_default_timeout(15_000)

        # 1. The platform admin assigns Alpha Shop to M from the business's page.
        _admin_login(admin_page, public, world["admin"])
        admin_page.goto(f"{public}/admin/tenants/business/")
        admin_page.locator("#result_list").get_by_role("link", name="Alpha Shop").click()
        admin_page.wait_for_url(f"{public}/admin/tenants/business/{business_a.pk}/change/")
        admin_page.get_by_role("link", name="assign", exact=True).click()
        admin_page.wait_for_url(f"{public}/admin/managers/assignment/add/?business=*")
        expect(admin_page.locator("#id_business")).to_have_value(str(business_a.pk))
        admin_page.locator("#id_manager").select_option(label=manager.email)
        admin_page.locator("input[name=_save]").click()
        expect(admin_page.locator(".messagelist .success")).to_contain_text(
            "was added successfully"
        )

        # 2. M logs in and sees Alpha Shop only; Beta Salon's page is not found.
        _admin_login(manager_page, public, manager)
        manager_page.locator(".app-tenants .model-business th a").click()
        manager_page.wait_for_url(f"{public}/admin/tenants/business/")
        expect(manager_page.locator("#result_list")).to_contain_text("Alpha Shop")
        expect(manager_page.locator("#result_list tbody tr")).to_have_count(1)
        expect(manager_page.locator("body")).not_to_contain_text("Beta Salon")
        guessed = manager_page.goto(f"{public}/admin/tenants/business/{business_b.pk}/change/")
        assert guessed is not None and guessed.status == 404

        # 3. In SystemData M sees A's connection only, and replaces its API token.
        manager_page.goto(f"{public}/admin/")
        manager_page.locator(".app-connections .model-connection th a").click()
        manager_page.wait_for_url(f"{public}/admin/connections/connection/")
        rows = manager_page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("alpha-day-wa")
        expect(manager_page.locator("body")).not_to_contain_text("beta-day-hidden")
        expect(manager_page.locator("body")).not_to_contain_text(OLD_TOKEN)

        rows.get_by_role("link", name="Secrets and reconnect").click()
        tools = f"{public}/admin/connections/connection/{world['connection_a'].pk}/secrets/"
        manager_page.wait_for_url(tools)
        manager_page.get_by_test_id("secret-api_token").get_by_role("link", name="Replace").click()
        expect(manager_page.locator("#id_key")).to_have_value("api_token")
        manager_page.get_by_label("New value").fill(NEW_TOKEN)
        manager_page.locator("#secret-replace input[type=submit]").click()
        manager_page.wait_for_url(tools)
        expect(manager_page.locator(".messagelist .success")).to_contain_text(
            "The secret “api_token” was replaced."
        )
        expect(manager_page.locator("body")).not_to_contain_text(NEW_TOKEN)

        # 4. The owner has "Your manager" open in the portal; M writes from the admin.
        owner_page.goto(f"{portal}/accounts/login/?next=/manager/")
        form = owner_page.locator("form:has(input[name=password])")
        form.locator("input[name=login]").fill(world["owner"].email)
        form.locator("input[name=password]").fill(OWNER_PASSWORD)
        form.locator("button[type=submit]").click()
        owner_page.wait_for_url(f"{portal}/manager/")
        expect(owner_page.get_by_test_id("manager-name")).to_contain_text("Maria Manager")
        _live(owner_page)
        owner_page.evaluate("window.notReloaded = true")

        manager_page.goto(f"{public}/admin/")
        manager_page.locator(f"tr[data-business='{business_a.pk}']").get_by_role(
            "link", name="Open chat"
        ).click()
        manager_page.wait_for_url(f"{public}/admin/x8/chat/{business_a.pk}/")
        _live(manager_page)
        manager_page.evaluate("window.notReloaded = true")
        manager_page.get_by_label("Message").fill("Hello from Maria: your API token is renewed.")
        manager_page.get_by_test_id("chat-send").click()

        expect(owner_page.get_by_test_id("chat-message-theirs")).to_contain_text(
            "your API token is renewed."
        )
        assert owner_page.evaluate("window.notReloaded") is True

        owner_page.get_by_label("Message").fill("Thank you, Maria!")
        owner_page.get_by_test_id("chat-send").click()
        expect(manager_page.get_by_test_id("chat-message-theirs")).to_contain_text(
            "Thank you, Maria!"
        )
        assert manager_page.evaluate("window.notReloaded") is True

    # The database is read once the browser is closed: while Playwright's event loop runs,
    # the ORM takes a connection of its own there, which nothing would close.
    assignment = Assignment.objects.get(business=business_a)
    assert (assignment.manager, assignment.assigned_by) == (manager, world["admin"])
    assert AssignmentChange.objects.filter(
        business=business_a, previous_manager=None, manager=manager
    ).exists()

    connection_a = Connection.objects.get(pk=world["connection_a"].pk)
    assert connection_a.secrets_encrypted != world["connection_a"].secrets_encrypted
    assert NEW_TOKEN not in connection_a.secrets_encrypted
    assert connection_a.secrets == {"hmac_key": "alpha-day-hmac", "api_token": NEW_TOKEN}
    entry = AccessLog.objects.get(action=AccessLog.Action.SECRET_REPLACE)
    assert (entry.user, entry.business) == (manager, business_a)
    assert "api_token" in entry.target and NEW_TOKEN not in entry.target

    sent = list(
        ManagerMessage.objects.filter(business=business_a)
        .order_by("created_at")
        .values_list("side", "author__email")
    )
    assert sent == [("manager", manager.email), ("business", world["owner"].email)]
