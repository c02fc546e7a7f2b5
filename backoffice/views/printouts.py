"""Printouts as PDFs (backoffice.printing): the purchase order for the supplier, a transfer's packing list,
a sheet of product labels, and a stock count's count sheet."""

from decimal import Decimal

from django.contrib import messages

from backoffice.printing import MAX_LABELS, code128, pdf_response
from inventory.models import PurchaseOrder, StockCount, StockLevel, TransferOrder
from inventory.reports.base import money
from inventory.services import counts


def purchase_order_pdf(request, order: PurchaseOrder):
    """The order as the supplier receives it: number (and its barcode), lines, amounts, where to deliver."""
    lines, total = [], Decimal("0")
    for line in order.lines.select_related("product").order_by("product__sku"):
        amount = money(line.quantity_ordered * line.unit_cost)
        total += amount
        lines.append(
            {
                "sku": line.product.sku,
                "name": line.product.name,
                "quantity": line.product.format_quantity(line.quantity_ordered),
                "unit": line.product.get_unit_display(),
                "unit_cost": f"{money(line.unit_cost):,}",
                "amount": f"{amount:,}",
            }
        )
    context = {"order": order, "lines": lines, "total": f"{total:,}", "barcode": code128(order.number)}
    return pdf_response("backoffice/print/purchase_order.html", context, f"{order.number}.pdf", request)


def packing_list_pdf(request, order: TransferOrder):
    """What leaves the source: number (and its barcode), from and to, lines with the source bin, a tick column."""
    lines = list(order.lines.select_related("product").order_by("product__sku"))
    bins = dict(
        StockLevel.objects.filter(warehouse=order.source, product__in=[line.product_id for line in lines]).values_list(
            "product_id", "bin"
        )
    )
    rows = [
        {
            "sku": line.product.sku,
            "name": line.product.name,
            "bin": bins.get(line.product_id, ""),
            "quantity": line.product.format_quantity(line.quantity),
            "unit": line.product.get_unit_display(),
        }
        for line in lines
    ]
    total = sum((line.quantity for line in lines), Decimal("0"))
    context = {"order": order, "lines": rows, "total": f"{total.normalize():,f}", "barcode": code128(order.number)}
    return pdf_response("backoffice/print/packing_list.html", context, f"{order.number}-packing-list.pdf", request)


def product_labels_pdf(model_admin, request, queryset):
    """One label per selected product: SKU, name and a barcode of its barcode (or its SKU when it has none)."""
    count = queryset.count()
    if count > MAX_LABELS:
        model_admin.message_user(
            request,
            f"{count:,} products are selected; a label sheet takes at most {MAX_LABELS:,}. "
            "Filter the list (a category, a supplier) and print in parts.",
            messages.ERROR,
        )
        return None
    labels = [
        {"sku": sku, "name": name, "code": barcode or sku}
        for sku, name, barcode in queryset.order_by("sku").values_list("sku", "name", "barcode")
    ]
    for label in labels:
        label["barcode"] = code128(label["code"])
    return pdf_response("backoffice/print/labels.html", {"labels": labels}, "product-labels.pdf", request)


def count_sheet_pdf(request, count: StockCount, *, shows_expected: bool, part=None):
    """The sheet counters take to the shelves: number (and its barcode), warehouse and scope, one row per line
    in bin order with its barcode and a box to write the count in; expected quantities only when shown."""
    lines = counts.sheet_lines(count)
    if part is not None:
        lines = lines[part.first - 1 : part.last]
    rows = [
        {
            "bin": line.bin or "",
            "sku": line.product.sku,
            "name": line.product.name,
            "code": line.product.barcode or line.product.sku,
            "unit": line.product.get_unit_display(),
            "expected": line.product.format_quantity(line.expected) if shows_expected else None,
        }
        for line in lines
    ]
    for row in rows:
        row["barcode"] = code128(row["code"])
    context = {
        "count": count,
        "lines": rows,
        "shows_expected": shows_expected,
        "part": part,
        "barcode": code128(count.number),
    }
    suffix = f"-part-{part.number}" if part is not None else ""
    return pdf_response(
        "backoffice/print/count_sheet.html", context, f"{count.number}-count-sheet{suffix}.pdf", request
    )
