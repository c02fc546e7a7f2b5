"""The first request after a PostgreSQL restart succeeds: kept connections are health-checked before reuse."""

import copy

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.postgresql.base import DatabaseWrapper

from tests.pg_fault import FaultCluster

pytestmark = pytest.mark.postgres

CLUSTER = FaultCluster("restart7", 5434)


def _connection_like_production(**overrides) -> DatabaseWrapper:
    """A connection configured exactly as the default database, pointed at the throwaway cluster."""
    options = copy.deepcopy(settings.DATABASES["default"])
    options.update({"HOST": "127.0.0.1", "PORT": str(CLUSTER.port), "NAME": "postgres", "USER": "postgres"})
    options.update(overrides)
    return DatabaseWrapper(options, alias="restart7")


def _request(connection: DatabaseWrapper) -> int:
    """What Django does around each request: drop unusable or old connections, then query."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


@pytest.fixture
def cluster(django_db_blocker):
    CLUSTER.ensure_running()
    with django_db_blocker.unblock():
        yield CLUSTER
    CLUSTER.start()


def test_first_request_after_a_database_restart_succeeds(cluster):
    connection = _connection_like_production()
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert _request(connection) == 1
    cluster.restart()
    assert _request(connection) == 1
    connection.close()


def test_without_health_checks_the_first_request_after_a_restart_fails(cluster):
    """The fault the setting guards against, shown on the same cluster."""
    connection = _connection_like_production(CONN_HEALTH_CHECKS=False)
    assert _request(connection) == 1
    cluster.restart()
    with pytest.raises(OperationalError):
        _request(connection)
    connection.close()
