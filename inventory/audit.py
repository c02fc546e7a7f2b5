"""The audit trail: who is acting, history-aware bulk writes, and the audit log index.

django-simple-history writes a historical record on every `save()` and `delete()`.
This module closes the gaps around it:

- `acting(user, reason)` attributes history written outside a request (background
  tasks, management commands) to the user who started the work;
- `bulk_create_with_history` / `bulk_update_with_history` are the only bulk writes
  allowed on audited models (a plain `queryset.update()` writes no history);
- every historical record, and every access change (`AccessEvent`), is indexed as
  an `AuditEntry` with its field-level changes, so the global audit log pages
  through one table instead of a union of every history table.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from itertools import batched
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.signals import post_create_historical_record, pre_create_historical_record
from simple_history.utils import get_change_reason_from_object, get_history_manager_for_model

from inventory import access
from inventory.acting import acting_as
from inventory.copying import insert_many
from inventory.models import AccessEvent, AuditEntry, StockMovement, Warehouse

ACTION_BY_HISTORY_TYPE = {
    "+": AuditEntry.Action.CREATED,
    "~": AuditEntry.Action.CHANGED,
    "-": AuditEntry.Action.DELETED,
}
ACTION_BY_ACCESS_EVENT = {
    AccessEvent.Action.GRANT: AuditEntry.Action.CREATED,
    AccessEvent.Action.JOIN: AuditEntry.Action.CREATED,
    AccessEvent.Action.REVOKE: AuditEntry.Action.DELETED,
    AccessEvent.Action.LEAVE: AuditEntry.Action.DELETED,
}
REPR_LENGTH = AuditEntry._meta.get_field("object_repr").max_length

_reason: ContextVar[str] = ContextVar("stockroom_audit_reason", default="")


def is_audited(model: type[models.Model]) -> bool:
    """Whether simple-history keeps historical records of this model."""
    return hasattr(model._meta, "simple_history_manager_attribute")


def logged_models() -> list[type[models.Model]]:
    """Every model whose changes appear in the audit log: the audited ones and access changes."""
    return [model for model in apps.get_models() if is_audited(model)] + [AccessEvent]


def visible_entries(user) -> models.QuerySet[AuditEntry]:
    """The audit log as this user may see it.

    An entry is visible with the view permission on its model and, when it is
    about something in a warehouse (stock levels, the warehouse itself, a grant),
    a view grant in that warehouse (for a transfer order: in its destination or its source).
    """
    entries = AuditEntry.objects.all()
    if user is None or not user.is_active:
        return entries.none()
    if user.is_superuser:
        return entries
    if not user.has_perm("inventory.view_auditentry"):
        return entries.none()
    viewable = [
        model for model in logged_models() if user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
    ]
    content_types = ContentType.objects.get_for_models(*viewable).values()
    warehouse_ids = access.warehouse_ids_for(user, access.VIEW_STOCK)
    ids = sorted(warehouse_ids)
    return entries.filter(
        Q(warehouse_id__isnull=True) | Q(warehouse_id__in=ids) | Q(also_warehouse_id__in=ids),
        content_type__in=[content_type.pk for content_type in content_types],
    )


def visible_movements(user) -> models.QuerySet[StockMovement]:
    """The ledger as the audit log shows it, to those who may read both: each stock movement is its own
    permanent record (posted once, never edited or deleted; a mistake is undone by a reversing movement), so the
    log reads the ledger itself instead of keeping a second copy of five million rows."""
    movements = StockMovement.objects.all()
    if user is None or not user.is_active:
        return movements.none()
    if user.is_superuser:
        return movements
    if not (user.has_perm("inventory.view_auditentry") and user.has_perm("inventory.view_stockmovement")):
        return movements.none()
    return movements.filter(access.scope_q(user, access.VIEW_STOCK))


def movement_entry(movement: StockMovement) -> AuditEntry:
    """A movement as an audit log row (unsaved): created by whoever posted it, in its warehouse, for its reason."""
    return AuditEntry(
        id=movement.pk,
        timestamp=movement.created_at,
        action=AuditEntry.Action.CREATED,
        content_type=ContentType.objects.get_for_model(StockMovement),
        object_id=movement.pk,
        object_repr=str(movement)[:REPR_LENGTH],
        warehouse=movement.warehouse,
        user=movement.created_by,
        reason=" · ".join(part for part in (movement.reference, movement.reason) if part),
    )


def visible_actors(user) -> models.QuerySet:
    """The users who acted in an entry this user may see (everyone for superusers), by username.

    So a scoped viewer is offered no one who only worked in other warehouses. One query: an EXISTS
    per user through the log's (user, timestamp) index, never a scan of the log.
    """
    users = get_user_model().objects.order_by("username")
    if user is not None and user.is_active and user.is_superuser:
        return users
    return users.filter(Exists(visible_entries(user).filter(user=OuterRef("pk"))))


@contextmanager
def acting(user, reason: str = "") -> Iterator[None]:
    """Attribute history written inside the block to `user`, with `reason` where no other is given.

    Outside a request (tasks, commands) there is no signed-in user to find; inside one
    this also lets an action name its change reason ("bulk deactivate"). The user
    reaches simple-history through its `get_user` hook (`inventory.acting`).
    """
    token = _reason.set(reason)
    try:
        with acting_as(user):
            yield
    finally:
        _reason.reset(token)


def bulk_create_with_history(
    objs: Iterable[models.Model], model: type[models.Model], *, user, reason: str, batch_size: int = 500
) -> list[models.Model]:
    """Insert many new objects with one "created" historical record each, by `user`, for `reason`."""
    objs = list(objs)
    if not objs:
        return []
    with transaction.atomic():
        created = insert_many(model, objs, batch_size=batch_size)
        history = _bulk_history(model, created, update=False, user=user, reason=reason, batch_size=batch_size)
        _index_bulk(model, history, created, {})
    return created


def bulk_update_with_history(
    objs: Iterable[models.Model],
    model: type[models.Model],
    fields: Sequence[str],
    *,
    user,
    reason: str,
    batch_size: int = 500,
    changes: dict | None = None,
    when=None,
) -> list[models.Model]:
    """Save `fields` of many complete objects; only those that really changed are written and recorded.

    Returns the changed objects. An unchanged object gets no historical record,
    so re-running the same bulk change writes nothing. A caller that already
    knows the diff (an import's plan) passes it as `changes` ({pk: described
    changes}, see describe_diff): the objects are then written as they are,
    without reading and comparing them again.
    """
    objs = list(objs)
    if not objs:
        return []
    with transaction.atomic():
        if changes is None:
            changes = _diff_against_stored(model, objs, fields)
        changed = [obj for obj in objs if obj.pk in changes]
        if not changed:
            return []
        written = list(fields)
        now = when or timezone.now()
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) and field.name not in written:
                written.append(field.name)
                for obj in changed:
                    setattr(obj, field.attname, now)
        _write_fields(model, changed, written, batch_size=batch_size)
        history = _bulk_history(model, changed, update=True, user=user, reason=reason, batch_size=batch_size)
        _index_bulk(model, history, changed, changes)
    return changed


def _bulk_history(model: type[models.Model], objs: list, *, update: bool, user, reason: str, batch_size: int) -> list:
    """One historical record per object, as simple-history's bulk_history_create makes them, inserted by COPY.

    Its own bulk_history_create ends in bulk_create, seconds of Python at 10,000 rows; the records
    are the same (tests/test_copy_history.py compares the two).
    """
    history_model = get_history_manager_for_model(model).model
    history_type = "~" if update else "+"
    now = timezone.now()
    tracked = [field.attname for field in history_model.tracked_fields]
    records = []
    for instance in objs:
        record = history_model(
            history_date=getattr(instance, "_history_date", now),
            history_user=getattr(instance, "_history_user", user or history_model.get_default_history_user(instance)),
            history_change_reason=get_change_reason_from_object(instance) or reason,
            history_type=history_type,
            **{attname: getattr(instance, attname) for attname in tracked},
        )
        if hasattr(history_model, "history_relation"):
            record.history_relation_id = instance.pk
        records.append(record)
    return insert_many(history_model, records, batch_size=batch_size)


def _write_fields(model: type[models.Model], objs: list, fields: Sequence[str], *, batch_size: int) -> None:
    """Save `fields` of `objs` in bulk: on PostgreSQL one UPDATE … FROM unnest(one array per column).

    Django's bulk_update builds a CASE WHEN per field and row, which costs seconds of Python and
    SQL at 10,000 rows (a 10,000-line stock count); a VALUES list costs its parameters' parsing;
    the arrays keep the statement a few lines long whatever the rows. SQLite keeps Django's own.
    """
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [pk, *columns])
    assignments = ", ".join(f"{quote(field.column)} = v.c{n}" for n, field in enumerate(columns, start=1))
    aliases = ", ".join(f"c{n}" for n in range(len(columns) + 1))
    table = quote(model._meta.db_table)
    where = f"{table}.{quote(pk.column)} = v.c0"
    sql = f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({aliases}) WHERE {where}"
    with connection.cursor() as cursor:
        for batch in batched(objs, 10_000):
            prepared = (
                [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in batch] for field in columns
            )
            cursor.execute(sql, [[obj.pk for obj in batch], *prepared])


def _diff_against_stored(model: type[models.Model], objs: list, fields: Sequence[str]) -> dict:
    """{pk: described changes} of each object against its stored row (locked); missing rows raise."""
    tracked = [model._meta.get_field(name) for name in fields]
    current = model._default_manager.select_for_update().in_bulk([obj.pk for obj in objs])
    missing = [obj.pk for obj in objs if obj.pk not in current]
    if missing:
        raise model.DoesNotExist(f"{capfirst(model._meta.verbose_name)} #{missing[0]} no longer exists.")
    labels = Labels()
    changes = {}
    for obj in objs:
        diff = describe_changes(current[obj.pk], obj, tracked, labels=labels)
        if diff:
            changes[obj.pk] = diff
    return changes


def describe_diff(model: type[models.Model], diff: dict, *, labels: "Labels | None" = None) -> list[dict]:
    """A known diff ({attname: (old, new)}) as the audit log shows changes; untracked fields left out."""
    tracked = {field.attname for field in tracked_fields(model)}
    fields = [model._meta.get_field(name) for name in sorted(diff) if name in tracked]
    old = SimpleNamespace(**{name: before for name, (before, _) in diff.items()})
    new = SimpleNamespace(**{name: after for name, (_, after) in diff.items()})
    return describe_changes(old, new, fields, labels=labels)


class Labels:
    """Names of related objects for diffs, looked up once per (model, pk)."""

    def __init__(self):
        self._names: dict[tuple[type, object], str] = {}

    def __call__(self, model: type[models.Model], pk) -> str:
        key = (model, pk)
        if key not in self._names:
            related = model._default_manager.filter(pk=pk).first()
            self._names[key] = str(related) if related is not None else f"#{pk} (deleted)"
        return self._names[key]


def _display(field: models.Field, value, labels: Labels) -> str:
    if value is None or value == "":
        return ""
    if field.is_relation:
        return labels(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(field, models.DecimalField):
        return str(value.quantize(Decimal(1).scaleb(-field.decimal_places)))
    return str(value)


def describe_changes(old, new, fields: Iterable[models.Field], *, labels: "Labels | None" = None) -> list[dict]:
    """Field-level differences between two versions, as people read them: verbose names, names not ids."""
    labels = labels or Labels()
    changes = []
    for field in fields:
        before = field.to_python(getattr(old, field.attname))
        after = field.to_python(getattr(new, field.attname))
        if before == after:
            continue
        changes.append(
            {
                "field": str(capfirst(field.verbose_name)),
                "old": _display(field, before, labels),
                "new": _display(field, after, labels),
            }
        )
    return changes


@cache
def tracked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The fields of `model` whose history is kept and that people edit (asked once per model: a bulk diff asks
    for every row)."""
    history_model = get_history_manager_for_model(model).model
    tracked = {field.attname for field in history_model.tracked_fields}
    return tuple(
        field
        for field in model._meta.concrete_fields
        if field.attname in tracked and field.editable and not field.primary_key
    )


