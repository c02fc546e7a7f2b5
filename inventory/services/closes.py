"""Daily valuation closes, kept by the worker, so valuation as of any day reads thousands of rows, not millions.

The close of a day holds, per warehouse and category, the quantity and value (balance × moving average
cost) of the stock at the end of that day: what the ledger says (inventory.reports.valuation computes the
same from the movements directly, and tests hold the two equal). Valuation as of a closed day reads its
close; as of today, or a day not closed yet, the last close plus what changed since: for every
(product, warehouse) the ledger touched after the close, its last line minus its last line before.

How closes are built, one day per transaction, holding the ValuationCloseState row:
- a day is closed once it ended more than GRACE ago (no posting still in flight can land in it);
- the latest closable day is computed from the stock levels minus what moved since, so a product moved to
  another category is filed under its new one from that close on; older days are the previous close plus
  the day's changes (the first from the ledger alone);
- a movement posted into a closed day (a back-dated posting) lowers `closed_through` under the same lock,
  and the worker rebuilds from there: closes never disagree with the ledger.
Closed days keep the categories products had when they were closed, as closed books do.
"""

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from inventory.models import StockLevel, StockMovement, ValuationClose, ValuationCloseState
from inventory.replica import read_connection

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=5)
MOVEMENTS = StockMovement._meta.db_table
LEVELS = StockLevel._meta.db_table
CLOSES = ValuationClose._meta.db_table


def end_of_day(day: date) -> datetime:
    """The first moment after `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def last_closable_day(now: datetime | None = None) -> date:
    return timezone.localdate((now or timezone.now()) - GRACE) - timedelta(days=1)


def closed_through() -> date | None:
    return ValuationCloseState.objects.values_list("closed_through", flat=True).first()


# --- the SQL: changes per (warehouse, category) between two moments --------------------------------------------


def _in(column: str, ids: list[int] | None) -> tuple[str, list]:
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _sums(old_quantity: str, old_value: str) -> str:
    return (
        f"t.warehouse_id AS warehouse_id, p.category_id AS category_id, "
        f"SUM(t.balance_after - {old_quantity}) AS quantity, "
        f"SUM(t.balance_after * t.average_cost_after - {old_value}) AS value"
    )


def changes_sql(
    after: datetime | None,
    before: datetime | None,
    warehouse_ids: list[int] | None = None,
    category_ids: list[int] | None = None,
) -> tuple[str, list]:
    """SELECT warehouse_id, category_id, quantity change, value change over the movements in [after, before).

    Per (product, warehouse) with a movement in the window: its last line in the window minus its last line
    before `after` (none when `after` is None: the ledger from its start). Products are grouped under their
    current category.
    """
    window, params = "", []
    if after is not None:
        window += " AND {t}.created_at >= %s"
        params.append(after)
    if before is not None:
        window += " AND {t}.created_at < %s"
        params.append(before)
    warehouses, warehouse_params = _in("m.warehouse_id", warehouse_ids)
    categories, category_params = _in("p.category_id", category_ids)
    if connection.vendor == "postgresql":
        last = (
            f"SELECT DISTINCT ON (m.product_id, m.warehouse_id) m.product_id, m.warehouse_id, m.balance_after, "
            f"m.average_cost_after FROM {MOVEMENTS} m WHERE TRUE{window.format(t='m')}{warehouses} "
            f"ORDER BY m.product_id, m.warehouse_id, m.created_at DESC, m.id DESC"
        )
        last_params = [*params, *warehouse_params]
        if after is None:
            previous, previous_params = "", []
            old_quantity, old_value = "0", "0"
        else:
            previous = (
                f"LEFT JOIN LATERAL (SELECT l.balance_after, l.average_cost_after FROM {MOVEMENTS} l "
                f"WHERE l.product_id = t.product_id AND l.warehouse_id = t.warehouse_id AND l.created_at < %s "
                f"ORDER BY l.created_at DESC, l.id DESC LIMIT 1) prev ON TRUE "
            )
            previous_params = [after]
            old_quantity = "COALESCE(prev.balance_after, 0)"
            old_value = "COALESCE(prev.balance_after * prev.average_cost_after, 0)"
        sql = (
            f"SELECT {_sums(old_quantity, old_value)} FROM ({last}) t "
            f"JOIN inventory_product p ON p.id = t.product_id {previous}"
            f"WHERE TRUE{categories} GROUP BY t.warehouse_id, p.category_id"
        )
        return sql, [*last_params, *previous_params, *category_params]
    # SQLite: no DISTINCT ON and no LATERAL; correlated subqueries say the same, slower.
    last = (
        f"SELECT m.product_id, m.warehouse_id, m.balance_after, m.average_cost_after FROM {MOVEMENTS} m "
        f"WHERE m.id = (SELECT x.id FROM {MOVEMENTS} x WHERE x.product_id = m.product_id "
        f"AND x.warehouse_id = m.warehouse_id{window.format(t='x')} ORDER BY x.created_at DESC, x.id DESC LIMIT 1)"
        f"{window.format(t='m')}{warehouses}"
    )
    last_params = [*params, *params, *warehouse_params]
    if after is None:
        old_quantity, old_value, old_params = "0", "0", []
    else:
        probe = (
            f"FROM {MOVEMENTS} l WHERE l.product_id = t.product_id AND l.warehouse_id = t.warehouse_id "
            f"AND l.created_at < %s ORDER BY l.created_at DESC, l.id DESC LIMIT 1"
        )
        old_quantity = f"COALESCE((SELECT l.balance_after {probe}), 0)"
        old_value = f"COALESCE((SELECT l.balance_after * l.average_cost_after {probe}), 0)"
        old_params = [after, after]
    sql = (
        f"SELECT {_sums(old_quantity, old_value)} FROM ({last}) t JOIN inventory_product p ON p.id = t.product_id "
        f"WHERE 1 = 1{categories} GROUP BY t.warehouse_id, p.category_id"
    )
    # The select list's probes come first in the statement, then the window subquery, then the filters.
    return sql, [*old_params, *last_params, *category_params]


# --- reading ------------------------------------------------------------------------------------------------


def groups_as_of(
    day: date, warehouse_ids: list[int] | None = None, category_ids: list[int] | None = None
) -> list[tuple] | None:
    """(warehouse_id, category_id, quantity, value) at the end of `day` from the closes; None when none exist."""
    through = closed_through()
    if through is None:
        return None
    base = min(day, through)
    closes = ValuationClose.objects.filter(day=base)
    if warehouse_ids is not None:
        closes = closes.filter(warehouse_id__in=warehouse_ids)
    if category_ids is not None:
        closes = closes.filter(category_id__in=category_ids)
    totals = {(w, c): [q, v] for w, c, q, v in closes.values_list("warehouse_id", "category_id", "quantity", "value")}
    if day > through:
        sql, params = changes_sql(end_of_day(through), end_of_day(day), warehouse_ids, category_ids)
        with read_connection().cursor() as cursor:
            cursor.execute(sql, params)
            for warehouse_id, category_id, quantity, value in cursor.fetchall():
                total = totals.setdefault((warehouse_id, category_id), [Decimal(0), Decimal(0)])
                total[0] += Decimal(str(quantity))  # SQLite sums in floats
                total[1] += Decimal(str(value))
    return [(w, c, q, v) for (w, c), (q, v) in totals.items() if q]


# --- closing ------------------------------------------------------------------------------------------------


def _first_movement_day() -> date | None:
    first = StockMovement.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localdate(first) if first else None


def _insert_close(day: date, parts: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CLOSES} (day, warehouse_id, category_id, quantity, value) "
            f"SELECT %s, g.warehouse_id, g.category_id, SUM(g.q), SUM(g.v) FROM ({parts}) g "
            f"GROUP BY g.warehouse_id, g.category_id HAVING SUM(g.q) <> 0",
            [day, *params],
        )


def _close_from_previous(day: date, previous: date | None) -> None:
    """The previous close plus the day's changes (the ledger up to the day's end when there is none)."""
    after = end_of_day(previous) if previous else None
    changes, params = changes_sql(after, end_of_day(day))
    parts = f"SELECT c.warehouse_id, c.category_id, c.quantity AS q, c.value AS v FROM {CLOSES} c WHERE c.day = %s"
    _insert_close(day, f"{parts} UNION ALL {changes}", [previous, *params])


def _close_from_levels(day: date) -> None:
    """Today's stock levels minus what moved since the day ended, in one statement (one snapshot)."""
    changes, params = changes_sql(end_of_day(day), None)
    levels = (
        f"SELECT s.warehouse_id, p.category_id, s.on_hand AS q, s.on_hand * s.average_cost AS v "
        f"FROM {LEVELS} s JOIN inventory_product p ON p.id = s.product_id WHERE s.on_hand <> 0"
    )
    since = f"SELECT c.warehouse_id, c.category_id, -c.quantity, -c.value FROM ({changes}) c"
    _insert_close(day, f"{levels} UNION ALL {since}", params)


