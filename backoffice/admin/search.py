"""Search of stock rows through the product indexes."""

from datetime import timedelta

from django.contrib import messages
from django.db import connections
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value

from inventory import selectors


def _unindexed(field):
    """`-created_at` as an expression no index can serve (created_at + 0 seconds), same order."""
    if not isinstance(field, str) or field.lstrip("-") != "created_at":
        return field
    name = field.lstrip("-")
    expression = ExpressionWrapper(F(name) + Value(timedelta(0)), output_field=DateTimeField())
    return expression.desc() if field.startswith("-") else expression.asc()


class ProductFirstSearchMixin:
    """Search stock rows by product: resolve the products through their indexes, then filter by product id.

    `UPPER(sku) LIKE '%term%'` across a join to products cannot use an index and
    runs over every movement; resolving at most PRODUCT_MATCH_LIMIT products first
    (SKU, SKU prefix, a word of the name, barcode) turns the search into an index
    lookup on product_id. `exact_search_fields` are matched whole, case-insensitively.
    """

    exact_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        ids, more = selectors.matching_product_ids(term)
        limit = selectors.PRODUCT_MATCH_LIMIT
        if more and getattr(request, "resolver_match", None) and request.resolver_match.url_name.endswith("changelist"):
            messages.info(
                request,
                f"More than {limit} products match “{term}”; showing those of the first {limit} by SKU. "
                "Type more of the SKU or name to narrow it.",
            )
        condition = Q(product_id__in=ids)
        for field in self.exact_search_fields:
            condition |= Q(**{f"{field}__iexact": term})
        queryset = queryset.filter(condition)
        if len(ids) > 1 and connections[queryset.db].vendor == "postgresql":
            # Rows of several products, newest first: walking the date index and skipping every other
            # product's rows is what the planner guesses is cheap, and it reads 50,000 rows to find 50.
            # Sorting by an expression makes it fetch these products' rows by product_id and sort them.
            queryset = queryset.order_by(*(_unindexed(field) for field in queryset.query.order_by))
        return queryset, False
