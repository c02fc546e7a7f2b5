"""A resource's rows from any queryset as an export Table, streamed; PostgreSQL CSV comes straight from COPY."""

from collections.abc import Iterator

from django.db import connections, router

from inventory.exports import FORMULA_PREFIXES, Table, copy_csv
from inventory.imports.resources import BOOL, DATETIME, DECIMAL, Resource

ITERATOR_CHUNK = 5000


def resource_table(resource: Resource, queryset, *, title: str = "") -> Table:
    """The queryset's rows in the resource's columns (natural keys), without loading them all."""
    columns = resource.columns
    rows = queryset.values_list(*[column.source for column in columns])
    table = Table(
        [column.name for column in columns],
        rows.iterator(chunk_size=ITERATOR_CHUNK),
        queryset.count(),
        title=title or resource.title,
    )
    connection = connections[router.db_for_read(queryset.model)]
    if connection.vendor == "postgresql":
        table.csv_chunks = lambda: _copy_csv(resource, rows, connection)
    return table


def _copy_expression(kind: str, name: str) -> str:
    if kind == DECIMAL:
        return name
    if kind == BOOL:
        return f"CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN 'yes' ELSE 'no' END"
    if kind == DATETIME:
        return f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00:00'"
    # The same neutralising as inventory.exports.escape_formula, done by the database. ascii() of the first
    # character is an integer test, several times cheaper per row than comparing left(value, 1) to strings.
    codes = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)
    return f"CASE WHEN ascii({name}::text) IN ({codes}) THEN '''' || {name}::text ELSE {name}::text END"


def _copy_csv(resource: Resource, rows, connection) -> Iterator[str]:
    """The resource's columns from PostgreSQL's COPY TO, formula text escaped by the database."""
    sql, params = rows.query.sql_with_params()
    names = [f"c{index}" for index in range(len(resource.columns))]
    pairs = zip(resource.columns, names, strict=True)
    select = ", ".join(_copy_expression(column.kind, name) for column, name in pairs)
    return copy_csv(connection, f"SELECT {select} FROM ({sql}) AS exported ({', '.join(names)})", params)
