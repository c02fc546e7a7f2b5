"""The set-based import: parse once, validate every row with bulk natural-key lookups, then apply in one go.

`preview_import` classifies each row as new, updated, unchanged or error and
writes nothing. `apply_import` re-validates inside one transaction, refuses
when the outcome differs from the preview it is confirming, and writes new and
changed rows with simple-history's bulk helpers (acting user and change reason
on every history row). Unchanged rows are never saved, so a re-import adds no
history. Stock counts go through `services.set_count`, never to StockLevel.
"""

import contextlib
import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Field, Lookup
from django.utils import timezone

from inventory import access, services
from inventory.audit import bulk_create_with_history, bulk_update_with_history
from inventory.imports import cells
from inventory.imports.parsers import ImportFileError, ParsedFile, parse_file
from inventory.imports.resources import (
    RESOURCES,
    TEXT,
    CategoryResource,
    Column,
    Resource,
    StockCountResource,
    WarehouseResource,
)
from inventory.imports.writes import create_with_history
from inventory.models import Category, Product, StockLevel, Supplier, Warehouse
from inventory.models.catalog import CATEGORY_PATH_SEPARATOR, WHOLE_UNITS
from inventory.services.submissions import Taken, once

BATCH = 2000
LOOKUP_CHUNK = 2000
ANY_CHUNK = 50_000
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class RowError:
    """A problem on one row: the row number as a spreadsheet shows it, the column and the message."""

    row: int
    column: str
    message: str


