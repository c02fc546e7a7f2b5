"""Shared fixtures: users in each role, warehouses, and a logged-in admin client."""

import os

import pytest
from django.db import connection

from inventory.roles import CLERK, MANAGER, REPORT_VIEWER
from tests.factories import SuperuserFactory, UserFactory, WarehouseFactory, grant

# Playwright's sync API runs an event loop in the test thread; the ORM calls made
# by tests around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Passwords hash in microseconds here: the sign-in tests post dozens of them (production keeps PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, so no figure or lookup leaks between tests in any order."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def roles_after_flush(request):
    """Transactional tests flush the database, roles from the data migration included; put them back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group, Permission

    from inventory.roles import sync_roles

    sync_roles(Group, Permission)


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def warehouse_a(db):
    return WarehouseFactory(code="A", name="Alpha")


@pytest.fixture
def warehouse_b(db):
    return WarehouseFactory(code="B", name="Bravo")


@pytest.fixture
def clerk(db, warehouse_a):
    user = UserFactory(username="clerk_a", roles=[CLERK])
    grant(user, "operate_stock", warehouse_a)
    return user


@pytest.fixture
def manager(db, warehouse_a):
    user = UserFactory(username="manager_a", roles=[MANAGER])
    grant(user, "manage_stock", warehouse_a)
    return user


@pytest.fixture
def report_viewer(db, warehouse_a):
    user = UserFactory(username="viewer_a", roles=[REPORT_VIEWER])
    grant(user, "view_stock", warehouse_a)
    return user


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
