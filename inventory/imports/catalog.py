"""Catalog-like imports (products, suppliers, warehouses): compare in the file's own terms, write only changes.

A row whose cells equal the stored values (as text, or else once cleaned, with the cleaning of repeated
values remembered) is unchanged without building anything, so a re-import costs little more than reading
the file. New rows are COPied with their history; changed rows write exactly the planner's diff.
"""

import operator
from itertools import batched
from typing import Any

from django.utils import timezone

from inventory import access
from inventory.imports.base import CellReader, StockroomResource
from inventory.imports.lookups import matching
from inventory.imports.parsers import ParsedFile
from inventory.imports.plan import ChangedRow, NewRow, Plan
from inventory.imports.widgets import TEXT
from inventory.imports.writes import BATCH, create_with_history, update_with_history


class Stored:
    """The stored records a file names, by key: their pk, the file's columns as stored (in file terms)
    and the model attributes an update writes."""

    def __init__(self, resource: "CatalogResource", headers: list[str]):
        self.resource = resource
        self.columns = [resource.column(header) for header in headers]
        self.header_index = {header: index for index, header in enumerate(headers)}
        self.key_index = headers.index(resource.key)
        sources = [resource.source(column) for column in self.columns]
        written = [resource.attname(column) for column in self.columns]
        extra = [name for name in written if name not in sources]
        self.fields = ("pk", *sources, *extra)
        self.position = {name: 1 + index for index, name in enumerate([*sources, *extra])}
        self.by_key: dict[str, tuple] = {}

    def fetch(self, keys) -> None:
        key_attname = self.resource.attname(self.resource.column(self.resource.key))
        queryset = self.resource.get_queryset()
        for record in matching(queryset, key_attname, keys, *self.fields):
            self.by_key[record[1 + self.key_index]] = record

    def get(self, key: str | None) -> tuple | None:
        return self.by_key.get(key)

    def as_file(self, record: tuple) -> tuple:
        """The stored record's values in the file's column order and terms."""
        return record[1 : 1 + len(self.columns)]

    def in_file_terms(self, record: tuple, name: str) -> Any:
        """The stored value of column `name` as a file writes it (a category's path, not its id)."""
        return record[1 + self.header_index[name]]

    def attribute(self, record: tuple, attname: str) -> Any:
        """The stored value of a model attribute an update writes (a category's id)."""
        return record[self.position[attname]]


class CatalogResource(StockroomResource):
    """Plans and applies rows of a model keyed by one natural key (sku, code)."""

    # The records are warehouses: updating one needs this permission in it (None: no scope).
    scope_permission: str | None = None

    @property
    def key(self) -> str:
        return self.key_columns[0]

    def scope(self, user):
        return None if self.scope_permission is None else access.warehouse_ids_for(user, self.scope_permission)

    def plan(self, parsed: ParsedFile, plan: Plan, *, user) -> None:
        stored = Stored(self, parsed.headers)
        keys = _likely_keys(parsed.rows, stored.key_index)
        # Keys here only pick the stored record to compare with (every cell, the key included, is then
        # compared properly), so the cheap normalisation of codes is enough; odd keys take the slow path.
        stored.fetch(key for key in keys.values() if key)
        scope = self.scope(user)
        remaining, first_seen = self._skip_unchanged(parsed, plan, stored, keys, scope)
        rows = self.clean_rows(ParsedFile(parsed.headers, remaining, parsed.format), plan, first_seen)
        stored.fetch({values[self.key] for _, values in rows} - stored.by_key.keys())
        references = self._resolve_references(rows)
        unique = UniqueValues(self, rows)
        for number, values in rows:
            if unique.check(number, values, plan):
                self._plan_row(number, values, stored, references, scope, plan)

    def _skip_unchanged(self, parsed: ParsedFile, plan: Plan, stored: Stored, keys: dict, scope):
        """Count rows equal to their stored record; the rest (and their row numbers) go to the slow path."""
        width = len(stored.columns)
        candidates, remaining = [], []
        for number, raw in parsed.rows:
            raw_key = raw[stored.key_index] if len(raw) > stored.key_index else None
            current = stored.get(keys.get(raw_key)) if type(raw_key) is str else None
            if current is None or len(raw) != width or not _in_scope(scope, current[0]):
                remaining.append((number, raw))
            else:
                candidates.append((number, raw, current))
        readers = [(CellReader(column), column.widget.kind == TEXT) for column in stored.columns]
        same = _equal_rows([c[1] for c in candidates], [stored.as_file(c[2]) for c in candidates], readers)
        first_seen: dict[str, int] = {}
        for (number, raw, current), is_same in zip(candidates, same, strict=True):
            key = current[1 + stored.key_index]
            if is_same and key not in first_seen:
                first_seen[key] = number
                plan.same()
            else:
                remaining.append((number, raw))
        remaining.sort(key=lambda row: row[0])
        return remaining, first_seen

    def _resolve_references(self, rows: list[tuple[int, dict]]) -> dict[str, dict[str, int]]:
        """For each reference column, {natural key: id} of every key the rows name, in bulk."""
        references = {}
        for column in self.import_columns:
            if hasattr(column.widget, "resolve"):
                wanted = (values[column.key] for _, values in rows if values.get(column.key))
                references[column.key] = column.widget.resolve(wanted)
        return references

    def _given(self, values: dict) -> dict:
        """The cells that say something: empty cells leave stored values alone (and new ones at defaults)."""
        return {
            name: value
            for name, value in values.items()
            if name != self.key and value is not None and not (value == "" and self.column(name).needed_for_new)
        }

    def _plan_row(self, number: int, values: dict, stored: Stored, references: dict, scope, plan: Plan) -> None:
        key, given = values[self.key], self._given(values)
        current = stored.get(key)
        if current is None:
            self._plan_new(number, key, values, given, references, plan)
            return
        if not _in_scope(scope, current[0]):
            plan.error(number, self.key, access.not_one_of_yours(key))
            return
        changed = {
            name: value for name, value in given.items() if not _same(value, stored.in_file_terms(current, name))
        }
        if not changed:
            plan.same()
            return
        target = self._attributes(number, changed, references, plan)
        if target is not None:
            diff = {name: (stored.attribute(current, name), value) for name, value in target.items()}
            plan.update(ChangedRow(number, current[0], diff), key, changed)

    def _plan_new(self, number: int, key: str, values: dict, given: dict, references: dict, plan: Plan) -> None:
        needed = [column for column in self.import_columns if column.needed_for_new]
        missing = [column.title for column in needed if not values.get(column.key)]
        if missing:
            plan.error(number, "", f"A new record needs a {' and a '.join(missing)}.")
            return
        target = self._attributes(number, given, references, plan)
        if target is not None:
            key_attname = self.attname(self.column(self.key))
            plan.create(NewRow(number, {key_attname: key, **target}), key)

    def _attributes(self, number: int, values: dict, references: dict, plan: Plan) -> dict | None:
        """Model attributes for the given cells, natural keys turned into ids; None (and row errors) if unknown."""
        target = {}
        ok = True
        for name, value in values.items():
            column = self.column(name)
            if name in references:
                if value and value not in references[name]:
                    plan.error(number, name, column.widget.missing_message(value))
                    ok = False
                value = references[name].get(value)  # an empty cell clears an optional reference
            target[self.attname(column)] = value
        return target if ok else None

    def apply(self, plan: Plan, *, user, reason: str, on_progress) -> None:
        now = timezone.now()
        creates = [row.values for row in plan.creates]
        create_with_history(self.model, creates, user=user, reason=reason, when=now, on_progress=on_progress)
        done = len(creates)
        for chunk in batched(plan.updates, BATCH):
            update_with_history(self.model, chunk, user=user, reason=reason, when=now)
            done += len(chunk)
            if on_progress:
                on_progress(done)


