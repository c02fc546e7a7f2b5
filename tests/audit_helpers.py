"""Small helpers shared by the audit tests."""

from inventory.models import Product


def product_form_data(product: Product, **overrides) -> dict:
    """The product change form as the browser posts it, with `overrides` applied."""
    data = {
        "sku": product.sku,
        "name": product.name,
        "category": product.category_id,
        "default_supplier": product.default_supplier_id or "",
        "unit": product.unit,
        "barcode": product.barcode or "",
        "cost_price": product.cost_price,
        "sale_price": product.sale_price,
        "reorder_point": product.reorder_point,
        "reorder_quantity": product.reorder_quantity,
        "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
    }
    if product.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
