"""Stock screens: warehouses, stock levels, and the read-only ledger (its write screens: views/movements.py)."""

from functools import partial

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.decorators import action

from backoffice.admin.bases import StockroomGuardedAdmin, StockroomModelAdmin
from backoffice.admin.imports import DataTransferMixin
from backoffice.admin.search import ProductFirstSearchMixin
from backoffice.templatetags.stockroom import money_text, readable
from backoffice.views import movements
from inventory import access, selectors, services
from inventory.models import StockLevel, StockMovement, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(DataTransferMixin, StockroomGuardedAdmin):
    import_resource = "warehouses"
    scope_field = "pk"
    access_managers_see_all = True
    list_display = ["code", "name", "is_active", "is_transit"]
    list_filter = ["is_active", "is_transit"]
    search_fields = ["code", "name"]

    def has_change_permission(self, request, obj=None):
        # A transit warehouse belongs to its destination's transfer orders; no one renames or closes it.
        if obj is not None and obj.is_transit:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_transit:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(StockLevel)
class StockLevelAdmin(ProductFirstSearchMixin, DataTransferMixin, StockroomModelAdmin):
    import_resource = "stock_counts"
    scope_field = "warehouse"
    list_display = ["product", "warehouse", "on_hand", "on_order", "reserved", "available", "average_cost", "bin"]
    readable_columns = {
        "on_hand": "number",
        "on_order": "number",
        "reserved": "number",
        "available": "number",
        "average_cost": "money",
    }
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name", "product__barcode", "bin"]
    search_help_text = "SKU, start of a SKU, a word of the product name, a barcode, or a bin."
    # Only what an index can sort: a stock list of a million rows is never sorted in memory.
    sortable_by = ["on_hand"]
    list_select_related = ["product", "warehouse"]
    autocomplete_fields = ["product", "warehouse"]
    readonly_fields = ["product", "warehouse", "on_hand", "on_order", "reserved", "average_cost"]
    fields = ["product", "warehouse", "on_hand", "on_order", "reserved", "average_cost", "bin"]

    def get_queryset(self, request):
        # One correlated subquery per shown row, through the PO lines' product index; never sorted on.
        return super().get_queryset(request).annotate(on_order=selectors.on_order())

    @admin.display(description="on order")
    def on_order(self, obj):
        return obj.product.format_quantity(obj.on_order)

    def has_add_permission(self, request):
        # A stock level comes into being with its first receipt.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="available")
    def available(self, obj):
        return obj.available


@admin.register(StockMovement)
class StockMovementAdmin(ProductFirstSearchMixin, DataTransferMixin, StockroomModelAdmin):
    """The ledger: read-only; new lines are posted through the services."""

    scope_field = "warehouse"
    list_display = [
        "created_at",
        "phone_summary",  # shown instead of the columns after it on a phone (stockroom.css)
        "kind",
        "product",
        "warehouse",
        "quantity",
        "unit_cost",
        "balance_after",
        "reference",
        "created_by",
    ]
    readable_columns = {"quantity": "number", "unit_cost": "money", "balance_after": "number"}
    list_filter = ["kind", "warehouse", "created_at"]
    search_fields = ["product__sku", "product__name", "product__barcode", "reference"]
    search_help_text = "SKU, start of a SKU, a word of the product name, a barcode, or a whole reference."
    # Only what an index can sort (created_at, both ways): the ledger has millions of lines.
    sortable_by = ["created_at"]
    list_select_related = ["product", "warehouse", "created_by"]
    date_hierarchy = None
    fields = [
        *(field.name if field.name != "created_by" else "created_by_name" for field in StockMovement._meta.fields),
        "reversed_by",
    ]
    readonly_fields = fields

    actions_detail = ["post_reversal"]
    # The ledger's write screens are views (backoffice/views/movements.py); the admin names and wires them.
    post_reversal = action(
        description="Post reversing movement", url_path="reverse", permissions=["reverse"], icon="undo"
    )(movements.post_reversal)
    has_reverse_permission = movements.has_reverse_permission

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        movement = self.visible_object(request, object_id)
        if movement is not None and services.is_reversible(movement):
            return actions
        # Only the offer goes: the reversal URL stays open, so a repeated confirmation is still answered
        # as the first was (views/movements.py), and a late one is told the movement is already reversed.
        return [action for action in actions if action.action_name != "inventory_stockmovement_post_reversal"]

    @admin.display(description="Movement")
    def phone_summary(self, obj):
        """What the wide columns say, in one cell a 390 px screen shows whole."""
        details = [f"balance {readable(obj.balance_after, 'number')}", f"{money_text(obj.unit_cost)} each"]
        details += [part for part in (obj.reference, f"by {obj.created_by}" if obj.created_by else "") if part]
        return format_html(
            '<span class="font-medium">{}</span><br><span class="text-xs">{}</span>', obj, " · ".join(details)
        )

    @admin.display(description="reversed by")
    def reversed_by(self, obj):
        reversal = obj.reversals.select_related("product", "warehouse").first()
        if reversal is None:
            return "—"
        url = reverse("admin:inventory_stockmovement_change", args=[reversal.pk])
        return format_html('<a href="{}">{} (#{}, {})</a>', url, reversal, reversal.pk, reversal.reference)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    add_link_label = "Post a movement"

    def has_add_permission(self, request):
        return request.user.has_perm("inventory.add_stockmovement") and bool(
            access.warehouse_ids_for(request.user, access.OPERATE_STOCK)
        )

    def get_urls(self):
        # The posting screen takes the place of Django's add form, under both names.
        post = self.admin_site.admin_view(partial(movements.post_movement, self))
        return [
            path("post/<str:kind>/", post, name="inventory_stockmovement_post_kind"),
            path("post/", post, name="inventory_stockmovement_post"),
            path("add/", post, name="inventory_stockmovement_add"),
            *(url for url in super().get_urls() if url.name != "inventory_stockmovement_add"),
        ]
