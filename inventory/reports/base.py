"""What every report shares: scoped filters, whitelisted sorting, "next"-style pages and a whole-result export.

A report is built from the viewer and the query-string parameters (the same
mapping the permalink, the page and the background export use), so the page
a manager sees and the file they export are the same rows.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms

from inventory import access
from inventory.exports import Column, Table, copy_csv
from inventory.replica import read_connection

PAGE_SIZE = 50
EXPORT_CHUNK = 5000
MONEY = Decimal("0.01")


@dataclass
class Page:
    """One page of rows; `has_next` comes from fetching one row more than shown (no COUNT needed)."""

    rows: list[tuple]
    number: int
    has_next: bool
    keys: list | None = None  # per row, what a selection sends (reports whose rows can be picked)

    def __post_init__(self):
        if self.keys is None:
            self.keys = [None] * len(self.rows)  # rows nobody picks still pair with a key

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass
class Summary:
    """A small titled table shown next to the rows (totals by warehouse, by category, …)."""

    title: str
    headers: list[str]
    rows: list[tuple] = field(default_factory=list)


def money(value: Any) -> Decimal:
    """Round a monetary amount to cents (SQLite hands back floats for sums)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(MONEY, rounding=ROUND_HALF_UP)


def quantity(value: Any) -> Decimal:
    """A quantity with its three decimal places, whatever the database returned."""
    if value is None:
        return Decimal("0.000")
    return Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


class ReportFilterForm(forms.Form):
    """Filter form bound to the viewer; warehouse choices are limited to their scope."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "warehouse" in self.fields:
            warehouse = self.fields["warehouse"]
            warehouse.queryset = access.warehouses_for(user, access.VIEW_STOCK).order_by("code")
            # The value as sent, the same words for a warehouse outside scope and one that does not exist.
            warehouse.error_messages["invalid_choice"] = f"{access.not_one_of_yours('%(value)s')} Showing nothing."


class Report:
    """Base for a report: subclasses declare columns and filters and build the scoped query."""

    name: str
    title: str
    columns: list[Column]
    filter_form: type[ReportFilterForm]
    default_sort: str
    page_size: int = PAGE_SIZE
    export_permission: str = "inventory.export_stocklevel"
    # Any one of these opens the report; its rows are still limited to the viewer's warehouses.
    view_permissions: tuple[str, ...] = ("inventory.view_reports",)

    @classmethod
    def may_view(cls, user) -> bool:
        return any(user.has_perm(permission) for permission in cls.view_permissions)

    def __init__(self, user, params: Mapping[str, str] | None = None):
        self.user = user
        self.params = {key: value for key, value in (params or {}).items() if value not in ("", None)}
        self.form = self.filter_form(data=self.params, user=user)
        self.is_valid = self.form.is_valid()
        self.filters = self.form.cleaned_data if self.is_valid else {}
        self.warehouse_ids = access.warehouse_ids_for(user, access.VIEW_STOCK)
        self.sort_key, self.descending = self._parse_sort(self.params.get("sort", ""))

    # --- sorting ---------------------------------------------------------------------------------

    def _parse_sort(self, value: str) -> tuple[str, bool]:
        descending = value.startswith("-")
        key = value.lstrip("-")
        sortable = {column.key for column in self.columns if column.is_sortable}
        if key in sortable:
            return key, descending
        default = self.default_sort
        return default.lstrip("-"), default.startswith("-")

    def ordering(self) -> list[str]:
        """The ORM ordering for the chosen column, ending in a unique key so pages never overlap."""
        column = next(column for column in self.columns if column.key == self.sort_key)
        prefix = "-" if self.descending else ""
        return [f"{prefix}{term}" for term in column.sort] + [f"{prefix}pk"]

    @property
    def exporter_name(self) -> str:
        return f"report.{self.name}"

    @property
    def has_scope(self) -> bool:
        return self.warehouse_ids is access.ALL or bool(self.warehouse_ids)

    # --- rows --------------------------------------------------------------------------------------

    def records(self):
        """The whole filtered, scoped, sorted result as an iterable of raw records (a queryset usually)."""
        raise NotImplementedError

    def row(self, record) -> tuple:
        """One record as the tuple of cells shown and exported."""
        return tuple(record)

    def key(self, record):
        """What identifies a record's row when rows can be picked (see ReorderSuggestionsReport), else None."""
        return None

    def count(self) -> int:
        """Rows in the filtered, scoped result (exports only; pages do without)."""
        return self.records().count() if self.is_valid and self.has_scope else 0

    def page(self, number: int = 1) -> Page:
        number = max(1, number)
        if not self.is_valid or not self.has_scope:
            return Page(rows=[], number=number, has_next=False)
        start = (number - 1) * self.page_size
        records = list(self.records()[start : start + self.page_size + 1])
        shown = records[: self.page_size]
        return Page(
            rows=[self.row(record) for record in shown],
            number=number,
            has_next=len(records) > self.page_size,
            keys=[self.key(record) for record in shown],
        )

    def iter_rows(self) -> Iterator[tuple]:
        """Every row of the result, fetched in chunks (a server-side cursor on PostgreSQL)."""
        if not self.is_valid or not self.has_scope:
            return
        for record in self.records().iterator(chunk_size=EXPORT_CHUNK):
            yield self.row(record)

    def copy_records(self):
        """The export rows as SQL (formula-safe, formatted as `row` would) for COPY, or None."""
        return None

    def totals(self) -> tuple | None:
        """A totals row aligned with the columns, or None."""
        return None

    def summaries(self) -> list[Summary]:
        return []

    def table(self) -> Table:
        """The whole filtered result for export."""
        table = Table(
            headers=[column.label for column in self.columns],
            rows=self.iter_rows(),
            total=self.count(),
            title=self.name.replace("_", "-"),
        )
        reader = read_connection()
        if reader.vendor == "postgresql" and self.is_valid and self.has_scope:
            records = self.copy_records()
            if records is not None:
                sql, params = records.query.sql_with_params()
                table.csv_chunks = lambda: copy_csv(reader, sql, params)
        return table
