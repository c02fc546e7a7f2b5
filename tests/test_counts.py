"""Stocktake sessions through the services: open, scan and type counts, review, post exactly once."""

import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import (
    AuditEntry,
    Category,
    CountEntry,
    StockCount,
    StockCountLine,
    StockCountState,
    StockLevel,
    StockMovement,
)
from inventory.roles import CLERK, MANAGER
from inventory.services import DomainError, NotAllowed, counts, stock
from inventory.services.submissions import AlreadySubmitted, new_submission_key
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    SuperuserFactory,
    UserFactory,
    WarehouseFactory,
    grant,
)
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocker(db):
    return SuperuserFactory(username="stocker")


@pytest.fixture
def tools(db):
    return CategoryFactory(name="Tools")


@pytest.fixture
def hammer(tools):
    return ProductFactory(sku="SKU-HAMMER", barcode="4000001", category=tools)


@pytest.fixture
def saw(db, tools):
    return ProductFactory(sku="SKU-SAW", barcode="4000002", category=CategoryFactory(name="Saws", parent=tools))


@pytest.fixture
def paint(db):
    return ProductFactory(sku="SKU-PAINT", barcode="4000003", category=CategoryFactory(name="Paint"))


@pytest.fixture
def stocked(stocker, warehouse_a, warehouse_b, hammer, saw, paint):
    """A: 10 hammers at 2.50, 4 saws at 20, 7 paint at 5; B: 3 hammers."""
    for product, quantity, cost in ((hammer, 10, "2.5"), (saw, 4, "20"), (paint, 7, "5")):
        stock.receive(user=stocker, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost=cost)
    stock.receive(user=stocker, product=hammer, warehouse=warehouse_b, quantity=3, unit_cost="2.5")


@pytest.fixture
def approver(db, warehouse_a):
    user = UserFactory(username="manager_two", roles=[MANAGER])
    grant(user, "manage_stock", warehouse_a)
    return user


def on_hand(product, warehouse) -> Decimal:
    return StockLevel.objects.get(product=product, warehouse=warehouse).on_hand


def lines_of(count) -> dict:
    lines = StockCountLine.objects.filter(count=count).with_difference(count).select_related("product")
    return {line.product.sku: line for line in lines}


def open_tools(manager, warehouse, **options):
    return counts.open_count(user=manager, warehouse=warehouse, category=Category.objects.get(name="Tools"), **options)


def post(user, count, key=None):
    return counts.post_count(user=user, count=count, submission_key=key or new_submission_key())


def test_opening_snapshots_the_expected_on_hand_of_every_covered_level(manager, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)

    assert count.number.startswith("CNT-") and len(count.number) == 10
    assert count.state == StockCountState.OPEN and count.created_by == manager
    # The category subtree (Tools and Saws under it) in A only; paint and B's hammers are not in it.
    assert {sku: line.expected for sku, line in lines_of(count).items()} == {
        "SKU-HAMMER": Decimal("10"),
        "SKU-SAW": Decimal("4"),
    }


def test_a_session_by_bin_prefix_counts_only_those_bins(manager, warehouse_a, stocked, hammer, saw):
    for product, bin_code in ((hammer, "A-01-1"), (saw, "B-02-1")):
        level = StockLevel.objects.get(product=product, warehouse=warehouse_a)
        level.bin = bin_code
        level.save()

    count = counts.open_count(user=manager, warehouse=warehouse_a, bin_prefix="A-01")

    assert list(lines_of(count)) == ["SKU-HAMMER"]


def test_a_clerk_cannot_open_a_count(clerk, warehouse_a, stocked):
    with pytest.raises(NotAllowed):
        counts.open_count(user=clerk, warehouse=warehouse_a)
    assert not StockCount.objects.exists()


