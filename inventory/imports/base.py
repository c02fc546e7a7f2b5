"""The base of every import and export resource: a django-import-export ModelResource that plans and
applies its own rows.

The package's per-row `import_data` is not used for imports (see STACK_NOTES.md: slow, no history in
bulk, no scope); each resource overrides `plan` and `apply` instead, behind the same declarations:
its fields (our `Column`s), widgets and `import_id_fields`. `get_queryset` stays the package's hook
for the records an import may find.
"""

import csv
import io
from typing import Any, ClassVar

import openpyxl
from django.conf import settings
from django.db import models
from import_export import resources

from inventory.exports import Column
from inventory.imports import cells
from inventory.imports.parsers import ImportFileError, ParsedFile
from inventory.imports.plan import Plan
from inventory.imports.widgets import Cell, Moment, Number, YesNo

WIDGET_FOR_FIELD = ((models.DecimalField, Number), (models.DateTimeField, Moment), (models.BooleanField, YesNo))

MEMO_LIMIT = 10_000


class CellReader:
    """A column's widget that remembers results for repeated cell values (prices, categories, units)."""

    def __init__(self, column: Column):
        self.column = column
        self.memo: dict = {}

    def __call__(self, raw: Any) -> tuple[Any, str | None]:
        """(value, None) or (None, a message naming the column)."""
        try:
            return self.memo[raw]
        except (KeyError, TypeError):
            pass
        try:
            result = (self.column.widget.clean(raw), None)
        except cells.CellError as error:
            result = (None, f"{self.column.title.capitalize()}: {error}")
        if len(self.memo) < MEMO_LIMIT and isinstance(raw, (str, int, float, type(None))):
            self.memo[raw] = result
        return result