@dataclass
class Plan:
    """What importing the file would do."""

    resource: str
    total: int = 0
    creates: list[tuple[int, dict]] = field(default_factory=list)
    updates: list[tuple[int, int, dict]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    _outcomes: list[str] = field(default_factory=list, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            NEW: len(self.creates),
            UPDATED: len(self.updates),
            UNCHANGED: self.unchanged,
            "errors": len(self.errors),
            "error_rows": len({error.row for error in self.errors}),
        }

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def digest(self) -> str:
        """A fingerprint of the outcome, so a confirm can refuse when it would differ from the preview."""
        outcomes = [*self._outcomes, f"unchanged={self.unchanged}", *(f"{e.row}|{e.column}" for e in self.errors)]
        return hashlib.sha256("\n".join(outcomes).encode()).hexdigest()

    def record(self, row: int, status: str, key: Any, changed: Iterable[str] = ()) -> None:
        """Note a new or updated row for the digest (unchanged rows are implied: they are the rest)."""
        self._outcomes.append(f"{row}|{status}|{key}|{','.join(sorted(changed))}")

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


@Field.register_lookup
class AnyOf(Lookup):
    """`field = ANY(%s)` with the list as one array parameter (PostgreSQL only)."""

    lookup_name = "stockroom_any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


class ImportRejected(Exception):
    """The confirm step found errors or a different outcome than the preview; nothing was written."""

    def __init__(self, message: str, plan: Plan | None = None):
        super().__init__(message)
        self.message = message
        self.plan = plan


def check_permission(user, resource: Resource) -> None:
    """Only users with the model's import permission may import; stock counts also need post_adjustment."""
    if resource.export_only:
        raise ImportFileError(f"{resource.title.capitalize()} cannot be imported.")
    if user is None or not user.is_active or not user.has_perm(resource.import_permission):
        raise ImportFileError(f"You are not allowed to import {resource.title}.")
    if isinstance(resource, StockCountResource) and not user.has_perm("inventory.post_adjustment"):
        raise ImportFileError("Importing stock counts posts adjustments, and you are not allowed to adjust stock.")


def preview_import(
    resource_name: str, data: bytes, *, user, filename: str = "", fmt: str = "", delimiter: str = "", decimal: str = ""
):
    """Validate the file and say what importing it would do; writes nothing."""
    resource = RESOURCES[resource_name]
    check_permission(user, resource)
    parsed = parse_file(data, filename=filename, fmt=fmt, delimiter=delimiter, decimal=decimal)
    return plan_rows(resource, parsed, user)


def apply_import(
    resource_name: str,
    data: bytes,
    *,
    user,
    filename: str = "",
    fmt: str = "",
    delimiter: str = "",
    decimal: str = "",
    expected_digest: str = "",
    expected_sha256: str = "",
    on_progress: Callable[[int], None] | None = None,
    submission_key: str = "",
    on_applied: Callable[[Plan], None] | None = None,
) -> Plan:
    """Import the file all or nothing; refuse if it has errors or differs from the confirmed preview.

    With a submission key the import applies at most once: a second confirm of the
    same preview (a double click, two tabs, a retried job) raises AlreadySubmitted
    and writes nothing. `on_applied` runs inside the import's transaction, so what
    it records (a job marked done) commits with the rows or not at all.
    """
    resource = RESOURCES[resource_name]
    check_permission(user, resource)
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise ImportRejected("The uploaded file changed after the preview; nothing was imported.")
    parsed = parse_file(data, filename=filename, fmt=fmt, delimiter=delimiter, decimal=decimal)
    reason = f"import {filename or resource.title}"[:100]
    guard = (
        once(key=submission_key, user=user, purpose=f"import {resource.name}")
        if submission_key
        else contextlib.nullcontext(Taken())
    )
    with guard as taken, transaction.atomic():
        plan = plan_rows(resource, parsed, user)
        if not plan.is_valid:
            raise ImportRejected(f"{len(plan.errors)} problems were found; nothing was imported.", plan)
        if expected_digest and plan.digest != expected_digest:
            raise ImportRejected(
                "The data changed since the preview (someone edited these records, or the file is different). "
                "Nothing was imported; check the new preview and confirm again.",
                plan,
            )
        if isinstance(resource, StockCountResource):
            _apply_counts(plan, user=user, reason=reason, on_progress=on_progress)
        elif isinstance(resource, CategoryResource):
            _apply_categories(plan, user=user, reason=reason, on_progress=on_progress)
        else:
            _apply_model(resource, plan, user=user, reason=reason, on_progress=on_progress)
        counts = plan.counts
        taken.result = {
            "message": f"{filename or resource.title} was already imported: {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged. Nothing was imported again.",
            "counts": counts,
        }
        if on_applied is not None:
            on_applied(plan)
    return plan


def expected_seconds(resource_name: str, rows: int) -> float:
    """What applying `rows` rows of this resource costs, from the path's measured cost per row."""
    return rows * RESOURCES[resource_name].seconds_per_row


def runs_in_background(resource_name: str, rows: int) -> bool:
    """Whether a confirmed import must run as a job: it would not finish well inside a request.

    The decision is the expected cost against the request budget (well under the
    server's timeout), with the row limit kept as a hard cap.
    """
    return (
        rows > settings.STOCKROOM_BACKGROUND_ROWS
        or expected_seconds(resource_name, rows) > settings.STOCKROOM_REQUEST_BUDGET_SECONDS
    )


def plan_rows(resource: Resource, parsed: ParsedFile, user) -> Plan:
    """Check headers, then every row, and classify it."""
    _check_headers(resource, parsed.headers)
    plan = Plan(resource.name, total=len(parsed.rows))
    with cells.reading(decimal_separator=parsed.decimal_separator):
        if isinstance(resource, StockCountResource):
            _plan_counts(_clean_rows(resource, parsed, plan), plan, user)
        elif isinstance(resource, CategoryResource):
            _plan_categories(_clean_rows(resource, parsed, plan), plan)
        else:
            _plan_model(resource, parsed, plan, user)
    plan.errors.sort(key=lambda error: error.row)
    return plan


def _check_headers(resource: Resource, headers: list[str]) -> None:
    known = [column.name for column in resource.import_columns]
    unknown = [header for header in headers if header not in known]
    missing = [column.name for column in resource.import_columns if column.required and column.name not in headers]
    problems = []
    if missing:
        problems.append(f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    if unknown:
        problems.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            "(check the spelling; nothing is imported from a column we do not recognise)."
        )
    if problems:
        raise ImportFileError(" ".join(problems) + f" The columns for {resource.title} are: {', '.join(known)}.")


MEMO_LIMIT = 10_000


class _Parser:
    """A column's parser that remembers results for repeated cell values (prices, categories, units)."""

    def __init__(self, column: Column):
        self.column = column
        self.memo: dict = {}

    def __call__(self, raw):
        try:
            result = self.memo[raw]
        except (KeyError, TypeError):
            try:
                result = (self.column.parse(raw), None)
            except cells.CellError as error:
                result = (None, f"{self.column.title.capitalize()}: {error}")
            if len(self.memo) < MEMO_LIMIT and isinstance(raw, (str, int, float, type(None))):
                self.memo[raw] = result
        return result


def _clean_rows(resource: Resource, parsed: ParsedFile, plan: Plan, first_seen: dict | None = None) -> list:
    """Each row as {column: value}, cells parsed; rows with a bad cell or a repeated key are dropped."""
    parsers = [(index, header, _Parser(resource.column(header))) for index, header in enumerate(parsed.headers)]
    width = len(parsed.headers)
    key_columns = ["sku", "warehouse"] if isinstance(resource, StockCountResource) else [resource.key]
    first_seen = {(key,): number for key, number in (first_seen or {}).items()}
    rows = []
    for number, cells_ in parsed.rows:
        if len(cells_) < width:
            cells_ = [*cells_, *([None] * (width - len(cells_)))]
        elif len(cells_) > width and any(cells.text(extra) for extra in cells_[width:]):
            plan.error(number, "", f"This row has {len(cells_)} cells but the header names {width} columns.")
            continue
        values = {}
        ok = True
        for index, name, parse in parsers:
            raw = cells_[index]
            # The memo is read here rather than in _Parser.__call__: this loop runs once per cell.
            result = parse.memo.get(raw) if raw.__hash__ is not None else None
            value, problem = result if result is not None else parse(raw)
            if problem is not None:
                plan.error(number, name, problem)
                ok = False
            values[name] = value
        if not ok:
            continue
        key = tuple([values[name] for name in key_columns])
        if not all(key):
            names = " and ".join(resource.column(name).title for name in key_columns if name in parsed.headers)
            plan.error(number, key_columns[0], f"Enter the {names}; it identifies the record.")
            continue
        if key in first_seen:
            shown = " / ".join(str(part) for part in key)
            plan.error(
                number, key_columns[0], f"{shown} appears more than once in the file (first on row {first_seen[key]})."
            )
            continue
        first_seen[key] = number
        rows.append((number, values))
    return rows


def _matching(queryset, field_name: str, keys: Iterable, *fields: str) -> Iterable[tuple]:
    """Rows whose `field_name` is one of `keys`, as values_list(*fields), in a few large queries.

    PostgreSQL takes the keys as one array parameter (`= ANY(%s)`), which is much cheaper to send and
    plan than an IN list of thousands of placeholders; other databases get IN lists of bounded size.
    """
    keys = sorted(set(keys))
    if connections[queryset.db].vendor == "postgresql":
        lookup, size = f"{field_name}__{AnyOf.lookup_name}", ANY_CHUNK
    else:
        lookup, size = f"{field_name}__in", LOOKUP_CHUNK
    for chunk in batched(keys, size):
        yield from queryset.filter(**{lookup: list(chunk)}).values_list(*fields).iterator(chunk_size=size)


def _ids_by(model, field_name: str, keys: Iterable[str]) -> dict[str, int]:
    return dict(_matching(model.objects.all(), field_name, keys, field_name, "pk"))


def _plan_model(resource: Resource, parsed: ParsedFile, plan: Plan, user) -> None:
    """Classify rows of a catalog-like resource, comparing in the file's own terms (paths, codes).

    A row whose cells equal the stored values (as text, or else once parsed, with the parse of repeated
    values remembered) is unchanged without building anything, so a re-import costs little more than
    reading the file.
    """
    model = resource.model
    key_column = resource.column(resource.key)
    key_index = parsed.headers.index(resource.key)
    columns = [resource.column(header) for header in parsed.headers]
    existing: dict[str, tuple] = {}
    # Keys here only pick the stored record to compare with (every cell, the key included, is then
    # compared properly), so the cheap normalisation of codes is enough; odd keys take the slow path.
    keys = {}
    for _, cells_ in parsed.rows:
        if len(cells_) > key_index and type(cells_[key_index]) is str:
            keys[cells_[key_index]] = cells_[key_index].strip().upper()
    sources = [column.source for column in columns]

    def fetch(wanted):
        for record in _matching(model.objects.all(), key_column.attname, wanted, "pk", *sources):
            existing[record[1 + key_index]] = (record[0], record[1:])

    fetch(key for key in keys.values() if key)
    scope = access.warehouse_ids_for(user, WarehouseResource.scope_permission) if model is Warehouse else None
    parsers = [(_Parser(column), column.kind == TEXT) for column in columns]
    width = len(columns)
    candidates, remaining = [], []
    for number, cells_ in parsed.rows:
        raw_key = cells_[key_index] if len(cells_) > key_index else None
        current = existing.get(keys.get(raw_key)) if type(raw_key) is str else None
        in_scope = scope is None or scope is access.ALL or (current is not None and current[0] in scope)
        if current is None or len(cells_) != width or not in_scope:
            remaining.append((number, cells_))
        else:
            candidates.append((number, cells_, current))
    same = _equal_rows([c[1] for c in candidates], [c[2][1] for c in candidates], parsers)
    first_seen: dict[str, int] = {}
    for (number, cells_, current), is_same in zip(candidates, same, strict=True):
        key = current[1][key_index]
        if is_same and key not in first_seen:
            first_seen[key] = number
            plan.unchanged += 1
        else:
            remaining.append((number, cells_))
    remaining.sort(key=lambda row: row[0])
    rows = _clean_rows(resource, ParsedFile(parsed.headers, remaining, parsed.format), plan, first_seen)
    fetch({values[resource.key] for _, values in rows} - existing.keys())
    is_product = model is Product
    categories = suppliers = barcode_owner = {}
    if is_product:
        categories = _ids_by(Category, "path", (v["category"] for _, v in rows if v.get("category")))
        suppliers = _ids_by(Supplier, "code", (v["supplier"] for _, v in rows if v.get("supplier")))
        barcodes = [v["barcode"] for _, v in rows if v.get("barcode")]
        barcode_owner = dict(_matching(Product.objects.all(), "barcode", barcodes, "barcode", "sku"))
    barcode_rows: dict[str, int] = {}
    position = {column.name: index for index, column in enumerate(columns)}
    needed = [(column.name, column.title) for column in resource.import_columns if column.needed_for_new]
    for number, values in rows:
        key = values[resource.key]
        given = {
            name: value
            for name, value in values.items()
            if name != resource.key and value is not None and not (value == "" and resource.column(name).needed_for_new)
        }
        barcode = given.get("barcode")
        if barcode:
            owner = barcode_owner.get(barcode)
            if (owner and owner != key) or barcode in barcode_rows:
                where = f"product {owner}" if owner and owner != key else f"row {barcode_rows[barcode]}"
                plan.error(number, "barcode", f"Barcode {barcode} is already used by {where}.")
                continue
            barcode_rows[barcode] = number
        current = existing.get(key)
        if current is not None:
            if scope is not None and scope is not access.ALL and current[0] not in scope:
                plan.error(number, resource.key, access.not_one_of_yours(key))
                continue
            stored = current[1]
            changed = {name: value for name, value in given.items() if not _same(value, stored[position[name]])}
            if not changed:
                plan.unchanged += 1
                continue
            target = _attributes(resource, changed, number, categories, suppliers, plan)
            if target is not None:
                plan.updates.append((number, current[0], target))
                plan.record(number, UPDATED, key, changed)
            continue
        missing = [title for name, title in needed if not values.get(name)]
        if missing:
            plan.error(number, "", f"A new record needs a {' and a '.join(missing)}.")
            continue
        target = _attributes(resource, given, number, categories, suppliers, plan)
        if target is not None:
            plan.creates.append((number, {key_column.attname: key, **target}))
            plan.record(number, NEW, key)


class _Any:
    """Equal to anything: an empty cell leaves the stored value as it is."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


_ANY, _NEVER = _Any(), object()


def _equal_rows(rows: list[list], stored_rows: list[tuple], parsers: list) -> list[bool]:
    """For each row, whether every cell equals the stored value; column by column, each distinct value parsed once.

    Text is compared as written; other cells through their parsed value. A cell that only differs in
    form (" p-1", an escaped "'=x") reads as different here and is compared again on the slow path.
    """
    if not rows:
        return []
    checks = []
    raw_columns = zip(*rows, strict=True)
    stored_columns = zip(*stored_rows, strict=True)
    for raw_column, stored_column, (parse, is_text) in zip(raw_columns, stored_columns, parsers, strict=True):
        if is_text:
            stored_text = ["" if value is None else value for value in stored_column]
            checks.append(map(operator.eq, raw_column, stored_text))
            continue
        try:
            distinct = set(raw_column)
        except TypeError:  # an unhashable cell (a JSON list): leave every row to the slow path
            return [False] * len(rows)
        parsed = {}
        for raw in distinct:
            value, problem = parse(raw)
            parsed[raw] = _NEVER if problem is not None else _ANY if value is None else value
        checks.append(map(operator.eq, map(parsed.__getitem__, raw_column), stored_column))
    return list(map(all, zip(*checks, strict=True)))


def _same(value: Any, stored: Any) -> bool:
    """Whether a parsed cell equals the stored value (a NULL equals an empty text cell)."""
    if stored is None and isinstance(value, str):
        return value == ""
    return value == stored


def _attributes(resource, values: dict, number: int, categories: dict, suppliers: dict, plan: Plan) -> dict | None:
    """Model attributes for the given cells, natural keys turned into ids; None (and row errors) if unknown."""
    target = {}
    ok = True
    for name, value in values.items():
        if name == "category":
            if value not in categories:
                plan.error(number, "category", f"Category “{value}” does not exist; create it first or fix the path.")
                ok = False
            target["category_id"] = categories.get(value)
        elif name == "supplier":
            if value and value not in suppliers:
                plan.error(number, "supplier", f"Supplier “{value}” does not exist.")
                ok = False
            target["default_supplier_id"] = suppliers.get(value)  # an empty cell clears the default supplier
        else:
            target[resource.column(name).attname] = value
    return target if ok else None


def _apply_model(resource: Resource, plan: Plan, *, user, reason: str, on_progress) -> None:
    model = resource.model
    now = timezone.now()
    done = 0
    create_with_history(
        model,
        [values for _, values in plan.creates],
        user=user,
        reason=reason,
        when=now,
        on_progress=on_progress,
    )
    done = len(plan.creates)
    for chunk in batched(plan.updates, BATCH):
        instances = model.objects.in_bulk([pk for _, pk, _ in chunk])
        fields = set()
        for _, pk, changed in chunk:
            instance = instances[pk]
            for name, value in changed.items():
                setattr(instance, name, value)
            fields.update(changed)
        if any(f.name == "updated_at" for f in model._meta.fields):
            for instance in instances.values():
                instance.updated_at = now
            fields.add("updated_at")
        # The audit helper writes history and the audit log's entries (with the diff) for changed rows only.
        bulk_update_with_history(
            list(instances.values()), model, sorted(fields), user=user, reason=reason, batch_size=BATCH
        )
        done += len(chunk)
        _report(on_progress, done)


def _report(on_progress, done: int) -> None:
    if on_progress:
        on_progress(done)


def _plan_categories(rows: list[tuple[int, dict]], plan: Plan) -> None:
    paths = {}
    for number, values in rows:
        parts = [part.strip() for part in values["path"].split(CATEGORY_PATH_SEPARATOR)]
        if not all(parts):
            plan.error(number, "path", f"“{values['path']}” has an empty name between slashes.")
            continue
        if any(len(part) > 100 for part in parts):
            plan.error(number, "path", "A category name has at most 100 characters.")
            continue
        paths[CATEGORY_PATH_SEPARATOR.join(parts)] = number
    prefixes = {CATEGORY_PATH_SEPARATOR.join(p.split(CATEGORY_PATH_SEPARATOR)[:n]) for p in paths for n in range(1, 9)}
    existing = _ids_by(Category, "path", prefixes | set(paths))
    for path, number in sorted(paths.items(), key=lambda item: item[1]):
        if path in existing:
            plan.unchanged += 1
            plan.record(number, UNCHANGED, path)
            continue
        parent = path.rpartition(CATEGORY_PATH_SEPARATOR)[0]
        if parent and parent not in existing and parent not in paths:
            message = f"Parent category “{parent}” does not exist; add a row for it or create it first."
            plan.error(number, "path", message)
            continue
        plan.creates.append((number, {"path": path}))
        plan.record(number, NEW, path)


def _apply_categories(plan: Plan, *, user, reason: str, on_progress) -> None:
    """Create new categories depth by depth so each parent exists before its children."""
    by_depth: dict[int, list[str]] = {}
    for _, values in plan.creates:
        by_depth.setdefault(values["path"].count(CATEGORY_PATH_SEPARATOR), []).append(values["path"])
    done = 0
    for depth in sorted(by_depth):
        paths = by_depth[depth]
        parents = _ids_by(Category, "path", (p.rpartition(CATEGORY_PATH_SEPARATOR)[0] for p in paths if depth))
        objects = []
        for path in paths:
            parent, _, name = path.rpartition(CATEGORY_PATH_SEPARATOR)
            objects.append(Category(name=name, parent_id=parents.get(parent), path=path))
        bulk_create_with_history(objects, Category, user=user, reason=reason, batch_size=BATCH)
        done += len(objects)
        _report(on_progress, done)


def _plan_counts(rows: list[tuple[int, dict]], plan: Plan, user) -> None:
    skus = (values["sku"] for _, values in rows)
    products = {
        sku: (pk, active, unit)
        for sku, pk, active, unit in _matching(Product.objects.all(), "sku", skus, "sku", "pk", "is_active", "unit")
    }
    warehouses = {
        code: (pk, active)
        for code, pk, active in Warehouse.objects.filter(code__in={v["warehouse"] for _, v in rows}).values_list(
            "code", "pk", "is_active"
        )
    }
    scope = access.warehouse_ids_for(user, access.MANAGE_STOCK)
    levels: dict[tuple[int, int], Decimal] = {}
    product_ids = (products[v["sku"]][0] for _, v in rows if v["sku"] in products)
    fields = ("product_id", "warehouse_id", "on_hand")
    for product_id, warehouse_id, on_hand in _matching(StockLevel.objects.all(), "product__id", product_ids, *fields):
        levels[(product_id, warehouse_id)] = on_hand
    for number, values in rows:
        sku, code, counted = values["sku"], values["warehouse"], values["counted"]
        problems = []
        if sku not in products:
            problems.append(("sku", f"SKU {sku} does not exist."))
        elif not products[sku][1]:
            problems.append(("sku", f"{sku} is inactive; activate it before counting it."))
        if code not in warehouses or (scope is not access.ALL and warehouses[code][0] not in scope):
            # An unknown code and one outside the user's scope read the same: a row says nothing of other warehouses.
            problems.append(("warehouse", access.not_one_of_yours(code)))
        elif not warehouses[code][1]:
            problems.append(("warehouse", f"Warehouse {code} is inactive."))
        if counted is None:
            problems.append(("counted", "Enter the counted quantity."))
        elif sku in products and products[sku][2] in WHOLE_UNITS and counted != counted.to_integral_value():
            problems.append(("counted", f"{sku} is counted in whole units; got {counted.normalize():f}."))
        for column, message in problems:
            plan.error(number, column, message)
        if problems:
            continue
        product_id, warehouse_id = products[sku][0], warehouses[code][0]
        current = levels.get((product_id, warehouse_id))
        if current == counted or (current is None and counted == 0):
            plan.unchanged += 1
            plan.record(number, UNCHANGED, (sku, code))
            continue
        entry = {"product_id": product_id, "warehouse_id": warehouse_id, "counted": counted}
        if current is None:
            plan.creates.append((number, entry))
            plan.record(number, NEW, (sku, code), ["counted"])
        else:
            plan.updates.append((number, 0, entry))
            plan.record(number, UPDATED, (sku, code), ["counted"])


def _apply_counts(plan: Plan, *, user, reason: str, on_progress) -> None:
    """Post the difference of each count as an adjustment through the stock services."""
    entries = [values for _, values in plan.creates] + [values for _, _, values in plan.updates]
    products = Product.objects.in_bulk({entry["product_id"] for entry in entries})
    warehouses = Warehouse.objects.in_bulk({entry["warehouse_id"] for entry in entries})
    numbers = [number for number, _ in plan.creates] + [number for number, _, _ in plan.updates]
    for done, (number, entry) in enumerate(zip(numbers, entries, strict=True), start=1):
        try:
            services.set_count(
                user=user,
                product=products[entry["product_id"]],
                warehouse=warehouses[entry["warehouse_id"]],
                counted=entry["counted"],
                reference=reason[:64],
                reason="Stock count import",
            )
        except services.DomainError as error:
            # A rule only the posting can check (a level moved since the preview): nothing is kept.
            plan.error(number, "counted", error.message)
            raise ImportRejected(f"Row {number}: {error.message} Nothing was imported.", plan) from None
        _report(on_progress, done)  # cheap: the job's heartbeat thread writes it, a few times a minute
    _report(on_progress, len(entries))
