"""Printouts: the purchase order for the supplier and a sheet of product labels, as PDFs (backoffice.printing)."""

from decimal import Decimal

from django.contrib import messages

from backoffice.printing import MAX_LABELS, code128, pdf_response
from inventory.models import PurchaseOrder
from inventory.reports.base import money


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
