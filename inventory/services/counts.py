"""Stocktake sessions: open (snapshot), count (scans, typed quantities, the grid), review, post or cancel.

The warehouse need not stop while it is counted, and nothing is frozen: this is the default
and the only mode. Each entry keeps the on hand at the moment it was counted (the snapshot
plus every movement posted on that product and warehouse since), and a line's difference is
its counted quantity minus that figure. So a receipt posted before a shelf is counted is in
both the shelf and the expected figure, one posted after it is in neither, and posting adds
only the difference to today's on hand: movements during the count are never undone.

Entries are only ever inserted, under a shared lock on the session row: scanners never wait
for each other, and posting or cancelling (which lock the row exclusively) waits for the
scans in flight and then refuses the next ones.
"""

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from inventory import access, audit
from inventory.models import (
    AuditEntry,
    Category,
    CountEntry,
    MovementKind,
    Product,
    StockCount,
    StockCountLine,
    StockCountState,
    StockLevel,
    StockMovement,
    Warehouse,
    normalize_sku,
)
from inventory.models.catalog import CATEGORY_PATH_SEPARATOR
from inventory.models.counts import COUNTING_STATES
from inventory.services import stock
from inventory.services.errors import DomainError, NotAllowed, format_quantity
from inventory.services.numbering import next_number
from inventory.services.stock import Amount
from inventory.services.submissions import Taken, once

ZERO = Decimal("0")
BATCH = 2000


def _refuse_unless(count: StockCount, states, doing: str) -> None:
    if count.state not in states:
        raise DomainError(f"{count.number} is {count.get_state_display().lower()}; it cannot be {doing}.")


def _save(count: StockCount, reason: str) -> None:
    count._change_reason = reason
    count.save()


def covered_levels(warehouse: Warehouse, category: Category | None = None, bin_prefix: str = "") -> QuerySet:
    """The stock levels a session of this scope counts: the warehouse's, in the category subtree and bins."""
    levels = StockLevel.objects.filter(warehouse=warehouse)
    if category is not None:
        levels = levels.filter(
            Q(product__category__path=category.path)
            | Q(product__category__path__startswith=category.path + CATEGORY_PATH_SEPARATOR)
        )
    if bin_prefix:
        levels = levels.filter(bin__startswith=bin_prefix)
    return levels


def open_count(
    *,
    user: User,
    warehouse: Warehouse,
    category: Category | None = None,
    bin_prefix: str = "",
    is_blind: bool = False,
    uncounted_means_zero: bool = False,
    freezes_postings: bool = False,
) -> StockCount:
    """Open a session under the next CNT number with one line per covered stock level, expecting its on hand now.

    One statement on PostgreSQL (the lines, their history rows and audit entries copied from the levels),
    bulk inserts elsewhere, however many lines there are.
    """
    stock._require(user, "add_stockcount", access.MANAGE_STOCK, [warehouse], "open stock counts")
    if not warehouse.is_active:
        raise DomainError(f"Warehouse {warehouse.code} is inactive.")
    bin_prefix = (bin_prefix or "").strip()
    with transaction.atomic(), audit.acting(user, "opened"):
        count = StockCount(
            number=next_number("CNT"),
            warehouse=warehouse,
            category=category,
            bin_prefix=bin_prefix,
            is_blind=is_blind,
            uncounted_means_zero=uncounted_means_zero,
            freezes_postings=freezes_postings,
            created_by=user,
            snapshot_at=timezone.now(),
        )
        _save(count, "opened")
        levels = covered_levels(warehouse, category, bin_prefix).order_by("product__sku")
        if freezes_postings:
            # In post_legs' lock order: a posting in flight commits before the snapshot reads its level, and
            # one waiting for these rows finds the freeze once they are free.
            locking = levels.select_for_update(of=("self",)).order_by("product_id", "warehouse_id")
            list(locking.values_list("pk", flat=True))
        if not _snapshot_lines(count, levels, user=user, reason="opened"):
            raise DomainError(f"Nothing is stocked in {warehouse.code} for {count.scope_words()}; nothing to count.")
    return count