def test_each_scan_adds_one_and_a_typed_quantity_adds_that_many(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)

    counts.record_entry(user=clerk, count=count, code="4000001")
    counts.record_entry(user=clerk, count=count, code=" 4000001 ")
    counts.record_entry(user=clerk, count=count, code="sku-hammer", quantity="5")

    line = lines_of(count)["SKU-HAMMER"]
    assert line.counted == Decimal("7")
    assert set(CountEntry.objects.values_list("counted_by__username", flat=True)) == {"clerk_a"}
    count.refresh_from_db()
    assert count.state == StockCountState.COUNTING
    assert lines_of(count)["SKU-SAW"].counted is None


@pytest.mark.parametrize(
    ("code", "quantity", "message"),
    [
        ("999999", 1, "No product has the barcode or SKU “999999”."),
        ("4000001", -2, "SKU-HAMMER: Quantity must be greater than zero; got -2."),
        ("4000001", "lots", "SKU-HAMMER: “lots” is not a quantity."),
        ("4000003", 1, "SKU-PAINT is not part of"),
        ("", 1, "Scan a barcode or type a SKU."),
    ],
)
def test_bad_entries_are_refused_and_write_nothing(manager, clerk, warehouse_a, stocked, code, quantity, message):
    count = open_tools(manager, warehouse_a)
    audit_rows = AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        counts.record_entry(user=clerk, count=count, code=code, quantity=quantity)

    assert str(refused.value).startswith(message)
    assert not CountEntry.objects.exists()
    assert AuditEntry.objects.count() == audit_rows


def test_counting_into_a_cancelled_session_is_refused(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)
    counts.cancel_count(user=manager, count=count)

    with pytest.raises(DomainError, match=r"is cancelled; it cannot be counted into"):
        counts.record_entry(user=clerk, count=count, code="4000001")
    assert not CountEntry.objects.exists()


def test_a_clerk_of_another_warehouse_cannot_count(manager, warehouse_a, warehouse_b, stocked):
    outsider = UserFactory(username="clerk_b", roles=[CLERK])
    grant(outsider, "operate_stock", warehouse_b)
    count = open_tools(manager, warehouse_a)

    with pytest.raises(NotAllowed):
        counts.record_entry(user=outsider, count=count, code="4000001")


def test_the_grid_sets_a_line_exactly_and_zero_counts_as_counted(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=3)
    lines = lines_of(count)

    counts.set_counted(user=clerk, line=lines["SKU-HAMMER"], quantity="9")
    counts.set_counted(user=clerk, line=lines["SKU-SAW"], quantity="0")
    assert counts.set_counted(user=clerk, line=lines["SKU-SAW"], quantity="0") is None

    lines = lines_of(count)
    assert (lines["SKU-HAMMER"].counted, lines["SKU-SAW"].counted) == (Decimal("9"), Decimal("0"))
    with pytest.raises(DomainError, match="cannot be negative"):
        counts.set_counted(user=clerk, line=lines["SKU-HAMMER"], quantity="-1")


def test_posting_writes_adjustments_so_stock_equals_what_was_counted(
    manager, approver, clerk, warehouse_a, stocked, hammer, saw
):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=8)
    counts.record_entry(user=clerk, count=count, code="4000002", quantity=5)
    counts.start_review(user=manager, count=count)

    movements = post(approver, count)

    assert (on_hand(hammer, warehouse_a), on_hand(saw, warehouse_a)) == (Decimal("8"), Decimal("5"))
    assert sorted((m.product.sku, m.quantity) for m in movements) == [
        ("SKU-HAMMER", Decimal("-2")),
        ("SKU-SAW", Decimal("1")),
    ]
    assert {(m.kind, m.reason, m.reference) for m in movements} == {
        ("adjustment", f"count {count.number}", count.number)
    }
    count.refresh_from_db()
    assert (count.state, count.approved_by, count.posted_at is not None) == (StockCountState.POSTED, approver, True)
    assert AuditEntry.objects.filter(reason=f"adjustment {count.number}", warehouse_id=warehouse_a.pk).count() == 2
    call_command("verify_ledger")


