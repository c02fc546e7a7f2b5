"""The command search (Ctrl-K) finds records, not only screens: products, warehouses, suppliers, categories, documents.

unfold calls `search_records` with the typed term (lowercased) and lists what it returns under the
screens it matched. Each kind is searched only for users who may view it, warehouses only within the
user's scope, and each through an index at 100,000 products: a product by its SKU or SKU prefix
(pattern btree), barcode (btree) or a word of its name (trigram), exact matches first.
"""

from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from unfold.dataclasses import SearchResult

from inventory import access
from inventory.models import Category, Product, PurchaseOrder, Supplier, TransferOrder

PRODUCTS_SHOWN = 8
OTHERS_SHOWN = 5
MIN_LENGTH = 2
TRIGRAM = 3  # a trigram index needs three characters; shorter terms match SKUs and barcodes only


def search_records(request, term: str) -> list[SearchResult]:
    term, user = term.strip(), request.user
    results = _documents(user, term)
    if len(term) < MIN_LENGTH:
        return results  # a document number may be short ("12"); a name or SKU that short matches everything
    if user.has_perm("inventory.view_product"):
        results += _products(term)
    results += _warehouses(user, term)
    if user.has_perm("inventory.view_supplier"):
        results += _simple(Supplier, Q(code__istartswith=term) | Q(name__icontains=term), "Supplier", "local_shipping")
    if user.has_perm("inventory.view_category"):
        results += _simple(Category, Q(path__icontains=term), "Category", "category")
    return results


def _link(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _products(term: str) -> list[SearchResult]:
    condition = Q(sku__istartswith=term) | Q(barcode__iexact=term)
    if len(term) >= TRIGRAM:
        condition |= Q(name__icontains=term)
    matches = (
        Product.objects.filter(condition)
        .annotate(
            rank=Case(
                When(Q(sku__iexact=term) | Q(barcode__iexact=term), then=Value(0)),
                When(sku__istartswith=term, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "sku")
        .only("pk", "sku", "name", "is_active")[:PRODUCTS_SHOWN]
    )
    return [
        SearchResult(
            title=f"{product.sku} — {product.name}",
            description="Product" if product.is_active else "Product (inactive)",
            link=_link(product),
            icon="inventory_2",
        )
        for product in matches
    ]


def _warehouses(user, term: str) -> list[SearchResult]:
    found = access.warehouses_for(user, access.VIEW_STOCK).filter(Q(code__istartswith=term) | Q(name__icontains=term))
    return [
        SearchResult(title=str(warehouse), description="Warehouse", link=_stock_link(warehouse), icon="warehouse")
        for warehouse in found.order_by("code")[:OTHERS_SHOWN]
    ]


def _document_number(term: str, prefix: str) -> str | None:
    """ "PO-000123", "po-123" or "123" as the number people quote, or None when the term is not one."""
    upper = term.upper()
    if "-" in upper and not upper.startswith(f"{prefix}-"):
        return None
    digits = upper.removeprefix(f"{prefix}-").lstrip("0")
    return f"{prefix}-{int(digits):06d}" if digits.isdigit() else None


def _documents(user, term: str) -> list[SearchResult]:
    """Purchase and transfer orders by number, each only where the user may see it."""
    results = []
    number = _document_number(term, "PO")
    if number and user.has_perm("inventory.view_purchaseorder"):
        orders = PurchaseOrder.objects.filter(access.scope_q(user, access.VIEW_STOCK), number=number)
        results += [
            SearchResult(
                title=f"{order.number} — {order.supplier.name}",
                description=f"Purchase order to {order.warehouse.code}, {order.get_state_display().lower()}",
                link=_link(order),
                icon="shopping_cart",
            )
            for order in orders.select_related("supplier", "warehouse")
        ]
    number = _document_number(term, "TO")
    if number and user.has_perm("inventory.view_transferorder"):
        transfers = TransferOrder.objects.filter(number=number)
        ids = access.warehouse_ids_for(user, access.VIEW_STOCK)
        if ids is not access.ALL:
            transfers = transfers.visible_to(ids)
        results += [
            SearchResult(
                title=f"{order.number} — {order.source.code} → {order.warehouse.code}",
                description=f"Transfer order, {order.get_state_display().lower()}",
                link=_link(order),
                icon="local_shipping",
            )
            for order in transfers.select_related("source", "warehouse")
        ]
    return results


def _stock_link(warehouse) -> str:
    """A warehouse's stock (what people look it up for); its record page is for those who may edit it."""
    return f"{reverse('admin:inventory_stocklevel_changelist')}?warehouse__id__exact={warehouse.pk}"


def _simple(model, condition: Q, label: str, icon: str) -> list[SearchResult]:
    return [
        SearchResult(title=str(obj), description=label, link=_link(obj), icon=icon)
        for obj in model.objects.filter(condition).order_by(*model._meta.ordering)[:OTHERS_SHOWN]
    ]