# The lines, their "+" history rows and their audit log entries, written from the covered levels in one
# statement: what audit.bulk_create_with_history writes (tests/test_counts.py compares), without building
# 10,000 model instances in Python and sending them back (2.4 s at 10,000 lines; this takes a fraction).
SNAPSHOT = """
    WITH lines AS (
        INSERT INTO inventory_stockcountline (count_id, product_id, expected)
        SELECT %s, level.product_id, level.on_hand FROM ({levels}) AS level
        RETURNING id, product_id, expected
    ), history AS (
        INSERT INTO inventory_historicalstockcountline
            (id, count_id, product_id, expected, history_date, history_change_reason, history_type, history_user_id)
        SELECT id, %s, product_id, expected, %s, %s, '+', %s FROM lines ORDER BY id
        RETURNING history_id, id, product_id
    )
    INSERT INTO inventory_auditentry
        (timestamp, action, content_type_id, object_id, object_repr, history_id, warehouse_id, user_id, reason, changes)
    SELECT %s, %s, %s, history.id, LEFT(%s || ': ' || product.sku, %s), history.history_id, %s, %s, %s, '[]'::jsonb
    FROM history JOIN inventory_product product ON product.id = history.product_id
    ORDER BY history.id
"""


def _snapshot_lines(count: StockCount, levels: QuerySet, *, user: User, reason: str) -> int:
    """Write one line per level expecting its on hand, with history and audit entries; how many were written."""
    if connection.vendor != "postgresql":
        levels = levels.select_related("product").only("on_hand", "product__id", "product__sku")
        lines = [StockCountLine(count=count, product=level.product, expected=level.on_hand) for level in levels]
        audit.bulk_create_with_history(lines, StockCountLine, user=user, reason=reason, batch_size=BATCH)
        return len(lines)
    sql, level_params = levels.values("product_id", "on_hand").query.sql_with_params()
    when, content_type = timezone.now(), ContentType.objects.get_for_model(StockCountLine).pk
    params = [
        *(count.pk, *level_params),
        *(count.pk, when, reason, user.pk),
        *(when, AuditEntry.Action.CREATED, content_type, count.number, audit.REPR_LENGTH),
        *(count.warehouse_id, user.pk, reason),
    ]
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT.format(levels=sql), params)
        return cursor.rowcount


REVIEW_FILTERS = {"": "All lines", "differences": "Only differences", "uncounted": "Not counted"}


def review_lines(count: StockCount, show: str = "") -> QuerySet:
    """The lines the review lists (StockCountLine.with_difference), by SKU: all, only differences, or not counted."""
    lines = StockCountLine.objects.filter(count=count).with_difference(count).select_related("product")
    if show == "differences":
        lines = lines.exclude(difference=0)
    elif show == "uncounted":
        lines = lines.filter(counted__isnull=True)
    return lines.order_by("product__sku", "pk")


def shows_expected(user: User, count: StockCount) -> bool:
    """Blind sessions never show counters the expected quantities (nor the differences that give them away);
    approvers see them to review."""
    return not count.is_blind or user.has_perm("inventory.approve_count")


def sheet_lines(count: StockCount) -> QuerySet:
    """The session's lines in the order a counter walks them (bin, then SKU), each with its product and bin."""
    bins = StockLevel.objects.filter(product_id=OuterRef("product_id"), warehouse_id=count.warehouse_id)
    return (
        StockCountLine.objects.filter(count=count)
        .select_related("product")
        .annotate(bin=Subquery(bins.values("bin")[:1]))
        .order_by("bin", "product__sku", "pk")
    )


def _lock_shared(count: StockCount) -> StockCount:
    """The session as it stands, locked so it cannot be posted or cancelled under this entry.

    PostgreSQL takes FOR SHARE, so entries from several scanners do not wait for each other; a
    session still open takes the exclusive lock once, to move it to counting. SQLite serialises
    writers anyway.
    """
    current = StockCount.objects.select_related("warehouse").get(pk=count.pk)
    if current.state == StockCountState.OPEN:
        current = StockCount.objects.select_for_update().select_related("warehouse").get(pk=count.pk)
        if current.state == StockCountState.OPEN:
            current.state = StockCountState.COUNTING
            _save(current, "counting started")
        return current
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT state FROM inventory_stockcount WHERE id = %s FOR SHARE", [count.pk])
            current.state = cursor.fetchone()[0]
    return current