def test_posting_twice_posts_once(manager, approver, clerk, warehouse_a, stocked, hammer):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=8)
    counts.start_review(user=manager, count=count)
    key = new_submission_key()
    post(approver, count, key)

    with pytest.raises(AlreadySubmitted, match=f"Posted {count.number}: 1 adjustment in A"):
        post(approver, count, key)
    with pytest.raises(DomainError, match="is posted; it cannot be posted"):
        post(approver, count)

    assert StockMovement.objects.filter(reference=count.number).count() == 1
    assert on_hand(hammer, warehouse_a) == 8


def test_uncounted_lines_are_left_alone_unless_the_session_says_they_mean_zero(
    manager, approver, clerk, warehouse_a, stocked, hammer, saw
):
    left_alone = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=left_alone, code="4000001", quantity=10)
    counts.start_review(user=manager, count=left_alone)
    assert post(approver, left_alone) == []
    assert on_hand(saw, warehouse_a) == 4

    zeroed = open_tools(manager, warehouse_a, uncounted_means_zero=True)
    counts.record_entry(user=clerk, count=zeroed, code="4000001", quantity=10)
    counts.start_review(user=manager, count=zeroed)
    assert lines_of(zeroed)["SKU-SAW"].difference == Decimal("-4")
    post(approver, zeroed)

    assert (on_hand(hammer, warehouse_a), on_hand(saw, warehouse_a)) == (Decimal("10"), Decimal("0"))
    call_command("verify_ledger")


def test_movements_posted_during_the_count_are_accounted_for(
    manager, approver, clerk, stocker, warehouse_a, stocked, hammer, saw
):
    count = open_tools(manager, warehouse_a)
    # 3 hammers leave before their shelf is counted: the clerk finds 6, so 1 is missing (10 - 3 - 6).
    stock.issue(user=stocker, product=hammer, warehouse=warehouse_a, quantity=3)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=6)
    # The saws are counted (4, all there), then 2 arrive: they are not a difference.
    counts.record_entry(user=clerk, count=count, code="4000002", quantity=4)
    stock.receive(user=stocker, product=saw, warehouse=warehouse_a, quantity=2, unit_cost="20")
    counts.start_review(user=manager, count=count)

    lines = lines_of(count)
    assert (lines["SKU-HAMMER"].moved, lines["SKU-HAMMER"].difference) == (Decimal("-3"), Decimal("-1"))
    assert lines["SKU-SAW"].difference == 0
    post(approver, count)

    assert (on_hand(hammer, warehouse_a), on_hand(saw, warehouse_a)) == (Decimal("6"), Decimal("6"))
    call_command("verify_ledger")


def test_above_the_four_eyes_value_a_counter_cannot_approve_their_own_count(
    manager, approver, warehouse_a, stocked, hammer, settings
):
    settings.STOCK_COUNT_FOUR_EYES_VALUE = Decimal("10")
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=manager, count=count, code="4000001", quantity=2)  # 8 missing at 2.50: 20
    counts.start_review(user=manager, count=count)
    assert counts.review_totals(count).absolute_value == Decimal("20")

    with pytest.raises(NotAllowed, match="someone who did not count it must approve it"):
        post(manager, count)
    assert not StockMovement.objects.filter(reference=count.number).exists()

    post(approver, count)
    assert on_hand(hammer, warehouse_a) == 2


def test_below_the_four_eyes_value_the_counter_may_approve(manager, warehouse_a, stocked, hammer):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=manager, count=count, code="4000001", quantity=9)
    counts.start_review(user=manager, count=count)

    post(manager, count)

    assert on_hand(hammer, warehouse_a) == 9


def test_a_clerk_cannot_post_a_count(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)
    counts.start_review(user=manager, count=count)

    with pytest.raises(NotAllowed):
        post(clerk, count)


def test_review_totals(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=8)  # -2 × 2.50

    totals = counts.review_totals(count)

    assert (totals.lines, totals.counted, totals.with_difference) == (2, 1, 1)
    assert (totals.difference_value, totals.absolute_value) == (Decimal("-5"), Decimal("5"))


