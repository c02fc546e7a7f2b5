"""Daily valuation closes give the same figures as the ledger, for every day, filter and scope, whatever is posted."""

import random
import threading
import time as clock
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inventory import services
from inventory.models import ValuationClose
from inventory.reports import ValuationReport
from inventory.services import closes
from inventory.services.closes import end_of_day
from tests.factories import CategoryFactory, ProductFactory, SuperuserFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

DAYS = 8


def at(days_ago: int, hour: int = 10):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def from_ledger(user, params: dict) -> list[tuple]:
    """The report's figures computed whole from the movements, as before closes existed."""
    report = ValuationReport(user, params)
    if report.as_of >= timezone.localdate():
        groups = report._from_stock_levels()
    else:
        groups = report._from_ledger(end_of_day(report.as_of))
    return sorted(groups)


def from_closes(user, params: dict) -> list[tuple]:
    return sorted(ValuationReport(user, params).groups())


@pytest.fixture
def ledger(superuser, warehouse_a, warehouse_b):
    """A week of receipts, issues and transfers at varying costs over two warehouses and nested categories."""
    rng = random.Random(7)
    tools = CategoryFactory(name="Tools")
    categories = [tools, CategoryFactory(name="Saws", parent=tools), CategoryFactory(name="Paint")]
    products = [ProductFactory(sku=f"P{i}", category=categories[i % 3]) for i in range(6)]
    warehouses = [warehouse_a, warehouse_b]
    for days_ago in range(DAYS, -1, -1):
        for hour in (9, 13, 17):
            product, warehouse = rng.choice(products), rng.choice(warehouses)
            services.receive(
                user=superuser,
                product=product,
                warehouse=warehouse,
                quantity=rng.randint(1, 20),
                unit_cost=f"{rng.randint(100, 900) / 100:.2f}",
                at=at(days_ago, hour),
            )
            level = product.stock_levels.get(warehouse=warehouse)
            if level.on_hand > 2:
                quantity, when = rng.randint(1, int(level.on_hand) - 1), at(days_ago, hour + 1)
                if rng.random() < 0.5:
                    services.issue(user=superuser, product=product, warehouse=warehouse, quantity=quantity, at=when)
                else:
                    other = warehouses[1 - warehouses.index(warehouse)]
                    services.transfer(
                        user=superuser, product=product, source=warehouse, destination=other, quantity=quantity, at=when
                    )
    return {"categories": categories, "products": products}


def same(closed: list[tuple], computed: list[tuple]) -> bool:
    """Equal, to the cent on PostgreSQL; SQLite sums in floats, so a half cent may round either way there."""
    if connection.vendor == "postgresql":
        return closed == computed
    return [row[:3] for row in closed] == [row[:3] for row in computed] and all(
        abs(a[3] - b[3]) <= Decimal("0.01") for a, b in zip(closed, computed, strict=True)
    )


def every_day(user, **params):
    """(day, from the closes, from the ledger) for every day from before the first movement through today."""
    for days_ago in range(DAYS + 2, -1, -1):
        as_of = (timezone.localdate() - timedelta(days=days_ago)).isoformat()
        yield as_of, from_closes(user, {"as_of": as_of, **params}), from_ledger(user, {"as_of": as_of, **params})


def assert_every_day_the_same(user, **params):
    for as_of, closed, computed in every_day(user, **params):
        assert same(closed, computed), (as_of, params, closed, computed)


def test_closes_equal_the_ledger_for_every_day_and_today(superuser, ledger):
    assert closes.close_days() == DAYS  # every ended day with movements, through yesterday
    assert closes.closed_through() == timezone.localdate() - timedelta(days=1)
    assert ValuationClose.objects.exists()
    assert_every_day_the_same(superuser)
    assert from_closes(superuser, {}) != []


def test_closes_equal_the_ledger_filtered_by_warehouse_category_and_scope(superuser, manager, ledger, warehouse_a):
    closes.close_days()
    tools = ledger["categories"][0]
    for params in ({"warehouse": str(warehouse_a.pk)}, {"category": str(tools.pk)}):
        assert_every_day_the_same(superuser, **params)
    assert_every_day_the_same(manager)
    for _, closed, _ in every_day(manager):
        assert {group[0] for group in closed} <= {"A"}