def _warehouse_id(model: type[models.Model], record, obj) -> int | None:
    if issubclass(model, Warehouse):
        return getattr(record, model._meta.pk.attname)
    if hasattr(obj, "audit_warehouse_id"):
        # A document line has no warehouse of its own; its header's decides who may read its history.
        return obj.audit_warehouse_id()
    return getattr(record, "warehouse_id", None)


def _entry(model, record, obj, changes: list[dict]) -> AuditEntry:
    return AuditEntry(
        timestamp=record.history_date,
        action=ACTION_BY_HISTORY_TYPE[record.history_type],
        content_type=ContentType.objects.get_for_model(model),
        object_id=getattr(record, model._meta.pk.attname),
        object_repr=str(obj)[:REPR_LENGTH],
        history_id=record.history_id,
        warehouse_id=_warehouse_id(model, record, obj),
        also_warehouse_id=obj.audit_also_warehouse_id() if hasattr(obj, "audit_also_warehouse_id") else None,
        user_id=record.history_user_id,
        reason=record.history_change_reason or "",
        changes=changes,
    )


def _index_bulk(model, history: list, objs: list, changes: dict) -> None:
    entries = [_entry(model, record, obj, changes.get(obj.pk, [])) for record, obj in zip(history, objs, strict=True)]
    insert_many(AuditEntry, entries, batch_size=500)