def find_line(count: StockCount, code: str) -> StockCountLine:
    """The session's line for a barcode or SKU, or a DomainError a counter understands."""
    code = (code or "").strip()
    if not code:
        raise DomainError("Scan a barcode or type a SKU.")
    match = Q(barcode=code) | Q(sku=normalize_sku(code))
    product = Product.objects.filter(match).order_by("pk").first()
    if product is None:
        raise DomainError(f"No product has the barcode or SKU “{code[:64]}”.")
    line = StockCountLine.objects.filter(count=count, product=product).first()
    if line is None:
        raise DomainError(f"{product.sku} is not part of {count.number} ({count.scope_words()}); put it aside.")
    line.count, line.product = count, product
    return line


def _entry_quantity(value: Amount, product: Product) -> Decimal:
    try:
        return stock._quantity(value, allow_negative=False, product=product)
    except DomainError as error:
        raise DomainError(f"{product.sku}: {error.message}") from None


def _on_hand(line: StockCountLine) -> Decimal:
    on_hand = StockLevel.objects.filter(product_id=line.product_id, warehouse_id=line.count.warehouse_id)
    return on_hand.values_list("on_hand", flat=True).first() or ZERO


def _append(user: User, line: StockCountLine, quantity: Decimal, reason: str) -> CountEntry:
    entry = CountEntry(line=line, quantity=quantity, on_hand_at_entry=_on_hand(line), counted_by=user)
    entry._change_reason = reason
    entry.save()
    return entry


def record_entry(
    *, user: User, count: StockCount, code: str, quantity: Amount = 1, submission_key: str | None = None
) -> CountEntry:
    """Add a scan (one) or a typed quantity to the line of the product with this barcode or SKU.

    Scans add up, so the same code scanned twice counts two; the same scan sent twice (a retry after a lost
    answer, a double click) carries the same submission key and counts once: the repeat raises AlreadySubmitted
    with the first entry's id as `result["entry_id"]`.
    """
    stock._require(user, "add_countentry", access.OPERATE_STOCK, [count.warehouse], "count stock")
    guard = (
        nullcontext(Taken()) if submission_key is None else once(key=submission_key, user=user, purpose="count scan")
    )
    with transaction.atomic(), guard as taken, audit.acting(user, f"counted into {count.number}"):
        current = _lock_shared(count)
        _refuse_unless(current, COUNTING_STATES, "counted into")
        line = find_line(current, code)
        entry = _append(user, line, _entry_quantity(quantity, line.product), f"counted into {current.number}")
        taken.result = {"entry_id": entry.pk, "message": "This scan was already counted."}
        return entry


def set_counted(*, user: User, line: StockCountLine, quantity: Amount) -> CountEntry | None:
    """Make a line's counted quantity exactly this (the grid), as an entry of the difference; None if unchanged."""
    count = line.count
    stock._require(user, "add_countentry", access.OPERATE_STOCK, [count.warehouse], "count stock")
    with transaction.atomic(), audit.acting(user, f"counted into {count.number}"):
        current = _lock_shared(count)
        _refuse_unless(current, COUNTING_STATES, "counted into")
        # Two people typing into the same line take turns, so the second one's difference is against the first.
        locked = StockCountLine.objects.select_for_update().select_related("product").get(pk=line.pk)
        locked.count = current
        target = stock._number(quantity, "quantity")
        if target < 0:
            raise DomainError(f"{locked.product.sku}: a counted quantity cannot be negative; got {target}.")
        target = stock.bounds.check(target, stock.bounds.QUANTITY, DomainError)
        if target != target.quantize(stock.QUANTITY_STEP):
            raise DomainError(f"Quantities have at most 3 decimal places; got {format_quantity(target)}.")
        stock._require_whole(locked.product, target)
        counted = locked.entries.aggregate(total=Sum("quantity"))["total"]
        if counted is not None and counted == target:
            return None
        # A first count of zero is an entry of 0: the line is counted, and nothing was found.
        return _append(user, locked, target - (counted or ZERO), f"counted into {current.number}")


