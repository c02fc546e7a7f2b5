"""Lists of records as a user may see them, described as data: scope, filters, search and order.

A changelist and its background export describe the same rows. The admin turns its screen state into
plain parameters (`filters` as list-filter lookups, `search`, `ordering`, or `pks`); `rows` turns them
back into the queryset here, in inventory, so the worker exporting a list never reaches into the
admin. Filters are accepted only on the fields a list declares; anything else is refused, not ignored.
"""

import operator
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import connections, models
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.http import QueryDict
from django.utils.text import smart_split, unescape_string_literal

from inventory import access, selectors
from inventory.exports import Table, exporter
from inventory.models import (
    Category,
    Product,
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Supplier,
    TransferOrder,
    Warehouse,
)

SCREEN_PARAMS = {"q", "o", "p", "e", "_popup", "_to_field", "all"}
LOOKUP_SUFFIXES = ("exact", "isnull", "gte", "lt", "lte", "gt")
SEARCH_LOOKUPS = {"^": "istartswith", "=": "iexact", "": "icontains"}


class InvalidList(ValueError):
    """A filter, an ordering or a record the list does not offer."""


@dataclass(frozen=True)
class ListSpec:
    """How one model's list is scoped, filtered and searched."""

    model: type[models.Model]
    # The lookup path to the row's warehouse ("pk" for warehouses); None: not warehouse-bound.
    scope_field: str | None = None
    # More warehouse paths that also bring a row into scope (a transfer order is seen from its source too).
    also_scoped_by: tuple[str, ...] = ()
    scope_permission: str = access.VIEW_STOCK
    # Warehouses themselves (not their stock) are visible in full to users who grant access.
    access_managers_see_all: bool = False
    filters: tuple[str, ...] = ()
    # Django admin search syntax: "^sku" starts with, "=barcode" whole value, "name" contains.
    search_fields: tuple[str, ...] = ()
    # Stock rows are searched by product (SKU, SKU prefix, a word of the name, barcode) through the
    # product indexes, plus these fields matched whole.
    by_product: bool = False
    exact_search_fields: tuple[str, ...] = ()


LISTS: dict[type[models.Model], ListSpec] = {
    spec.model: spec
    for spec in (
        ListSpec(Product, filters=("is_active", "unit", "category"), search_fields=("^sku", "name", "=barcode")),
        ListSpec(Category, search_fields=("name", "path")),
        ListSpec(Supplier, filters=("is_active",), search_fields=("code", "name", "contact_name", "email")),
        ListSpec(
            Warehouse,
            scope_field="pk",
            access_managers_see_all=True,
            filters=("is_active",),
            search_fields=("code", "name"),
        ),
        ListSpec(
            StockLevel, scope_field="warehouse", filters=("warehouse",), by_product=True, exact_search_fields=("bin",)
        ),
        ListSpec(
            StockMovement,
            scope_field="warehouse",
            filters=("kind", "warehouse", "created_at"),
            by_product=True,
            exact_search_fields=("reference",),
        ),
        ListSpec(
            PurchaseOrder,
            scope_field="warehouse",
            filters=("state", "warehouse"),
            search_fields=("number", "supplier__code", "supplier__name"),
        ),
        ListSpec(
            TransferOrder,
            scope_field="warehouse",
            also_scoped_by=("source",),
            filters=("state", "source", "warehouse"),
            search_fields=("number",),
        ),
    )
}


def scoped(spec: ListSpec, user, queryset: models.QuerySet | None = None) -> models.QuerySet:
    """The rows of the list in the user's warehouses."""
    queryset = spec.model._default_manager.all() if queryset is None else queryset
    if spec.scope_field is None or (spec.access_managers_see_all and access.can_manage_access(user)):
        return queryset
    scope = access.scope_q(user, spec.scope_permission, spec.scope_field)
    for other in spec.also_scoped_by:
        scope |= access.scope_q(user, spec.scope_permission, other)
    return queryset.filter(scope)


def filtered(spec: ListSpec, queryset: models.QuerySet, filters: dict[str, list[str]]) -> models.QuerySet:
    """The rows matching list-filter lookups ({"warehouse__id__exact": ["3"]}) on the declared fields."""
    for lookup, values in filters.items():
        field, _, suffix = lookup.rpartition("__")
        if suffix not in LOOKUP_SUFFIXES or field.split("__")[0] not in spec.filters:
            raise InvalidList(f"The list cannot be filtered by {lookup}.")
        for value in values if isinstance(values, list) else [values]:
            if suffix == "isnull":
                value = value in ("1", "True", "true")
            try:
                queryset = queryset.filter(**{lookup: value})
            except (ValueError, ValidationError, FieldDoesNotExist) as error:
                raise InvalidList(f"The list cannot be filtered by {lookup}={value}.") from error
    return queryset


