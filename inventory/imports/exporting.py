"""A resource's rows from any queryset as an export Table, streamed; PostgreSQL CSV comes straight from COPY."""

from collections.abc import Iterator

from django.db import connections, router

from inventory.exports import Table, copy_csv, escape_formula_sql
from inventory.imports.base import StockroomResource
from inventory.imports.widgets import BOOL, DATETIME, DECIMAL

ITERATOR_CHUNK = 5000
COPY_EXPRESSIONS = {
    DECIMAL: "{name}",
    BOOL: "CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN 'yes' ELSE 'no' END",
    DATETIME: "to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00:00'",
}


def resource_table(resource: StockroomResource, queryset, *, title: str = "") -> Table:
    """The queryset's rows in the resource's columns (natural keys), without loading them all."""
    columns = resource.columns
    rows = queryset.values_list(*[resource.source(column) for column in columns])
    table = Table(
        [column.key for column in columns],
        rows.iterator(chunk_size=ITERATOR_CHUNK),
        queryset.count(),
        title=title or resource.title,
    )
    connection = connections[router.db_for_read(queryset.model)]
    if connection.vendor == "postgresql":
        table.csv_chunks = lambda: _copy_csv(resource, rows, connection)
    return table


def _copy_expression(kind: str, name: str) -> str:
    if kind in COPY_EXPRESSIONS:
        return COPY_EXPRESSIONS[kind].format(name=name)
    return escape_formula_sql(name)


def _copy_csv(resource: StockroomResource, rows, connection) -> Iterator[str]:
    """The resource's columns from PostgreSQL's COPY TO, formula text escaped by the database."""
    sql, params = rows.query.sql_with_params()
    names = [f"c{index}" for index in range(len(resource.columns))]
    pairs = zip(resource.columns, names, strict=True)
    select = ", ".join(_copy_expression(column.widget.kind, name) for column, name in pairs)
    return copy_csv(connection, f"SELECT {select} FROM ({sql}) AS exported ({', '.join(names)})", params)
