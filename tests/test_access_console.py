"""Admins manage warehouse access in the console and guardian's pages; every change is in the access log."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from inventory import access, services
from inventory.models import AccessEvent, WarehouseGroupPermission, WarehouseUserPermission
from inventory.roles import ADMINISTRATOR, CLERK, MANAGER, ROLE_PERMISSIONS
from tests.factories import UserFactory, WarehouseFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    return UserFactory(username="access_admin", roles=[ADMINISTRATOR])


@pytest.fixture
def administrator_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def north(db):
    return WarehouseFactory(code="NORTH", name="North depot")


def test_administrator_grants_many_users_many_warehouses_at_once(administrator_client, administrator, north):
    main = WarehouseFactory(code="MAIN", name="Main")
    anna, ben = UserFactory(username="anna", roles=[CLERK]), UserFactory(username="ben", roles=[CLERK])

    response = administrator_client.post(
        reverse("admin:access_console"),
        {
            "operation": "grant",
            "permission": "operate_stock",
            "warehouses": [main.pk, north.pk],
            "users": [anna.pk, ben.pk],
        },
        follow=True,
    )

    assert "Granted operate in MAIN, NORTH for anna, ben (4 changes)." in response.content.decode()
    for user in (anna, ben):
        assert access.warehouse_ids_for(user, "operate_stock") == {main.pk, north.pk}
    events = AccessEvent.objects.filter(action=AccessEvent.Action.GRANT, permission="operate_stock")
    assert events.count() == 4
    assert set(events.values_list("actor__username", flat=True)) == {"access_admin"}


def test_granting_a_new_level_replaces_the_old_one_and_logs_both(administrator, north):
    clerk = UserFactory(username="clara", roles=[CLERK])
    grant(clerk, "view_stock", north)

    services.grant_warehouse_permission(
        actor=administrator, permission="manage_stock", warehouses=[north], users=[clerk]
    )

    assert list(WarehouseUserPermission.objects.filter(user=clerk).values_list("permission__codename", flat=True)) == [
        "manage_stock"
    ]
    events = (
        AccessEvent.objects.filter(user=clerk, warehouse=north)
        .order_by("id")
        .values_list("action", "permission", "actor")
    )
    assert list(events) == [
        ("grant", "view_stock", None),
        ("revoke", "view_stock", administrator.pk),
        ("grant", "manage_stock", administrator.pk),
    ]


def test_revoking_view_takes_away_stronger_grants_too(administrator_client, north):
    manager = UserFactory(username="mona", roles=[MANAGER])
    grant(manager, "manage_stock", north)

    administrator_client.post(
        reverse("admin:access_console"),
        {"operation": "revoke", "permission": "view_stock", "warehouses": [north.pk], "users": [manager.pk]},
    )

    assert access.warehouse_ids_for(manager, "view_stock") == frozenset()
    assert AccessEvent.objects.filter(user=manager, action="revoke", permission="manage_stock").exists()


def test_group_grant_reaches_its_members(administrator, north):
    member = UserFactory(username="gina", roles=[CLERK])

    services.grant_warehouse_permission(
        actor=administrator, permission="operate_stock", warehouses=[north], groups=[Group.objects.get(name=CLERK)]
    )

    assert access.warehouse_ids_for(member, "operate_stock") == {north.pk}
    assert WarehouseGroupPermission.objects.filter(group__name=CLERK, content_object=north).exists()
    assert AccessEvent.objects.filter(group__name=CLERK, action="grant", warehouse=north).exists()


def test_console_form_without_anyone_chosen_changes_nothing_and_says_why(administrator_client, north):
    before = AccessEvent.objects.count()
    response = administrator_client.post(
        reverse("admin:access_console"), {"operation": "grant", "permission": "view_stock", "warehouses": [north.pk]}
    )

    assert response.status_code == 200
    assert "Choose at least one user or role." in response.content.decode()
    assert AccessEvent.objects.count() == before


def test_console_matrix_shows_each_grant(administrator_client, north):
    user = UserFactory(username="otto", roles=[CLERK])
    grant(user, "operate_stock", north)

    matrix = administrator_client.get(reverse("admin:access_console")).context["matrix"]

    row = next(row for row in matrix["rows"] if row["name"] == "otto")
    column = [warehouse.code for warehouse in matrix["warehouses"]].index("NORTH")
    assert row["cells"][column] == "operate"
    assert row["roles"] == CLERK


@pytest.mark.parametrize("username", ["manager", "clerk"])
def test_people_who_do_not_manage_access_cannot_open_the_console(client, manager, clerk, username, north):
    client.force_login(manager if username == "manager" else clerk)

    assert client.get(reverse("admin:access_console")).status_code == 403
    response = client.post(
        reverse("admin:access_console"),
        {"operation": "grant", "permission": "manage_stock", "warehouses": [north.pk], "users": [clerk.pk]},
    )
    assert response.status_code == 403
    assert access.warehouse_ids_for(clerk, "manage_stock") == frozenset()


def test_service_refuses_a_grant_by_someone_who_does_not_manage_access(manager, clerk, north):
    before = AccessEvent.objects.count()
    with pytest.raises(services.NotAllowed):
        services.grant_warehouse_permission(actor=manager, permission="view_stock", warehouses=[north], users=[clerk])
    assert AccessEvent.objects.count() == before


def test_view_as_summarises_roles_warehouses_and_abilities(administrator_client, north):
    main = WarehouseFactory(code="MAIN", name="Main")
    user = UserFactory(username="vera", roles=[CLERK])
    grant(user, "operate_stock", main)
    services.grant_warehouse_permission(
        actor=UserFactory(username="root", is_superuser=True),
        permission="view_stock",
        warehouses=[north],
        groups=[Group.objects.get(name=CLERK)],
    )

    response = administrator_client.get(reverse("admin:access_view_as", args=[user.pk]))

    summary = {entry["warehouse"].code: entry for entry in response.context["summary"]}
    assert set(summary) == {"MAIN", "NORTH"}
    assert summary["MAIN"]["sources"] == ["granted directly"]
    assert "post receipts, issues and transfers" in summary["MAIN"]["abilities"]
    assert summary["NORTH"]["sources"] == [f"through {CLERK}"]
    assert "post receipts, issues and transfers" not in summary["NORTH"]["abilities"]
    assert CLERK in response.content.decode()


def test_view_as_for_a_user_without_grants_says_they_see_no_stock(administrator_client):
    user = UserFactory(username="nobody")

    response = administrator_client.get(reverse("admin:access_view_as", args=[user.pk]))

    assert "this user sees no stock at all" in response.content.decode()


def test_adding_a_user_to_a_role_in_the_user_admin_is_logged_with_who_did_it(administrator_client, administrator):
    user = UserFactory(username="newbie")
    clerk_role = Group.objects.get(name=CLERK)
    change = administrator_client.get(reverse("admin:auth_user_change", args=[user.pk]))
    data = {
        key: value
        for key, value in change.context["adminform"].form.initial.items()
        if value is not None and key not in ("groups", "user_permissions", "password", "last_login")
    }
    data.update({"groups": [clerk_role.pk], "date_joined_0": "2025-01-01", "date_joined_1": "10:00:00"})

    response = administrator_client.post(reverse("admin:auth_user_change", args=[user.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AccessEvent.objects.get(user=user)
    assert (event.action, event.group, event.actor) == ("join", clerk_role, administrator)


def test_removing_members_from_a_group_is_logged(administrator):
    user = UserFactory(username="leaver", roles=[CLERK])

    user.groups.clear()
    Group.objects.get(name=MANAGER).user_set.add(user)

    assert list(AccessEvent.objects.filter(user=user).order_by("id").values_list("action", "group__name")) == [
        ("join", CLERK),
        ("leave", CLERK),
        ("join", MANAGER),
    ]


def test_access_log_is_listed_read_only_for_administrators(administrator_client, administrator, north):
    services.grant_warehouse_permission(
        actor=administrator, permission="view_stock", warehouses=[north], users=[UserFactory(username="logged")]
    )

    response = administrator_client.get(reverse("admin:inventory_accessevent_changelist"))

    assert response.status_code == 200
    assert "logged" in response.content.decode()
    event = AccessEvent.objects.get(action="grant")
    assert administrator_client.get(reverse("admin:inventory_accessevent_add")).status_code == 403
    assert (
        administrator_client.post(reverse("admin:inventory_accessevent_delete", args=[event.pk]), {"post": "yes"})
    ).status_code == 403


def test_guardian_page_grants_through_the_log_and_is_closed_to_others(client, administrator_client, manager, north):
    clerk = UserFactory(username="paged", roles=[CLERK])
    page = reverse("admin:inventory_warehouse_permissions_manage_user", args=[north.pk, clerk.pk])

    assert (
        administrator_client.get(reverse("admin:inventory_warehouse_permissions", args=[north.pk])).status_code == 200
    )
    response = administrator_client.post(page, {"permissions": ["view_stock"]})

    assert response.status_code == 302
    assert access.warehouse_ids_for(clerk) == {north.pk}
    assert AccessEvent.objects.filter(user=clerk, action="grant", actor__username="access_admin").exists()
    client.force_login(manager)
    assert client.get(reverse("admin:inventory_warehouse_permissions", args=[north.pk])).status_code == 403
    assert client.post(page, {"permissions": ["manage_stock"]}).status_code == 403


def test_sync_roles_restores_role_permissions(administrator):
    role = Group.objects.get(name=ADMINISTRATOR)
    role.permissions.remove(Permission.objects.get(codename="add_warehouseuserpermission"))

    call_command("sync_roles", stdout=open("/dev/null", "w"))

    assert role.permissions.count() == len(ROLE_PERMISSIONS[ADMINISTRATOR])
    assert access.can_manage_access(type(administrator).objects.get(pk=administrator.pk))