class UniqueValues:
    """Columns declared unique besides the key (a product's barcode): one owner in the file and the table."""

    def __init__(self, resource: CatalogResource, rows: list[tuple[int, dict]]):
        self.resource = resource
        self.columns = [column for column in resource.import_columns if column.unique]
        self.owners = {}
        self.first_row: dict[str, dict] = {column.key: {} for column in self.columns}
        key_attname = resource.attname(resource.column(resource.key))
        for column in self.columns:
            values = [v[column.key] for _, v in rows if v.get(column.key)]
            found = matching(resource.model.objects.all(), column.attribute, values, column.attribute, key_attname)
            self.owners[column.key] = dict(found)

    def check(self, number: int, values: dict, plan: Plan) -> bool:
        key = values[self.resource.key]
        for column in self.columns:
            value = values.get(column.key)
            if not value:
                continue
            owner = self.owners[column.key].get(value)
            seen = self.first_row[column.key]
            if (owner and owner != key) or value in seen:
                noun = self.resource.model._meta.verbose_name
                where = f"{noun} {owner}" if owner and owner != key else f"row {seen[value]}"
                plan.error(number, column.key, f"{column.title.capitalize()} {value} is already used by {where}.")
                return False
            seen[value] = number
        return True


def _likely_keys(rows: list, key_index: int) -> dict[str, str]:
    keys = {}
    for _, raw in rows:
        if len(raw) > key_index and type(raw[key_index]) is str:
            keys[raw[key_index]] = raw[key_index].strip().upper()
    return keys


def _in_scope(scope, pk: int) -> bool:
    return scope is None or scope is access.ALL or pk in scope


class _Any:
    """Equal to anything: an empty cell leaves the stored value as it is."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


_ANY, _NEVER = _Any(), object()


def _equal_rows(rows: list[list], stored_rows: list[tuple], readers: list) -> list[bool]:
    """For each row, whether every cell equals the stored value; column by column, each distinct value cleaned once.

    Text is compared as written; other cells through their cleaned value. A cell that only differs in
    form (" p-1", an escaped "'=x") reads as different here and is compared again on the slow path.
    """
    if not rows:
        return []
    checks = []
    raw_columns = zip(*rows, strict=True)
    stored_columns = zip(*stored_rows, strict=True)
    for raw_column, stored_column, (read, is_text) in zip(raw_columns, stored_columns, readers, strict=True):
        if is_text:
            stored_text = ["" if value is None else value for value in stored_column]
            checks.append(map(operator.eq, raw_column, stored_text))
            continue
        try:
            distinct = set(raw_column)
        except TypeError:  # an unhashable cell (a JSON list): leave every row to the slow path
            return [False] * len(rows)
        cleaned = {}
        for raw in distinct:
            value, problem = read(raw)
            cleaned[raw] = _NEVER if problem is not None else _ANY if value is None else value
        checks.append(map(operator.eq, map(cleaned.__getitem__, raw_column), stored_column))
    return list(map(all, zip(*checks, strict=True)))


def _same(value: Any, stored: Any) -> bool:
    """Whether a cleaned cell equals the stored value (a NULL equals an empty text cell)."""
    if stored is None and isinstance(value, str):
        return value == ""
    return value == stored
