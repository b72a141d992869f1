"""Who manages which business: set by platform admins, one manager per business (by the
database), every change kept, and two admins at the same moment never both "win"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connections, transaction

from accounts.models import User
from conftest import host_client
from managers import services
from managers.models import Assignment, AssignmentChange
from managers.tests.admin_fixtures import (  # noqa: F401
    admin_client_,
    manager,
    other_manager,
    platform_admin,
    platform_user,
)
from tenants.models import Business

ADD = "/admin/managers/assignment/add/"


def _change(business) -> str:
    return f"/admin/managers/assignment/{business.pk}/change/"


# ----------------------------------------------------------------------------- the admin


@pytest.mark.django_db
def test_an_admin_assigns_a_business_and_the_change_is_kept(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    business_a,
):
    form = admin_client_.get(f"{ADD}?business={business_a.pk}")
    assert form.status_code == 200

    page = admin_client_.post(
        ADD, {"business": business_a.pk, "manager": manager.pk, "expected_manager": ""}
    )

    assert page.status_code == 302
    assignment = Assignment.objects.get(business=business_a)
    assert (assignment.manager, assignment.assigned_by) == (manager, platform_admin)
    change = AssignmentChange.objects.get(business=business_a)
    assert (change.previous_manager, change.manager, change.changed_by) == (
        None,
        manager,
        platform_admin,
    )
    assert change.changed_at is not None


@pytest.mark.django_db
def test_reassigning_keeps_from_whom_to_whom_by_whom(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    other_manager,  # noqa: F811
    business_a,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)
    form = admin_client_.get(_change(business_a)).content.decode()
    assert f'name="expected_manager" value="{manager.pk}"' in form

    page = admin_client_.post(
        _change(business_a), {"manager": other_manager.pk, "expected_manager": manager.pk}
    )

    assert page.status_code == 302
    assert Assignment.objects.get(business=business_a).manager == other_manager
    latest = AssignmentChange.objects.filter(business=business_a).first()
    assert (latest.previous_manager, latest.manager, latest.changed_by) == (
        manager,
        other_manager,
        platform_admin,
    )
    history = admin_client_.get("/admin/managers/assignmentchange/").content.decode()
    assert "manager-one@example.com" in history and "manager-two@example.com" in history


@pytest.mark.django_db
def test_a_form_opened_before_someone_else_reassigned_is_refused_with_a_clear_message(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    other_manager,  # noqa: F811
    business_a,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)
    third = platform_user("manager-three@example.com", role=User.PlatformRole.MANAGER)
    # Someone else moves the business to the other manager after this form was opened...
    services.assignment_set(business=business_a, manager=other_manager, by=platform_admin)

    page = admin_client_.post(
        _change(business_a),
        {"manager": third.pk, "expected_manager": manager.pk},
        follow=True,
    )

    assert page.status_code == 200
    assert (
        "Someone else has just assigned Alpha Shop to manager-two@example.com"
        in page.content.decode()
    )
    assert Assignment.objects.get(business=business_a).manager == other_manager
    assert AssignmentChange.objects.filter(business=business_a).count() == 2


@pytest.mark.django_db
def test_removing_the_manager_is_kept_in_the_history(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    business_a,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)

    page = admin_client_.post(
        f"/admin/managers/assignment/{business_a.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 302
    assert not Assignment.objects.filter(business=business_a).exists()
    latest = AssignmentChange.objects.filter(business=business_a).first()
    assert (latest.previous_manager, latest.manager) == (manager, None)


@pytest.mark.django_db
def test_only_active_platform_managers_can_be_chosen(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    business_a,
    owner_a,
):
    page = admin_client_.post(ADD, {"business": business_a.pk, "manager": owner_a.pk})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    with pytest.raises(services.ManagersError) as refused:
        services.assignment_set(business=business_a, manager=owner_a, by=platform_admin)
    assert refused.value.code == services.ManagersErrorCode.NOT_A_MANAGER
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_a_business_already_assigned_cannot_be_added_twice(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    other_manager,  # noqa: F811
    business_a,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)
    page = admin_client_.post(ADD, {"business": business_a.pk, "manager": other_manager.pk})
    assert page.status_code == 200
    assert "already exists" in page.content.decode()
    assert Assignment.objects.get(business=business_a).manager == manager


@pytest.mark.django_db
def test_the_business_list_shows_and_filters_by_manager(
    admin_client_,  # noqa: F811
    platform_admin,  # noqa: F811
    manager,  # noqa: F811
    business_a,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)

    everything = admin_client_.get("/admin/tenants/business/").content.decode()
    theirs = admin_client_.get(f"/admin/tenants/business/?manager={manager.pk}").content.decode()
    nobodys = admin_client_.get("/admin/tenants/business/?manager=none").content.decode()

    assert "manager-one@example.com" in everything and "Beta Salon" in everything
    assert "Alpha Shop" in theirs and "Beta Salon" not in theirs
    assert (
        "Beta Salon" in nobodys
        and f'href="/admin/tenants/business/{business_a.pk}/change/"' not in nobodys
    )
    page = admin_client_.get(f"/admin/tenants/business/{business_a.pk}/change/").content.decode()
    assert f"/admin/managers/assignment/{business_a.pk}/change/" in page


@pytest.mark.django_db
def test_managers_cannot_see_or_change_assignments(
    manager,  # noqa: F811
    other_manager,  # noqa: F811
    platform_admin,  # noqa: F811
    business_a,
    business_b,
):
    services.assignment_set(business=business_a, manager=manager, by=platform_admin)
    client = host_client("localhost", manager)

    assert client.get("/admin/managers/assignment/").status_code == 403
    assert client.get(_change(business_a)).status_code == 404
    taken = client.post(ADD, {"business": business_b.pk, "manager": manager.pk})
    assert taken.status_code == 403
    moved = client.post(_change(business_a), {"manager": other_manager.pk})
    assert moved.status_code == 404
    assert client.get("/admin/managers/assignmentchange/").status_code == 403
    assert list(Assignment.objects.values_list("business_id", "manager_id")) == [
        (business_a.pk, manager.pk)
    ]


# ----------------------------------------------------------------------------- at the same moment


@pytest.fixture
def racers(committed_db):
    """Two admins and two managers, committed (the racing threads use connections of
    their own); everything they made is removed afterwards."""
    people = [
        platform_user(f"race-{role}-{n}@example.com", role=role)
        for role in ("admin", "manager")
        for n in (1, 2)
    ]
    User.objects.filter(platform_role="admin", pk__in=[p.pk for p in people]).update(
        is_superuser=True
    )
    business = Business.objects.get(slug="alpha")
    yield business, people[:2], people[2:]
    AssignmentChange.objects.filter(business=business).delete()
    Assignment.objects.filter(business=business).delete()
    User.objects.filter(pk__in=[person.pk for person in people]).delete()


def _at_once(*runs: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread (and connection), released together."""
    barrier = threading.Barrier(len(runs))
    results: list[object] = [None] * len(runs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = runs[index]()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


#: How long each racer keeps its transaction open after writing, so the two overlap.
HOLD_SECONDS = 0.3


def test_two_admins_assigning_at_the_same_moment_one_wins_the_other_is_told(racers):
    business, (admin_1, admin_2), (manager_1, manager_2) = racers

    def assign(chosen, admin):
        def run():
            # As in the admin, the write commits only when the whole request is done.
            with transaction.atomic():
                result = services.assignment_set(
                    business=business, manager=chosen, by=admin, expected_manager_id=None
                )
                time.sleep(HOLD_SECONDS)
            return result

        return run

    results = _at_once(assign(manager_1, admin_1), assign(manager_2, admin_2))

    won = [result for result in results if isinstance(result, Assignment)]
    lost = [result for result in results if isinstance(result, services.ManagersError)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code == services.ManagersErrorCode.ASSIGNMENT_CONFLICT
    winner = Assignment.objects.get(business=business)
    assert winner.manager_id == won[0].manager_id
    assert winner.manager.email in lost[0].message
    assert AssignmentChange.objects.filter(business=business).count() == 1


def test_two_admins_posting_the_admin_form_at_the_same_moment_get_no_error_page(
    racers, monkeypatch
):
    business, (admin_1, admin_2), (manager_1, manager_2) = racers
    clients = [host_client("localhost", admin_1), host_client("localhost", admin_2)]
    assign = services.assignment_set

    def assign_slowly(**kwargs):
        # The request's transaction stays open a little after the write, so both overlap.
        result = assign(**kwargs)
        time.sleep(HOLD_SECONDS)
        return result

    monkeypatch.setattr(services, "assignment_set", assign_slowly)

    def post(client, chosen):
        data = {"business": business.pk, "manager": chosen.pk, "expected_manager": ""}
        return lambda: client.post(ADD, data, follow=True)

    responses = _at_once(post(clients[0], manager_1), post(clients[1], manager_2))

    assert all(getattr(response, "status_code", None) == 200 for response in responses), responses
    pages = [response.content.decode() for response in responses]
    refused = [
        page
        for page in pages
        if "Someone else has just assigned Alpha Shop" in page or "already exists" in page
    ]
    assert len(refused) == 1
    winner = Assignment.objects.get(business=business)
    assert winner.manager_id in (manager_1.pk, manager_2.pk)
    assert AssignmentChange.objects.filter(business=business).count() == 1


def test_an_assignment_written_without_the_lock_is_still_refused_by_the_primary_key(racers):
    """A second insert of the same business waits for the first and then fails on the key:
    the service turns that into the same clear refusal."""
    business, (admin_1, admin_2), (manager_1, manager_2) = racers
    inserted, release = threading.Event(), threading.Event()

    def bypassing_insert():
        with transaction.atomic():
            Assignment.objects.create(business=business, manager=manager_1, assigned_by=admin_1)
            inserted.set()
            release.wait(timeout=10)
        return "committed"

    def through_the_service():
        inserted.wait(timeout=10)
        timer = threading.Timer(0.5, release.set)  # commit while the service waits on the key
        timer.start()
        return services.assignment_set(
            business=business, manager=manager_2, by=admin_2, expected_manager_id=None
        )

    first, second = _at_once(bypassing_insert, through_the_service)

    assert first == "committed"
    assert isinstance(second, services.ManagersError), second
    assert manager_1.email in second.message
    assert Assignment.objects.get(business=business).manager == manager_1
    assert not AssignmentChange.objects.filter(business=business).exists()


# ----------------------------------------------------------------------------- demo data


@pytest.mark.django_db
def test_the_demo_has_an_admin_and_two_managers_who_see_only_their_businesses():
    import io

    from django.core.management import call_command

    from billing.entitlements import entitlements_for

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)  # a second run changes nothing

    admin = User.objects.get(email="admin@example.com")
    assert admin.check_password("admin-pass-2026") and admin.is_platform_admin
    assigned = {}
    for email in ("manager1@example.com", "manager2@example.com"):
        person = User.objects.get(email=email)
        assert person.check_password("manager-pass-2026")
        assert person.is_platform_manager and person.is_staff and person.is_active
        assigned[email] = set(
            Assignment.objects.filter(manager=person).values_list("business__slug", flat=True)
        )
    assert assigned == {
        "manager1@example.com": {"demo", "harbor-bakery"},
        "manager2@example.com": {"nord-fitness", "blue-lagoon-spa"},
    }
    assert AssignmentChange.objects.filter(changed_by=admin).count() == 4
    states = {
        slug: entitlements_for(Business.objects.get(slug=slug)).state
        for slug in ("harbor-bakery", "nord-fitness", "blue-lagoon-spa")
    }
    assert states == {
        "harbor-bakery": "active",
        "nord-fitness": "trialing",
        "blue-lagoon-spa": "expired",
    }
    printed = out.getvalue()
    assert "manager1@example.com / manager-pass-2026: Demo Business, Harbor Bakery" in printed
    # A manager of the demo logs in with the printed password and sees only their own.
    client = host_client("localhost")
    assert client.login(email="manager1@example.com", password="manager-pass-2026")
    businesses = client.get("/admin/tenants/business/").content.decode()
    assert "Harbor Bakery" in businesses and "Demo Business" in businesses
    assert "Nord Fitness" not in businesses and "Blue Lagoon Spa" not in businesses
