"""Search of stock rows through the product indexes, as inventory.lists searches them for exports too."""

from django.contrib import messages

from inventory import lists, selectors


class ProductFirstSearchMixin:
    """Search stock rows by product (SKU, SKU prefix, a word of the name, barcode), through the list's
    own search in inventory.lists, so a changelist and its export find the same rows. Says so on the
    changelist when the term names more products than a search resolves."""

    def get_search_results(self, request, queryset, search_term):
        queryset, more = lists.searched(lists.LISTS[self.model], queryset, search_term)
        limit = selectors.PRODUCT_MATCH_LIMIT
        if more and getattr(request, "resolver_match", None) and request.resolver_match.url_name.endswith("changelist"):
            messages.info(
                request,
                f"More than {limit} products match “{search_term.strip()}”; showing those of the first {limit} "
                "by SKU. Type more of the SKU or name to narrow it.",
            )
        return queryset, False