class StockroomResource(resources.ModelResource):
    """A file layout for one model, keyed by natural keys (never database ids)."""

    slug: ClassVar[str]  # how URLs, jobs and previews name the resource
    title: ClassVar[str]
    export_only: ClassVar[bool] = False
    # Measured cost of applying one row on PostgreSQL (2,000-row files, this machine, idle), doubled for
    # a busy server; it decides whether a confirm runs in the request or as a job (runs_in_background).
    seconds_per_row: ClassVar[float] = 0.0025

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        """A model field a resource lists without declaring it is our Column, with our widget for its type.

        The package's hook for undeclared fields, overridden here alone: its widgets know nothing of how
        our exports write a value (formula escaping, UTC times, yes/no).
        """
        widget = next((make() for kind, make in WIDGET_FOR_FIELD if isinstance(django_field, kind)), Cell())
        return Column(field_name, widget=widget, readonly=readonly)

    @property
    def model(self):
        return self._meta.model

    @property
    def import_permission(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE}_{opts.model_name}"

    @property
    def export_permission(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE}_{opts.model_name}"

    @property
    def columns(self) -> list[Column]:
        """The declared columns, in the order files have them."""
        return [self.fields[name] for name in self._meta.fields]

    @property
    def import_columns(self) -> list[Column]:
        return [] if self.export_only else [column for column in self.columns if not column.readonly]

    # One realistic row for the downloadable template, by column key.
    example: dict[str, str] = {}

    def guide(self) -> list[dict]:
        """Each import column: its name, whether a file must have it, what it may hold."""
        return [
            {"name": column.key, "required": column.required, "allowed": column.widget.describe()}
            for column in self.import_columns
        ]

    def template_rows(self) -> list[list[str]]:
        """A file to start from: the header and one example row (imported as it stands if left in)."""
        return [
            [column.key for column in self.import_columns],
            [self.example.get(column.key, "") for column in self.import_columns],
        ]

    def template_csv(self) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(self.template_rows())
        return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8

    def template_xlsx(self) -> bytes:
        """The same rows on the first sheet (the one imported) and what each column allows on a second."""
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.title[:31]
        for row in self.template_rows():
            sheet.append(row)
        guide = workbook.create_sheet("Columns")
        guide.append(["column", "required", "allowed values"])
        for column in self.guide():
            guide.append([column["name"], "yes" if column["required"] else "no", column["allowed"]])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    @property
    def key_columns(self) -> list[str]:
        return [self.fields[name].key for name in self.get_import_id_fields()]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.key == name)

    def into(self, document_id: int | None, *, user, for_apply: bool = False) -> "StockroomResource":
        """The resource that imports a file into this document; a whole-table import takes none.

        Document imports (inventory.imports.documents) answer a copy bound to the document, or
        ImportFileError when the user may not reach it or it no longer takes imports.
        """
        if document_id is not None:
            raise ImportFileError(f"{self.title.capitalize()} are imported into their list, not into a document.")
        return self

    def permission_problem(self, user) -> str:
        """Why `user` may not import this file, or ""."""
        if self.export_only:
            return f"{self.title.capitalize()} cannot be imported."
        if user is None or not user.is_active or not user.has_perm(self.import_permission):
            return f"You are not allowed to import {self.title}."
        return ""

    # --- planning ----------------------------------------------------------------------------------

    def check_headers(self, headers: list[str]) -> None:
        """Refuse a file whose header misses a required column or names one we do not know."""
        known = [column.key for column in self.import_columns]
        unknown = [header for header in headers if header not in known]
        missing = [column.key for column in self.import_columns if column.required and column.key not in headers]
        problems = []
        if missing:
            problems.append(f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
        if unknown:
            problems.append(
                f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
                "(check the spelling; nothing is imported from a column we do not recognise)."
            )
        if problems:
            raise ImportFileError(" ".join(problems) + f" The columns for {self.title} are: {', '.join(known)}.")

    def plan(self, parsed: ParsedFile, plan: Plan, *, user) -> None:
        """Classify every row of the file as new, updated, unchanged or an error; write nothing."""
        raise NotImplementedError

    def apply(self, plan: Plan, *, user, reason: str, on_progress) -> None:
        """Write what the plan says, inside the caller's transaction."""
        raise NotImplementedError

    def clean_rows(self, parsed: ParsedFile, plan: Plan, first_seen: dict | None = None) -> list[tuple[int, dict]]:
        """Each row as {column: value}, cells cleaned; rows with a bad cell or a repeated key are dropped."""
        readers = [(index, header, CellReader(self.column(header))) for index, header in enumerate(parsed.headers)]
        width = len(parsed.headers)
        seen = {(key,): number for key, number in (first_seen or {}).items()}
        rows = []
        for number, raw in parsed.rows:
            read = self.row_values(number, raw, width, readers, plan)
            if read is None or read[1]:
                continue
            if self._key_is_new(number, read[0], parsed.headers, seen, plan):
                rows.append((number, read[0]))
        return rows

    def row_values(self, number: int, raw: list, width: int, readers: list, plan: Plan) -> tuple[dict, set] | None:
        """One row's cleaned cells and the columns whose cell could not be read (each an error on the plan);
        None for a row with more cells than the header names."""
        if len(raw) < width:
            raw = [*raw, *([None] * (width - len(raw)))]
        elif len(raw) > width and any(cells.text(extra) for extra in raw[width:]):
            plan.error(number, "", f"This row has {len(raw)} cells but the header names {width} columns.")
            return None
        values, bad = {}, set()
        for index, name, read in readers:
            cell = raw[index]
            # The memo is read here rather than in CellReader.__call__: this loop runs once per cell.
            result = read.memo.get(cell) if cell.__hash__ is not None else None
            value, problem = result if result is not None else read(cell)
            if problem is not None:
                plan.error(number, name, problem)
                bad.add(name)
            values[name] = value
        return values, bad

    def _key_is_new(self, number: int, values: dict, headers: list[str], seen: dict, plan: Plan) -> bool:
        key_columns = self.key_columns
        key = tuple([values[name] for name in key_columns])
        if not all(key):
            names = " and ".join(self.column(name).title for name in key_columns if name in headers)
            plan.error(number, key_columns[0], f"Enter the {names}; it identifies the record.")
            return False
        if key in seen:
            shown = " / ".join(str(part) for part in key)
            message = f"{shown} appears more than once in the file (first on row {seen[key]})."
            plan.error(number, key_columns[0], message)
            return False
        seen[key] = number
        return True

    # --- where a column's value lives ----------------------------------------------------------------

    def source(self, column: Column) -> str:
        """The ORM path of the column's value as files show it (a reference through its natural key)."""
        widget = column.widget
        return f"{column.attribute}__{widget.field}" if hasattr(widget, "resolve") else column.attribute

    def attname(self, column: Column) -> str:
        """The model attribute an import writes for the column (the id column of a reference)."""
        if hasattr(column.widget, "resolve"):
            return self.model._meta.get_field(column.attribute).attname
        return column.attribute
