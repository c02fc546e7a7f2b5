"""The command search (Ctrl-K) finds records, not only screens: products, warehouses, suppliers, categories, documents
(purchase orders, goods receipts, transfer orders, stock counts) by the number people quote.

unfold calls `search_records` with the typed term (lowercased) and lists what it returns under the
screens it matched. Each kind is searched only for users who may view it, warehouses only within the
user's scope, and each through an index at 100,000 products: a product by its SKU or SKU prefix
(pattern btree), barcode (btree) or a word of its name (trigram), exact matches first.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from unfold.dataclasses import SearchResult

from inventory import access
from inventory.models import Category, GoodsReceipt, Product, PurchaseOrder, StockCount, Supplier, TransferOrder

PRODUCTS_SHOWN = 8
OTHERS_SHOWN = 5
MIN_LENGTH = 2
TRIGRAM = 3  # a trigram index needs three characters; shorter terms match SKUs and barcodes only


def search_records(request, term: str) -> list[SearchResult]:
    term, user = term.strip(), request.user
    results = _documents(request, term)
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


@dataclass(frozen=True)
class _Document:
    """A kind of document people look up by the number they quote (PO-000123, or just 123)."""

    prefix: str
    model: type[models.Model]
    icon: str
    related: tuple[str, ...]
    title: Callable[[models.Model], str]
    description: Callable[[models.Model], str]


def _state(document) -> str:
    return document.get_state_display().lower()


DOCUMENTS = [
    _Document(
        "PO",
        PurchaseOrder,
        "shopping_cart",
        ("supplier", "warehouse"),
        lambda order: f"{order.number} — {order.supplier.name}",
        lambda order: f"Purchase order to {order.warehouse.code}, {_state(order)}",
    ),
    _Document(
        "GRN",
        GoodsReceipt,
        "move_to_inbox",
        ("order", "warehouse"),
        lambda receipt: f"{receipt.number} — {receipt.order.number}",
        lambda receipt: f"Goods receipt into {receipt.warehouse.code}",
    ),
    _Document(
        "TO",
        TransferOrder,
        "local_shipping",
        ("source", "warehouse"),
        lambda order: f"{order.number} — {order.source.code} → {order.warehouse.code}",
        lambda order: f"Transfer order, {_state(order)}",
    ),
    _Document(
        "CNT",
        StockCount,
        "fact_check",
        ("warehouse",),
        lambda count: f"{count.number} — {count.warehouse.code}",
        lambda count: f"Stock count of {count.warehouse.code}, {_state(count)}",
    ),
]


def _documents(request, term: str) -> list[SearchResult]:
    """Documents by number, each from its admin's own scoped rows (so exactly where its list would show it)."""
    results = []
    for document in DOCUMENTS:
        number = _document_number(term, document.prefix)
        model_admin = admin.site._registry[document.model]
        if number is None or not model_admin.has_view_permission(request):
            continue
        found = model_admin.get_queryset(request).filter(number=number).select_related(*document.related)
        results += [
            SearchResult(
                title=document.title(row), description=document.description(row), link=_link(row), icon=document.icon
            )
            for row in found
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
