"""Purchasing screens: purchase orders with their lines, and the goods receipts posted against them.

Both are scoped by their destination warehouse like stock. A draft is edited here
(header and lines, through the purchasing services); from "ordered" on, the page
is read-only and offers the next steps instead: Receive, Close short, Cancel.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action

from backoffice.admin.bases import StockroomModelAdmin
from backoffice.admin.imports import DataTransferMixin, DocumentImportMixin
from backoffice.import_changes import order_lines_table
from backoffice.views import printouts
from backoffice.views import purchasing as views
from inventory import access
from inventory.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, PurchaseOrderState
from inventory.services import DomainError, purchasing


def _is_draft(order: PurchaseOrder | None) -> bool:
    return order is None or order.state == PurchaseOrderState.DRAFT


class PurchaseOrderLineForm(forms.ModelForm):
    """A draft's line, checked by the same rules the services apply (active product, whole units, bounds)."""

    class Meta:
        model = PurchaseOrderLine
        fields = ["product", "quantity_ordered", "unit_cost"]

    def clean(self):
        data = super().clean()
        product, quantity, cost = data.get("product"), data.get("quantity_ordered"), data.get("unit_cost")
        if product is not None and quantity is not None and cost is not None and not data.get("DELETE"):
            try:
                purchasing.check_line(product, quantity, cost)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return data


class PurchaseOrderLineInline(TabularInline):
    model = PurchaseOrderLine
    form = PurchaseOrderLineForm
    fields = ["product", "quantity_ordered", "unit_cost", "quantity_received", "quantity_remaining"]
    readonly_fields = ["quantity_received", "quantity_remaining"]
    autocomplete_fields = ["product"]
    extra = 0

    def get_queryset(self, request):
        # Each row's title names its order and product (PurchaseOrderLine.__str__): both come with the row.
        return super().get_queryset(request).with_received().select_related("order", "product")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if _is_draft(obj) else 0

    # Lines are typed in only while the order is a draft; after that they change through a revision.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="received")
    def quantity_received(self, line):
        return line.product.format_quantity(line.quantity_received) if line.pk else "—"

    @admin.display(description="remaining")
    def quantity_remaining(self, line):
        return line.product.format_quantity(line.quantity_remaining) if line.pk else "—"


class ProductOrderLineInline(TabularInline):
    """On the product page: the purchase order lines for it in the user's warehouses, newest order first."""

    model = PurchaseOrderLine
    verbose_name_plural = "purchase orders"
    fields = ["order_link", "warehouse", "state", "quantity_ordered", "quantity_received", "quantity_remaining"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    tab = True
    per_page = 20

    def get_queryset(self, request):
        lines = (
            super().get_queryset(request).filter(access.scope_q(request.user, access.VIEW_STOCK, "order__warehouse"))
        )
        return lines.with_received().select_related("order__warehouse", "product").order_by("-order__created_at", "-pk")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="purchase order")
    def order_link(self, line):
        url = reverse("admin:inventory_purchaseorder_change", args=[line.order_id])
        return format_html('<a href="{}">{}</a>', url, line.order.number)

    @admin.display(description="warehouse")
    def warehouse(self, line):
        return line.order.warehouse.code

    @admin.display(description="state")
    def state(self, line):
        return line.order.get_state_display()

    @admin.display(description="received")
    def quantity_received(self, line):
        return line.product.format_quantity(line.quantity_received)

    @admin.display(description="remaining")
    def quantity_remaining(self, line):
        return line.product.format_quantity(line.quantity_remaining)


