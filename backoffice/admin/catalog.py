"""Catalog screens: categories, suppliers, products."""

from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from unfold.admin import TabularInline
from unfold.decorators import action

from backoffice.admin.bases import StockroomModelAdmin
from backoffice.admin.history import deactivate_selected
from backoffice.admin.imports import DataTransferMixin
from backoffice.admin.purchasing import ProductOrderLineInline
from backoffice.admin.transfers import ProductTransferLineInline
from backoffice.views import printouts
from inventory import access, selectors
from inventory.models import Category, Product, StockLevel, StockMovement, Supplier


@admin.register(Category)
class CategoryAdmin(DataTransferMixin, StockroomModelAdmin):
    import_resource = "categories"
    list_display = ["path", "parent", "product_count"]
    search_fields = ["name", "path"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description="products", ordering="product_total")
    def product_count(self, obj):
        return obj.product_total


@admin.register(Supplier)
class SupplierAdmin(DataTransferMixin, StockroomModelAdmin):
    import_resource = "suppliers"
    list_display = ["code", "name", "contact_name", "email", "lead_time_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "contact_name", "email"]
    actions = [*DataTransferMixin.actions, deactivate_selected]


class StockLevelInline(TabularInline):
    model = StockLevel
    fields = ["warehouse", "on_hand", "on_order", "reserved", "average_cost", "bin"]
    readonly_fields = ["warehouse", "on_hand", "on_order", "reserved", "average_cost"]
    extra = 0
    can_delete = False
    show_change_link = True
    tab = True

    def has_add_permission(self, request, obj=None):
        # Stock appears through movements, never by typing a number in.
        return False

    def get_queryset(self, request):
        levels = (
            super().get_queryset(request).filter(access.scope_q(request.user)).select_related("warehouse", "product")
        )
        return levels.annotate(on_order=selectors.on_order())

    @admin.display(description="on order")
    def on_order(self, level):
        """What open purchase orders still expect into this warehouse (ordered − received)."""
        return level.product.format_quantity(level.on_order)


@admin.register(Product)
class ProductAdmin(DataTransferMixin, StockroomModelAdmin):
    import_resource = "products"
    list_display = ["sku", "name", "category", "default_supplier", "unit", "cost_price", "sale_price", "is_active"]
    readable_columns = {"cost_price": "money", "sale_price": "money"}
    list_filter = ["is_active", "unit", "category"]
    # Each served by an index (migration 0008): a SKU or its start, a word of the name, a whole barcode.
    search_fields = ["^sku", "name", "=barcode"]
    # Only what an index sorts at 100,000 products (migration 0011); category and supplier would sort
    # the whole join, unit and active are filters instead.
    sortable_by = ["sku", "name", "cost_price", "sale_price"]
    autocomplete_fields = ["category", "default_supplier"]
    list_select_related = ["category", "default_supplier"]
    inlines = [StockLevelInline, ProductOrderLineInline, ProductTransferLineInline]
    actions = [*DataTransferMixin.actions, deactivate_selected, "print_labels"]
    actions_detail = ["open_movements", "open_stock"]
    fieldsets = [
        (None, {"fields": ["sku", "name", "category", "default_supplier", "unit", "barcode", "is_active"]}),
        (
            "Prices and reordering",
            {
                "fields": [
                    "cost_price",
                    "sale_price",
                    "reorder_point",
                    "reorder_quantity",
                    "over_receipt_tolerance",
                ]
            },
        ),
    ]
    delete_confirmation_template = "backoffice/catalog/product_delete_confirmation.html"

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if request.method == "POST":
            # The purchase and transfer order tabs only show; leaving them out of a save means a form posted
            # without their (empty) management forms, by a script or an older page, is not refused for them.
            shown_only = (ProductOrderLineInline, ProductTransferLineInline)
            return [inline for inline in inlines if not isinstance(inline, shown_only)]
        return inlines

    delete_selected_confirmation_template = "backoffice/catalog/product_delete_selected_confirmation.html"

    def has_stock_view_permission(self, request, object_id=None):
        return request.user.has_perm("inventory.view_stocklevel") and access.has_any_warehouse(request.user)

    @action(description="Movements", url_path="movements", permissions=["stock_view"], icon="receipt_long")
    def open_movements(self, request, object_id):
        """The ledger of this product, in the warehouses the user may see."""
        url = reverse("admin:inventory_stockmovement_changelist")
        return HttpResponseRedirect(f"{url}?product__id__exact={int(object_id)}")

    @action(description="Stock per warehouse", url_path="stock", permissions=["stock_view"], icon="warehouse")
    def open_stock(self, request, object_id):
        url = reverse("admin:inventory_stocklevel_changelist")
        return HttpResponseRedirect(f"{url}?product__id__exact={int(object_id)}")

    @admin.action(description="Print labels of selected products (PDF)", permissions=["view"])
    def print_labels(self, request, queryset):
        return printouts.product_labels_pdf(self, request, queryset)

    def get_deleted_objects(self, objs, request):
        """A product with stock levels or movements is never deleted; its page offers to deactivate it.

        Django would list the ledger as objects the user "lacks permission to delete"; the products
        themselves are the honest answer, as the protected list both confirmation pages show.
        """
        with_history = list(
            Product.objects.filter(pk__in=[obj.pk for obj in objs])
            .filter(
                Q(Exists(StockMovement.objects.filter(product=OuterRef("pk"))))
                | Q(Exists(StockLevel.objects.filter(product=OuterRef("pk"))))
            )
            .order_by("sku")
        )
        if with_history:
            return [], {}, set(), with_history
        return super().get_deleted_objects(objs, request)