@receiver(pre_create_historical_record)
def _apply_context_reason(sender, history_instance, **kwargs) -> None:
    reason = _reason.get()
    if reason and not history_instance.history_change_reason:
        history_instance.history_change_reason = reason


@receiver(post_create_historical_record)
def _index_historical_record(sender, instance, history_instance, **kwargs) -> None:
    model = history_instance.instance_type
    changes = []
    if history_instance.history_type == "~":
        pk_name = model._meta.pk.attname
        previous = (
            sender.objects.filter(
                **{pk_name: getattr(history_instance, pk_name)}, history_id__lt=history_instance.history_id
            )
            .order_by("-history_id")
            .first()
        )
        if previous is not None:
            changes = describe_changes(previous, history_instance, tracked_fields(model))
    _entry(model, history_instance, instance, changes).save()


@receiver(post_save, sender=AccessEvent)
def _index_access_event(sender, instance: AccessEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    AuditEntry.objects.create(
        timestamp=instance.created_at,
        action=ACTION_BY_ACCESS_EVENT.get(instance.action, AuditEntry.Action.CHANGED),
        content_type=ContentType.objects.get_for_model(AccessEvent),
        object_id=instance.pk,
        object_repr=str(instance)[:REPR_LENGTH],
        warehouse_id=instance.warehouse_id,
        user_id=instance.actor_id,
    )
