"""Rows written with their history rows and audit log entries, the same on every database, fast on PostgreSQL."""

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import batched

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from inventory import audit
from inventory.copying import copy_rows, next_ids
from inventory.imports.plan import ChangedRow, ImportRejected
from inventory.models import AuditEntry, Warehouse

BATCH = 2000
COPY_BATCH = 20_000
ANALYZE_AFTER = 10_000
CHANGED_SINCE_PREVIEW = (
    "The data changed since the preview (someone edited these records, or the file is different). "
    "Nothing was imported; check the new preview and confirm again."
)
AUDIT_COLUMNS = [
    "timestamp",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "history_id",
    "warehouse_id",
    "user_id",
    "reason",
    "changes",
]


def create_with_history(
    model, rows: list[dict], *, user, reason: str, when: datetime, on_progress: Callable[[int], None] | None = None
) -> None:
    """Insert `rows` (attname → value) and one "+" history row each, with the acting user and change reason."""
    if connection.vendor == "postgresql":
        _copy_with_history(model, rows, user=user, reason=reason, when=when, on_progress=on_progress)
        return
    done = 0
    for chunk in batched(rows, BATCH):
        objects = [model(**values) for values in chunk]
        audit.bulk_create_with_history(objects, model, user=user, reason=reason, batch_size=BATCH)
        done += len(chunk)
        if on_progress:
            on_progress(done)


def update_with_history(model, rows: Sequence[ChangedRow], *, user, reason: str, when: datetime) -> None:
    """Write each row's planned diff, with a "~" history row and an audit entry describing that diff.

    The records are locked and checked against the plan's stored values: one that moved since the
    plan was read refuses the whole import rather than overwrite someone's edit.
    """
    instances = model._default_manager.select_for_update().in_bulk([row.pk for row in rows])
    fields: set[str] = set()
    for row in rows:
        instance = instances.get(row.pk)
        if instance is None or any(getattr(instance, name) != old for name, (old, _) in row.changes.items()):
            raise ImportRejected(CHANGED_SINCE_PREVIEW)
        for name, (_, new) in row.changes.items():
            setattr(instance, name, new)
        fields.update(row.changes)
    labels = audit.Labels()
    described = {row.pk: audit.describe_diff(model, row.changes, labels=labels) for row in rows}
    objects = [instances[row.pk] for row in rows]
    audit.bulk_update_with_history(
        objects, model, sorted(fields), user=user, reason=reason, batch_size=BATCH, changes=described, when=when
    )


class _CopyLayout:
    """Columns and constant values of the three tables a new row is written to."""

    def __init__(self, model, *, user, reason: str, when: datetime):
        opts = model._meta
        self.model = model
        self.history = model.history.model
        fields = [field for field in opts.concrete_fields if not field.primary_key]
        self.defaults = {
            field.attname: when
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            else field.get_default()  # "" for text without a default, as save() would
            for field in fields
        }
        self.pk_name = opts.pk.attname
        self.names = [self.pk_name, *(field.attname for field in fields)]
        self.columns = [opts.pk.column, *(field.column for field in fields)]
        self.tracked = [field.attname for field in self.history.tracked_fields]
        self.extra = {
            "history_date": when,
            "history_change_reason": reason,
            "history_type": "+",
            "history_user_id": user.pk if user else None,
        }
        self.history_columns = [self.history._meta.pk.column, *self.tracked, *self.extra]
        self.content_type_id = ContentType.objects.get_for_model(model).pk
        self.when = when

    def record(self, pk: int, values: dict) -> dict:
        return {**self.defaults, **values, self.pk_name: pk}

    def row(self, record: dict) -> list:
        return [record[name] for name in self.names]

    def history_row(self, history_id: int, record: dict) -> list:
        return [history_id, *(record[name] for name in self.tracked), *self.extra.values()]

    def audit_row(self, history_id: int, record: dict) -> list:
        pk = record[self.pk_name]
        return [
            self.when,
            AuditEntry.Action.CREATED,
            self.content_type_id,
            pk,
            str(self.model(**record))[: audit.REPR_LENGTH],
            history_id,
            pk if self.model is Warehouse else record.get("warehouse_id"),
            self.extra["history_user_id"],
            self.extra["history_change_reason"],
            "[]",
        ]


def _copy_with_history(model, rows, *, user, reason, when, on_progress) -> None:
    """COPY the rows, their history rows and their audit log entries, with ids drawn from the sequences first.

    Django's bulk_create (which bulk_create_with_history uses) spends ~0.1 ms per row building and
    adapting the INSERT on PostgreSQL, ten times what COPY costs; the history rows and audit entries
    written here have exactly the values inventory.audit.bulk_create_with_history would give them
    (tests/test_copy_history.py compares the two).
    """
    layout = _CopyLayout(model, user=user, reason=reason, when=when)
    table, history_table = model._meta.db_table, layout.history._meta.db_table
    done = 0
    with connection.cursor() as cursor:
        for chunk in batched(rows, COPY_BATCH):
            ids = next_ids(cursor, table, model._meta.pk.column, len(chunk))
            history_ids = next_ids(cursor, history_table, layout.history._meta.pk.column, len(chunk))
            records = [layout.record(pk, values) for pk, values in zip(ids, chunk, strict=True)]
            copy_rows(cursor, table, layout.columns, map(layout.row, records))
            copy_rows(cursor, history_table, layout.history_columns, map(layout.history_row, history_ids, records))
            copy_rows(cursor, AuditEntry._meta.db_table, AUDIT_COLUMNS, map(layout.audit_row, history_ids, records))
            done += len(chunk)
            if on_progress:
                on_progress(done)
        if len(rows) >= ANALYZE_AFTER:
            # After a bulk load the planner's statistics still describe the old table (autovacuum catches
            # up later), and the next import's key lookups get planned for a table a fraction the size.
            cursor.execute(f"ANALYZE {table}, {history_table}, {AuditEntry._meta.db_table}")