def set_counted_lines(
    *, user: User, count: StockCount, counted: Mapping[int, Amount], counted_before: Mapping[int, Decimal | None]
) -> list[CountEntry]:
    """Set several lines' counted quantities (an import) through set_counted, all in one transaction or none.

    Each line is locked first and must still stand where `counted_before` says (what the importer's
    preview showed, None for not counted): an entry someone made since is never overwritten, the whole
    import is refused instead.
    """
    stock._require(user, "add_countentry", access.OPERATE_STOCK, [count.warehouse], "count stock")
    with transaction.atomic():
        current = _lock_shared(count)
        _refuse_unless(current, COUNTING_STATES, "counted into")
        lines = list(
            StockCountLine.objects.select_for_update(of=("self",))
            .filter(count=current, pk__in=list(counted))
            .select_related("product")
            .order_by("pk")
        )
        entries = CountEntry.objects.filter(line__in=[line.pk for line in lines]).order_by()
        totals = dict(entries.values("line_id").annotate(total=Sum("quantity")).values_list("line_id", "total"))
        if len(lines) != len(counted):
            raise DomainError(f"Some of these lines are not part of {current.number}; nothing was imported.")
        moved = next((line for line in lines if totals.get(line.pk) != counted_before[line.pk]), None)
        if moved is not None:
            raise DomainError(
                f"{moved.product.sku} was counted on {current.number} since the preview; nothing was imported. "
                "Upload the file again to see the counts as they stand now."
            )
        written = []
        for line in lines:
            line.count = current
            entry = set_counted(user=user, line=line, quantity=counted[line.pk])
            if entry is not None:
                written.append(entry)
    return written


def start_review(*, user: User, count: StockCount) -> None:
    """Counting is done: the differences are reviewed (entries may still correct a line)."""
    stock._require(user, "change_stockcount", access.MANAGE_STOCK, [count.warehouse], "review stock counts")
    with transaction.atomic(), audit.acting(user, "review"):
        locked = StockCount.objects.select_for_update().get(pk=count.pk)
        _refuse_unless(locked, [StockCountState.OPEN, StockCountState.COUNTING], "reviewed")
        locked.state = StockCountState.REVIEW
        _save(locked, "review")
    count.refresh_from_db()


def cancel_count(*, user: User, count: StockCount) -> None:
    """Drop a session that was not posted; its entries stay as a record, nothing moves."""
    stock._require(user, "change_stockcount", access.MANAGE_STOCK, [count.warehouse], "cancel stock counts")
    with transaction.atomic(), audit.acting(user, "cancelled"):
        locked = StockCount.objects.select_for_update().get(pk=count.pk)
        _refuse_unless(locked, COUNTING_STATES, "cancelled")
        locked.state = StockCountState.CANCELLED
        _save(locked, "cancelled")
    count.refresh_from_db()


@dataclass(frozen=True)
class Totals:
    """A session's review totals."""

    lines: int
    counted: int
    with_difference: int
    difference_value: Decimal  # signed, at average cost
    absolute_value: Decimal  # what four eyes is measured by


# Every line's figures in one pass of hash joins: the per-line subqueries of with_difference() are right
# for a page of 100 lines, but summing 10,000 lines through them takes most of a second.
LINE_FIGURES = """
    WITH counted AS (
        SELECT e.line_id, SUM(e.quantity) AS counted, MAX(e.id) AS last_id
        FROM inventory_countentry e JOIN inventory_stockcountline l ON l.id = e.line_id
        WHERE l.count_id = %s
        GROUP BY e.line_id
    )
    SELECT l.product_id, c.counted, last.on_hand_at_entry, level.on_hand, level.average_cost
    FROM inventory_stockcountline l
    LEFT JOIN counted c ON c.line_id = l.id
    LEFT JOIN inventory_countentry last ON last.id = c.last_id
    LEFT JOIN inventory_stocklevel level ON level.product_id = l.product_id AND level.warehouse_id = %s
    WHERE l.count_id = %s
    ORDER BY l.product_id
"""


@dataclass(frozen=True)
class LineDifference:
    """One line's outcome: its product, whether anyone counted it, its difference and that at average cost."""

    product_id: int
    is_counted: bool
    difference: Decimal
    value: Decimal