def counting_one_product(barcode):
    """A count of one stocked product, already scanned once (past "open": later scans take the shared lock)."""
    user = SuperuserFactory()
    warehouse = WarehouseFactory(code="MAIN")
    product = ProductFactory(sku=f"SKU-{barcode}", barcode=barcode)
    stock.receive(user=user, product=product, warehouse=warehouse, quantity=5, unit_cost=1)
    count = counts.open_count(user=user, warehouse=warehouse)
    counts.record_entry(user=user, count=count, code=barcode)
    return user, count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_scanning_at_once_both_count():
    user, count = counting_one_product(barcode="123")

    def scan_ten():
        for _ in range(10):
            counts.record_entry(user=user, count=count, code="123")

    run_at_once(scan_ten, times=3)

    assert StockCountLine.objects.with_counted().get(count=count).counted == 31


def test_a_scan_repeated_under_its_key_counts_once(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)

    first = counts.record_entry(user=clerk, count=count, code="4000001", quantity=3, submission_key="scan-1")
    with pytest.raises(AlreadySubmitted) as repeat:
        counts.record_entry(user=clerk, count=count, code="4000001", quantity=3, submission_key="scan-1")
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=3, submission_key="scan-2")

    assert repeat.value.result["entry_id"] == first.pk
    assert lines_of(count)["SKU-HAMMER"].counted == Decimal("6")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_scan_sent_twice_at_once_counts_once():
    user, count = counting_one_product(barcode="321")
    repeats = []

    def scan():
        try:
            counts.record_entry(user=user, count=count, code="321", submission_key="one-scan")
        except AlreadySubmitted:
            repeats.append(1)

    run_at_once(scan, times=2)

    assert StockCountLine.objects.with_counted().get(count=count).counted == 2
    assert repeats == [1]


def test_review_totals_follow_the_lines_differences(manager, clerk, stocker, warehouse_a, stocked, hammer):
    count = open_tools(manager, warehouse_a, uncounted_means_zero=True)
    stock.issue(user=stocker, product=hammer, warehouse=warehouse_a, quantity=1)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=7)

    totals = counts.review_totals(count)
    lines = lines_of(count).values()

    assert totals.difference_value == sum(line.difference_value for line in lines)
    assert totals.absolute_value == sum(abs(line.difference_value) for line in lines)
    assert (totals.counted, totals.with_difference) == (1, 2)


def test_the_audit_log_files_a_count_its_lines_and_entries_under_its_warehouse(manager, clerk, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)
    counts.record_entry(user=clerk, count=count, code="4000001")

    for model in (StockCount, StockCountLine, CountEntry):
        entries = AuditEntry.objects.filter(content_type__model=model._meta.model_name)
        assert entries.exists(), model
        assert set(entries.values_list("warehouse_id", flat=True)) == {warehouse_a.pk}, model
    assert AuditEntry.objects.filter(content_type__model="countentry", user=clerk).count() == 1


def test_opening_writes_each_line_with_one_created_history_row_and_audit_entry(manager, warehouse_a, stocked):
    count = open_tools(manager, warehouse_a)

    lines = list(StockCountLine.objects.filter(count=count).select_related("product").order_by("product__sku"))
    history = StockCountLine.history.filter(count_id=count.pk)
    entries = AuditEntry.objects.filter(content_type__model="stockcountline")

    assert len(lines) == 2 and [line.pk for line in lines] == sorted(line.pk for line in lines)  # in SKU order
    assert sorted(history.values_list("id", "history_type", "history_user_id", "history_change_reason")) == [
        (line.pk, "+", manager.pk, "opened") for line in lines
    ]
    assert [record.expected for record in history.order_by("id")] == [line.expected for line in lines]
    assert sorted(
        entries.values_list("object_id", "object_repr", "action", "user_id", "warehouse_id", "reason", "changes")
    ) == [
        (line.pk, f"{count.number}: {line.product.sku}", "created", manager.pk, warehouse_a.pk, "opened", [])
        for line in lines
    ]
    by_history = {record.history_id: record for record in history}
    for entry in entries:
        record = by_history[entry.history_id]
        assert (record.id, record.history_date) == (entry.object_id, entry.timestamp)


