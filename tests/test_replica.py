"""With DATABASE_REPLICA_URL set, reports and exports read from the replica and everything else from the primary.

The `replica` alias mirrors the test database (settings: TEST MIRROR), so these tests commit their data
(transactional) and count which connection each statement ran on. `.ci/run` runs this module with
DATABASE_REPLICA_URL pointing at the primary; without a replica configured there is nothing to route.
"""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.models import DataJob, StockLevel
from inventory.replica import REPLICA, read_alias, replica_reads
from inventory.tasks import run_export, start_export
from tests.factories import ProductFactory, SuperuserFactory, WarehouseFactory

pytestmark = [
    pytest.mark.skipif(REPLICA not in connections.settings, reason="set DATABASE_REPLICA_URL (.ci/run does)"),
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]


def on(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


def statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def stock():
    user = SuperuserFactory()
    product, warehouse = ProductFactory(sku="REP-1"), WarehouseFactory(code="MAIN")
    services.receive(user=user, product=product, warehouse=warehouse, quantity=5, unit_cost=2)
    return user, product, warehouse


def test_a_report_page_reads_its_figures_from_the_replica(client, stock):
    user, _, _ = stock
    client.force_login(user)
    with (
        CaptureQueriesContext(connections[REPLICA]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = client.get(reverse("admin:report_stock_on_hand"))
    assert response.status_code == 200
    assert b"REP-1" in response.content
    assert any("inventory_stocklevel" in sql for sql in statements(replica))
    assert not any("inventory_stocklevel" in sql for sql in statements(primary))


def test_posting_writes_and_reads_back_on_the_primary_even_inside_a_report_block(stock):
    user, product, warehouse = stock
    with CaptureQueriesContext(connections[REPLICA]) as replica, replica_reads():
        services.issue(user=user, product=product, warehouse=warehouse, quantity=2)
    assert not any(sql.lstrip().upper().startswith(("INSERT", "UPDATE")) for sql in statements(replica))
    assert StockLevel.objects.get(product=product).on_hand == 3


def test_reads_outside_a_report_block_stay_on_the_primary(stock):
    assert read_alias() == "default"
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert StockLevel.objects.count() == 1
    assert statements(replica) == []
    with replica_reads():
        assert read_alias() == REPLICA


def test_a_background_export_reads_the_replica_and_records_its_job_on_the_primary(stock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user, _, _ = stock
    job = start_export(user=user, exporter="report.stock_on_hand", params={}, fmt="csv", subject="stock on hand")
    with (
        CaptureQueriesContext(connections[REPLICA]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        run_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (DataJob.Status.DONE, 1)
    assert any("inventory_stocklevel" in sql for sql in statements(replica))
    assert any("inventory_datajob" in sql and "UPDATE" in sql for sql in statements(primary))
    assert not any("UPDATE" in sql or "INSERT" in sql for sql in statements(replica))