def line_differences(count: StockCount) -> list[LineDifference]:
    """Every line's difference, by the rule of StockCountLine.with_difference(), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(LINE_FIGURES, [count.pk, count.warehouse_id, count.pk])
        rows = cursor.fetchall()
    differences = []
    for product_id, line_counted, on_hand_when_counted, on_hand, average_cost in rows:
        if line_counted is not None:
            difference = _decimal(line_counted) - _decimal(on_hand_when_counted)
        else:
            difference = -_decimal(on_hand) if count.uncounted_means_zero else ZERO
        value = difference * _decimal(average_cost)
        differences.append(LineDifference(product_id, line_counted is not None, difference, value))
    return differences


def review_totals(count: StockCount) -> Totals:
    """The totals of a session's differences."""
    lines = line_differences(count)
    return Totals(
        lines=len(lines),
        counted=sum(line.is_counted for line in lines),
        with_difference=sum(line.difference != 0 for line in lines),
        difference_value=sum((line.value for line in lines), ZERO),
        absolute_value=sum((abs(line.value) for line in lines), ZERO),
    )


def _decimal(value) -> Decimal:
    # SQLite hands raw decimals back as floats or text; through str() they keep the digits stored.
    return ZERO if value is None else Decimal(str(value))


def needs_second_approver(count: StockCount, totals: Totals | None = None) -> bool:
    """Whether the differences are worth more than STOCK_COUNT_FOUR_EYES_VALUE (someone who did not count posts)."""
    totals = totals or review_totals(count)
    return totals.absolute_value > Decimal(settings.STOCK_COUNT_FOUR_EYES_VALUE)


def post_count(*, user: User, count: StockCount, submission_key: str) -> list[StockMovement]:
    """Approve a reviewed session and post every difference as an adjustment, in one transaction, exactly once.

    Reason "count CNT-000012" on each. Above the four-eyes value, the approver must not have
    counted any entry of it. A repeated submission key raises AlreadySubmitted and posts nothing.
    """
    stock._require(user, "approve_count", access.MANAGE_STOCK, [count.warehouse], "approve stock counts")
    with once(key=submission_key, user=user, purpose="stock count") as taken:
        locked = StockCount.objects.select_for_update().select_related("warehouse").get(pk=count.pk)
        _refuse_unless(locked, [StockCountState.REVIEW], "posted")
        reason = f"count {locked.number}"
        lines = StockCountLine.objects.filter(count=locked)
        # Lock the levels first (in post_legs' order), so no posting moves them between reading and booking.
        levels = StockLevel.objects.filter(warehouse=locked.warehouse, product_id__in=lines.values("product_id"))
        list(levels.select_for_update().order_by("product_id", "warehouse_id").values_list("pk", flat=True))
        # One pass over the lines gives both the four-eyes value and the legs to post.
        differences = [line for line in line_differences(locked) if line.difference]
        value = sum((abs(line.value) for line in differences), ZERO)
        threshold = Decimal(settings.STOCK_COUNT_FOUR_EYES_VALUE)
        if value > threshold and CountEntry.objects.filter(line__count=locked, counted_by=user).exists():
            raise NotAllowed(
                f"The differences on {locked.number} are worth {format_quantity(value)} "
                f"(more than {format_quantity(threshold)}); someone who did not count it must approve it."
            )
        # Only what posting and its history read of each product (its SKU and unit), not the whole row.
        products = Product.objects.only("id", "sku", "unit").in_bulk([line.product_id for line in differences])
        legs = [
            stock.Leg(MovementKind.ADJUSTMENT, products[line.product_id], locked.warehouse, line.difference)
            for line in differences
        ]
        with audit.acting(user, reason):
            movements = stock.post_legs(legs, user=user, reference=locked.number, reason=reason, frozen_for=locked.pk)
            locked.state, locked.approved_by, locked.posted_at = StockCountState.POSTED, user, timezone.now()
            _save(locked, f"posted: {len(movements)} adjustments")
        taken.result = {"message": post_summary(locked, len(movements)), "count_id": locked.pk}
    count.refresh_from_db()
    return movements


def post_summary(count: StockCount, adjustments: int) -> str:
    """How posting is announced: "Posted CNT-000012: 3 adjustments in MAIN"."""
    plural = "s" if adjustments != 1 else ""
    return f"Posted {count.number}: {adjustments} adjustment{plural} in {count.warehouse.code}"
