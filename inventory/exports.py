"""Tabular exports in constant memory, with spreadsheet formulas neutralised.

An *exporter* is a named function `(user, params) -> Table`; the admin streams
small results directly and hands large ones to the background task in
`inventory.tasks`, both through `write_table`. Reports and model exports
register their exporters here so the task can find them by name.
"""

import codecs
import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db.models import CharField, Func
from import_export import fields

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# A cell starting with one of these can run as a formula in Excel, LibreOffice or Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_EVERY = 5000


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_formula_sql(expression: str) -> str:
    """The SQL twin of escape_formula (PostgreSQL), for exports written by COPY TO.

    ascii() of the first character is an integer test, several times cheaper per row than comparing
    left(value, 1) to strings. tests/test_exports.py checks that the two agree cell for cell.
    """
    codes = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)
    text = f"({expression})::text"
    return f"CASE WHEN ascii({text}) IN ({codes}) THEN '''' || {text} ELSE {text} END"


class FormulaSafe(Func):
    """escape_formula_sql as an ORM expression over a column, for querysets handed to COPY TO.

    The template names the column three times, so it takes column references only (no parameters).
    """

    template = escape_formula_sql("%(expressions)s")
    output_field = CharField()


class Column(fields.Field):
    """One column of a file or a report: django-import-export's Field, with what our screens need.

    `key` names the column in files and in a report's sort parameter; `label` is what people read;
    `sort` is the ORM ordering a sortable report column maps to. Import resources add the rules a
    clerk's file is checked against: a required header, a value every new record needs, uniqueness.
    """

    def __init__(
        self,
        key: str,
        label: str = "",
        sort: tuple[str, ...] = (),
        *,
        numeric: bool = False,
        money: bool = False,
        attribute: str | None = None,
        widget=None,
        readonly: bool = False,
        required: bool = False,
        needed_for_new: bool = False,
        unique: bool = False,
    ):
        super().__init__(attribute=attribute or key, column_name=key, widget=widget, readonly=readonly)
        self.key = key
        self.label = label or key.replace("_", " ")
        self.sort = tuple(sort)
        self.numeric = numeric or money
        self.money = money  # shown with the currency on screen; files keep the bare number
        self.required = required
        self.needed_for_new = needed_for_new
        self.unique = unique

    @property
    def name(self) -> str:
        return self.key

    @property
    def title(self) -> str:
        return self.label

    @property
    def is_sortable(self) -> bool:
        return bool(self.sort)


@dataclass
class Table:
    """Column headers, a lazy iterator of row tuples, and the row count when known."""

    headers: list[str]
    rows: Iterable[tuple]
    total: int | None = None
    title: str = "export"
    # Optional fast path: CSV data rows (no header) already escaped, e.g. from PostgreSQL COPY TO.
    csv_chunks: Callable[[], Iterator[str]] | None = None


EXPORTERS: dict[str, Callable[[Any, dict], Table]] = {}


def exporter(name: str):
    """Register `func(user, params) -> Table` under `name` for background exports."""

    def register(func):
        EXPORTERS[name] = func
        return func

    return register


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return escape_formula(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def iter_csv(table: Table, *, bom: bool = True, on_progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """CSV text chunks (UTF-8 BOM first so Excel picks the encoding)."""
    # COPY ends rows with "\n" (quoting any field holding CR or LF); its header line ends the same way,
    # so a file never mixes line endings. Python-written rows keep csv's "\r\n".
    writer = csv.writer(_Echo(), lineterminator="\n" if table.csv_chunks is not None else "\r\n")
    header = ("\ufeff" if bom else "") + writer.writerow([_cell(h) for h in table.headers])
    if table.csv_chunks is not None:
        yield header
        yield from _counted(table.csv_chunks(), on_progress)
        return
    lines = (writer.writerow([_cell(v) for v in row]) for row in table.rows)
    yield from _in_chunks(lines, on_progress, opening=header)


def _in_chunks(pieces: Iterable[str], on_progress, *, opening: str = "", closing: str = "") -> Iterator[str]:
    """The pieces (one per row) joined in chunks of a thousand rows, progress reported as rows go."""
    buffer = [opening]
    done = 0
    for piece in pieces:
        buffer.append(piece)
        done += 1
        if len(buffer) >= 1000:
            yield "".join(buffer)
            buffer = []
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done)
    buffer.append(closing)
    yield "".join(buffer)
    if on_progress:
        on_progress(done)


def _counted(chunks: Iterator[str], on_progress) -> Iterator[str]:
    done = 0
    reported = 0
    for chunk in chunks:
        yield chunk
        if on_progress:
            done += chunk.count("\n")
            if done - reported >= PROGRESS_EVERY:
                on_progress(done)
                reported = done
    if on_progress:
        on_progress(done)


def iter_json(table: Table, *, on_progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """A JSON array of objects keyed by header, in chunks."""
    records = (
        json.dumps({h: _json_value(v) for h, v in zip(table.headers, row, strict=False)}, ensure_ascii=False)
        for row in table.rows
    )
    separated = (("," if index else "") + record for index, record in enumerate(records))
    yield from _in_chunks(separated, on_progress, opening="[", closing="]")


def write_xlsx(table: Table, target: IO[bytes], *, on_progress: Callable[[int], None] | None = None) -> None:
    """An XLSX workbook written row by row (openpyxl write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31] or "export")
    sheet.append([_cell(h) for h in table.headers])
    done = 0
    for row in table.rows:
        sheet.append([_xlsx_value(v) for v in row])
        done += 1
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done)
    workbook.save(target)
    if on_progress:
        on_progress(done)


def write_table(table: Table, fmt: str, target: IO[bytes], *, on_progress=None) -> None:
    """Write a whole table to a binary file in the chosen format."""
    if fmt == "xlsx":
        write_xlsx(table, target, on_progress=on_progress)
        return
    chunks = iter_csv(table, on_progress=on_progress) if fmt == "csv" else iter_json(table, on_progress=on_progress)
    for chunk in chunks:
        target.write(chunk.encode("utf-8"))


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return escape_formula(str(value))


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (bool, int, float, Decimal, date)):
        return value
    return escape_formula(str(value))


COPY_CHUNK_BYTES = 64 * 1024


def copy_csv(connection, sql: str, params) -> Iterator[str]:
    """CSV rows (no header) of a SELECT, streamed from PostgreSQL's COPY TO in ~64 KB text chunks.

    Several times faster than building rows in Python; the SELECT must already escape formula text.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()  # a block may end inside a character
    with connection.cursor() as cursor:
        # Django's cursor wrapper passes no parameters to copy(); psycopg's own cursor binds them client-side.
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            # libpq hands COPY data over row by row; pass it on in larger chunks.
            buffer, size = [], 0
            for block in copy:
                buffer.append(block)
                size += len(block)
                if size >= COPY_CHUNK_BYTES:
                    yield decoder.decode(b"".join(buffer))
                    buffer, size = [], 0
            yield decoder.decode(b"".join(buffer), final=True)