def searched(spec: ListSpec, queryset: models.QuerySet, term: str) -> tuple[models.QuerySet, bool]:
    """The rows a search term finds, and whether it named more products than a search resolves."""
    term = term.strip()
    if not term:
        return queryset, False
    if spec.by_product:
        return _by_product(spec, queryset, term)
    conditions = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        alternatives = [Q(**{f"{name.lstrip('^=')}__{_search_lookup(name)}": bit}) for name in spec.search_fields]
        conditions.append(reduce(operator.or_, alternatives))
    return queryset.filter(*conditions), False


def _search_lookup(name: str) -> str:
    return SEARCH_LOOKUPS.get(name[:1], SEARCH_LOOKUPS[""])


def _by_product(spec: ListSpec, queryset: models.QuerySet, term: str) -> tuple[models.QuerySet, bool]:
    """Resolve the products first (index lookups), then filter the stock rows by product id.

    `UPPER(sku) LIKE '%term%'` across a join to products cannot use an index and runs over every
    movement; at most PRODUCT_MATCH_LIMIT products are resolved instead.
    """
    ids, more = selectors.matching_product_ids(term)
    condition = Q(product_id__in=ids)
    for field in spec.exact_search_fields:
        condition |= Q(**{f"{field}__iexact": term})
    queryset = queryset.filter(condition)
    if len(ids) > 1 and connections[queryset.db].vendor == "postgresql":
        # Rows of several products, newest first: walking the date index and skipping every other
        # product's rows is what the planner guesses is cheap, and it reads 50,000 rows to find 50.
        # Sorting by an expression makes it fetch these products' rows by product_id and sort them.
        queryset = queryset.order_by(*(_unindexed(field) for field in queryset.query.order_by))
    return queryset, more


def _unindexed(field):
    """`-created_at` as an expression no index can serve (created_at + 0 seconds), same order."""
    if not isinstance(field, str) or field.lstrip("-") != "created_at":
        return field
    expression = ExpressionWrapper(F("created_at") + Value(timedelta(0)), output_field=DateTimeField())
    return expression.desc() if field.startswith("-") else expression.asc()


def ordered(spec: ListSpec, queryset: models.QuerySet, ordering: list[str]) -> models.QuerySet:
    """The rows in the order the list showed them (field paths, "-" for descending)."""
    for term in ordering:
        path = term.lstrip("-")
        if path != "pk":
            try:
                queryset.query.names_to_path(path.split("__"), spec.model._meta)
            except FieldDoesNotExist as error:
                raise InvalidList(f"The list cannot be sorted by {path}.") from error
    return queryset.order_by(*ordering) if ordering else queryset


def rows(
    user,
    *,
    model: str,
    filters: dict | None = None,
    search: str = "",
    ordering: list[str] | None = None,
    pks: list | None = None,
) -> models.QuerySet:
    """The list's rows as `user` may see them: scoped, then the chosen records or the filters and search."""
    spec = LISTS[apps.get_model(model)]
    queryset = scoped(spec, user)
    if pks is not None:
        return queryset.filter(pk__in=pks).order_by("pk")
    queryset = ordered(spec, filtered(spec, queryset, filters or {}), ordering or [])
    return searched(spec, queryset, search)[0]


def _from_query(query: str) -> dict:
    """The parameters of a job queued with a changelist's query string (before lists were data)."""
    params = QueryDict(query)
    filters = {name: params.getlist(name) for name in params if name not in SCREEN_PARAMS}
    return {"filters": filters, "search": params.get("q", "")}


# The name queued export jobs know this exporter by.
@exporter("changelist")
def list_table(user, params: dict) -> Table:
    """A list's rows in its export resource's columns (natural keys), for a user with the export permission."""
    from inventory.imports import EXPORT_RESOURCE_FOR_MODEL, RESOURCES
    from inventory.imports.exporting import resource_table

    if "query" in params:
        params = {**params, **_from_query(params["query"])}
    model = apps.get_model(params["model"])
    resource = RESOURCES[EXPORT_RESOURCE_FOR_MODEL[model]]
    if user is None or not user.is_active or not user.has_perm(resource.export_permission):
        raise PermissionDenied(f"{user} may not export {model._meta.verbose_name_plural}.")
    queryset = rows(
        user,
        model=params["model"],
        filters=params.get("filters"),
        search=params.get("search", ""),
        ordering=params.get("ordering"),
        pks=params.get("pks"),
    )
    return resource_table(resource, queryset, title=params.get("title") or resource.title)