# --- freezing postings -------------------------------------------------------------------------------


def test_by_default_a_count_does_not_stop_the_warehouse(manager, stocker, warehouse_a, stocked, hammer):
    open_tools(manager, warehouse_a)

    stock.issue(user=stocker, product=hammer, warehouse=warehouse_a, quantity=1)

    assert on_hand(hammer, warehouse_a) == 9


def test_a_frozen_count_refuses_postings_of_what_it_covers_and_writes_nothing(
    manager, stocker, warehouse_a, warehouse_b, stocked, hammer, paint
):
    count = open_tools(manager, warehouse_a, freezes_postings=True)
    movements = StockMovement.objects.count()

    with pytest.raises(DomainError) as refused:
        stock.issue(user=stocker, product=hammer, warehouse=warehouse_a, quantity=1)
    with pytest.raises(DomainError):
        stock.transfer(user=stocker, product=hammer, source=warehouse_a, destination=warehouse_b, quantity=1)

    assert refused.value.message == (
        f"SKU-HAMMER in A is being counted ({count.number} froze its postings); "
        f"post or cancel {count.number} first. Nothing was posted."
    )
    assert StockMovement.objects.count() == movements and on_hand(hammer, warehouse_a) == 10
    # Outside what it covers the warehouse works: paint is not a tool, and B is another warehouse.
    stock.issue(user=stocker, product=paint, warehouse=warehouse_a, quantity=1)
    stock.issue(user=stocker, product=hammer, warehouse=warehouse_b, quantity=1)


def test_a_frozen_count_posts_its_own_adjustments_and_then_the_warehouse_moves_again(
    manager, clerk, approver, stocker, warehouse_a, stocked, hammer, saw
):
    count = open_tools(manager, warehouse_a, freezes_postings=True)
    counts.record_entry(user=clerk, count=count, code="4000001", quantity=8)
    counts.start_review(user=manager, count=count)

    post(approver, count)
    stock.issue(user=stocker, product=hammer, warehouse=warehouse_a, quantity=1)

    assert on_hand(hammer, warehouse_a) == 7


def test_cancelling_a_frozen_count_lifts_the_freeze(manager, stocker, warehouse_a, stocked, saw):
    count = open_tools(manager, warehouse_a, freezes_postings=True)

    counts.cancel_count(user=manager, count=count)
    stock.issue(user=stocker, product=saw, warehouse=warehouse_a, quantity=1)

    assert on_hand(saw, warehouse_a) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_posting_racing_the_opening_of_a_frozen_count_is_in_its_snapshot_or_refused(monkeypatch):
    """Issues race the opening: each one commits before the snapshot reads the level, or is refused after."""
    snapshot = counts._snapshot_lines

    def slow_snapshot(*args, **kwargs):
        # Hold the opening open for a moment after its snapshot, so an issue that is not kept waiting by the
        # opening's locks commits behind the snapshot's back every time, not only when the threads align.
        written = snapshot(*args, **kwargs)
        time.sleep(0.3)
        return written

    monkeypatch.setattr(counts, "_snapshot_lines", slow_snapshot)
    user = SuperuserFactory()
    warehouse = WarehouseFactory(code="MAIN")
    product = ProductFactory(sku="SKU-FREEZE")
    stock.receive(user=user, product=product, warehouse=warehouse, quantity=500, unit_cost=1)
    roles, opened, refused = ["open", "issue"], [], []

    def work():
        if roles.pop() == "open":
            opened.append(counts.open_count(user=user, warehouse=warehouse, freezes_postings=True))
            return
        for _ in range(200):
            try:
                stock.issue(user=user, product=product, warehouse=warehouse, quantity=1)
            except DomainError:
                refused.append(1)
                return

    run_at_once(work, times=2)

    line = StockCountLine.objects.get(count=opened[0])
    # Nothing moved the level after the freeze, and nothing committed behind the snapshot's back.
    assert line.expected == StockLevel.objects.get(product=product, warehouse=warehouse).on_hand
    assert refused == [1]