class GoodsReceiptInline(TabularInline):
    model = GoodsReceipt
    fields = ["receipt_link", "received_at", "received_by_name"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "goods receipts"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("received_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="received by")
    def received_by_name(self, receipt) -> str:
        # A name, not a link: the user page is for those who manage users (see StockroomModelAdmin).
        return receipt.received_by.get_username() if receipt.received_by_id else "—"

    @admin.display(description="receipt")
    def receipt_link(self, receipt):
        url = reverse("admin:inventory_goodsreceipt_change", args=[receipt.pk])
        return format_html('<a href="{}">{}</a>', url, receipt.number)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(DocumentImportMixin, DataTransferMixin, StockroomModelAdmin):
    scope_field = "warehouse"
    list_display = ["number", "supplier", "warehouse", "state", "expected_date"]
    list_filter = ["state", "warehouse"]
    search_fields = ["number", "supplier__code", "supplier__name"]
    search_help_text = "A PO number, or a supplier's code or name."
    sortable_by = ["number"]
    list_select_related = ["supplier", "warehouse"]
    autocomplete_fields = ["supplier"]
    fields = [
        "number",
        "supplier",
        "warehouse",
        "expected_date",
        "notes",
        "state",
        "close_reason",
        "created_by_name",
        "created_at",
    ]
    inlines = [PurchaseOrderLineInline, GoodsReceiptInline]
    actions_detail = [
        "receive_goods",
        "place_order",
        "import_lines",
        "revise_line",
        "close_short",
        "cancel_order",
        "print_order",
    ]
    document_imports = {"import-lines": "po_lines"}

    def get_readonly_fields(self, request, obj=None):
        fixed = ["number", "state", "close_reason", "created_by_name", "created_at"]
        if _is_draft(obj):
            return fixed
        return [*fixed, "supplier", "warehouse", "expected_date", "notes"]

    def has_change_permission(self, request, obj=None):
        # Only a draft is edited as a form; an ordered PO changes through its steps and revisions.
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A PO is cancelled, never deleted: its number stays accounted for.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "warehouse" and formfield is not None:
            # Ordering into a warehouse means receiving there later: only those the user operates.
            formfield.queryset = (
                access.warehouses_for(request.user, access.OPERATE_STOCK).holding().filter(is_active=True)
            )
        return formfield

    def save_model(self, request, obj, form, change):
        purchasing.save_draft(user=request.user, order=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not PurchaseOrderLine:
            return super().save_formset(request, form, formset, change)
        kept = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        lines = [(data["product"], data["quantity_ordered"], data["unit_cost"]) for data in kept]
        purchasing.set_lines(user=request.user, order=form.instance, lines=lines)
        # The service wrote the lines (history says what changed); Django's change message reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    # Who may use a step's URL; which steps the page offers depends on the order's state (get_actions_detail).
    # The URL stays open after the step, so a repeated submission is answered as the first one was.
    def has_receive_permission(self, request, object_id=None):
        return views.may_operate(
            request, self.visible_object_or_404(request, object_id, cached=True), "receive_purchaseorder"
        )

    def has_step_permission(self, request, object_id=None):
        return views.may_operate(
            request, self.visible_object_or_404(request, object_id, cached=True), "change_purchaseorder"
        )

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        order = self.visible_object_or_404(request, object_id, cached=True)
        offered = views.offered_steps(order)
        return [action for action in actions if action.action_name.removeprefix(self._action_prefix) in offered]

    @property
    def _action_prefix(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_"

    @action(description="Receive", url_path="receive", permissions=["receive"], icon="move_to_inbox")
    def receive_goods(self, request, object_id):
        return views.receive_goods(self, request, object_id)

    @action(description="Place order", url_path="place", permissions=["step"], icon="send")
    def place_order(self, request, object_id):
        return views.take_step(self, request, object_id, "place_order")

    @action(description="Import lines", url_path="import-lines", permissions=["step"], icon="upload_file")
    def import_lines(self, request, object_id):
        # Editing a draft's lines by file needs what editing them on this page needs (has_step_permission).
        return self.document_import(
            request, self.visible_object_or_404(request, object_id, cached=True), "po_lines", table=order_lines_table
        )

    @action(description="Revise a line", url_path="revise", permissions=["step"], icon="edit_note")
    def revise_line(self, request, object_id):
        return views.revise_line(self, request, object_id)

    @action(description="Close short", url_path="close-short", permissions=["step"], icon="block")
    def close_short(self, request, object_id):
        return views.take_step(self, request, object_id, "close_short")

    def has_print_permission(self, request, object_id=None):
        return (
            self.has_view_permission(request)
            and self.visible_object_or_404(request, object_id, cached=True) is not None
        )

    @action(description="Print (PDF)", url_path="print", permissions=["print"], icon="print")
    def print_order(self, request, object_id):
        return printouts.purchase_order_pdf(request, self.visible_object_or_404(request, object_id, cached=True))

    @action(description="Cancel order", url_path="cancel", permissions=["step"], icon="cancel")
    def cancel_order(self, request, object_id):
        return views.take_step(self, request, object_id, "cancel_order")


class GoodsReceiptLineInline(TabularInline):
    model = GoodsReceiptLine
    fields = ["product", "quantity", "movement_link"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("receipt", "order_line__product")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="product")
    def product(self, line):
        return str(line.order_line.product)

    @admin.display(description="ledger line")
    def movement_link(self, line):
        url = reverse("admin:inventory_stockmovement_change", args=[line.movement_id])
        return format_html('<a href="{}">#{}</a>', url, line.movement_id)


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(StockroomModelAdmin):
    """Goods receipts are posted from their order's Receive screen and never edited."""

    scope_field = "warehouse"
    list_display = ["number", "order", "warehouse", "received_by_name", "received_at"]
    list_filter = ["warehouse"]
    search_fields = ["number", "order__number"]
    search_help_text = "A GRN or PO number."
    sortable_by = ["number", "received_at"]
    list_select_related = ["order", "warehouse", "received_by"]
    fields = ["number", "order", "warehouse", "received_by_name", "received_at"]
    readonly_fields = fields
    inlines = [GoodsReceiptLineInline]

    @admin.display(description="received by")
    def received_by_name(self, receipt) -> str:
        return receipt.received_by.get_username() if receipt.received_by_id else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