def close_days(now: datetime | None = None, *, limit: int | None = None) -> int:
    """Close every day that ended more than GRACE ago and is not closed yet; returns how many were closed."""
    last = last_closable_day(now)
    closed = 0
    while limit is None or closed < limit:
        with transaction.atomic():
            ValuationCloseState.objects.get_or_create(pk=1)
            state = ValuationCloseState.objects.select_for_update().get(pk=1)
            through = state.closed_through
            day = through + timedelta(days=1) if through else _first_movement_day()
            if day is None or day > last:
                return closed
            ValuationClose.objects.filter(day__gte=day).delete()  # left from before a back-dated posting
            if day == last:
                _close_from_levels(day)
            else:
                _close_from_previous(day, through)
            state.closed_through = day
            state.save(update_fields=["closed_through"])
        closed += 1
    return closed


def reopen(moment: datetime) -> None:
    """A movement dated `moment` is being posted: if its day is closed, closes from that day on are stale.

    Called inside the posting's transaction; waits for a close being built, so either that close sees this
    movement or this lowers `closed_through` after it.
    """
    if moment >= timezone.now() - GRACE:
        return
    day = timezone.localdate(moment)
    state = ValuationCloseState.objects.select_for_update().filter(pk=1).first()
    if state and state.closed_through and state.closed_through >= day:
        state.closed_through = day - timedelta(days=1)
        state.save(update_fields=["closed_through"])
        logger.info("Valuation closes reopened from %s for a movement dated %s", day, moment)