def test_reading_between_closes_adds_what_moved_since_the_last_one(superuser, ledger):
    closes.close_days(limit=3)  # the worker is behind: only the first three days are closed
    assert closes.closed_through() == timezone.localdate() - timedelta(days=DAYS - 2)
    assert_every_day_the_same(superuser)


def test_a_back_dated_posting_reopens_the_closes_from_its_day(superuser, ledger, warehouse_a):
    closes.close_days()
    # A pair with no later lines: a back-dated line elsewhere would put the ledger's own balances out of date order.
    product = ProductFactory(sku="LATE", category=ledger["categories"][1])
    services.receive(
        user=superuser, product=product, warehouse=warehouse_a, quantity=1000, unit_cost="3.00", at=at(4, 11)
    )
    assert closes.closed_through() == timezone.localdate() - timedelta(days=5)
    assert_every_day_the_same(superuser)  # right before the worker catches up ...
    assert closes.close_days() == 4
    assert_every_day_the_same(superuser)  # ... and after


def test_a_posting_made_now_does_not_reopen_anything(superuser, ledger, warehouse_a):
    closes.close_days()
    through = closes.closed_through()
    services.receive(user=superuser, product=ledger["products"][1], warehouse=warehouse_a, quantity=5, unit_cost="1")
    assert closes.closed_through() == through
    assert same(from_closes(superuser, {}), from_ledger(superuser, {}))


def test_a_day_closes_only_once_it_ended_more_than_the_grace_ago(superuser, ledger):
    just_after_midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time(0, 2)))
    closes.close_days(now=just_after_midnight)
    assert closes.closed_through() == timezone.localdate() - timedelta(days=2)
    closes.close_days(now=just_after_midnight + timedelta(minutes=5))
    assert closes.closed_through() == timezone.localdate() - timedelta(days=1)


def test_a_recategorised_product_is_filed_under_its_new_category_from_the_next_close(superuser, ledger):
    closes.close_days(now=timezone.now() - timedelta(days=1))
    product, paint = ledger["products"][0], ledger["categories"][2]
    product.category = paint
    product.save()
    closes.close_days()  # yesterday's close is built from today's stock levels, so from today's categories
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert same(from_closes(superuser, {"as_of": yesterday}), from_ledger(superuser, {"as_of": yesterday}))
    assert same(from_closes(superuser, {}), from_ledger(superuser, {}))


def test_no_movements_means_nothing_to_close_and_an_empty_valuation(superuser):
    assert closes.close_days() == 0
    assert closes.closed_through() is None
    assert ValuationReport(superuser, {}).groups() == []


def test_the_worker_and_the_command_close_the_same(superuser, ledger, capsys):
    from django.core.management import call_command

    call_command("close_valuation")
    assert f"Closed {DAYS} day(s)" in capsys.readouterr().out
    call_command("close_valuation")
    assert "Closed 0 day(s)" in capsys.readouterr().out
    assert sum(ValuationClose.objects.filter(day=closes.closed_through()).values_list("quantity", flat=True)) > Decimal(
        "0"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_back_dated_posting_racing_the_close_of_its_day_is_never_lost(monkeypatch):
    """The close of yesterday is being built when a movement dated yesterday is posted: one of them sees the other."""
    user, warehouse = SuperuserFactory(), WarehouseFactory(code="MAIN")
    services.receive(
        user=user, product=ProductFactory(sku="OLD"), warehouse=warehouse, quantity=5, unit_cost=1, at=at(3)
    )
    build = closes._close_from_levels

    def slow_build(day):
        build(day)
        clock.sleep(0.6)  # the close is written but not committed while the posting below arrives

    monkeypatch.setattr(closes, "_close_from_levels", slow_build)

    def post_late():
        clock.sleep(0.3)
        services.receive(
            user=user, product=ProductFactory(sku="LATE"), warehouse=warehouse, quantity=7, unit_cost=2, at=at(1)
        )

    errors = []

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported below, a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in (closes.close_days, post_late)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert from_closes(user, {"as_of": yesterday}) == from_ledger(user, {"as_of": yesterday})
    assert sum(group[2] for group in from_closes(user, {"as_of": yesterday})) == Decimal("12.000")
    closes.close_days()
    assert from_closes(user, {"as_of": yesterday}) == from_ledger(user, {"as_of": yesterday})
