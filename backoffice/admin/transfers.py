"""Transfer order screens: the order with its lines, and its steps (Ship, Receive, Close, Cancel).

Scope: an order is filed under its destination (`warehouse`) and also seen from its
source (`also_scoped_by`), so users of either side find it, its lines and its history;
users of neither get a 404. The page shows document quantities (shipped, received, in
transit), never a warehouse's stock levels: those stay on the stock screens, scoped as
ever. A draft is edited here through the transfer services; after shipping, the page is
read-only and offers the next steps to the side that may take them.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action

from backoffice.admin.bases import StockroomModelAdmin
from backoffice.admin.imports import DataTransferMixin
from backoffice.views import printouts
from backoffice.views import transfers as views
from inventory import access
from inventory.models import TransferOrder, TransferOrderLine, TransferOrderState
from inventory.services import DomainError, transfers


def _is_draft(order: TransferOrder | None) -> bool:
    return order is None or order.state == TransferOrderState.DRAFT


class TransferOrderLineForm(forms.ModelForm):
    """A draft's line, checked by the same rules the services apply (active product, whole units, bounds)."""

    class Meta:
        model = TransferOrderLine
        fields = ["product", "quantity"]

    def clean(self):
        data = super().clean()
        product, quantity = data.get("product"), data.get("quantity")
        if product is not None and quantity is not None and not data.get("DELETE"):
            try:
                transfers.check_line(product, quantity)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return data


class TransferOrderLineInline(TabularInline):
    model = TransferOrderLine
    form = TransferOrderLineForm
    fields = ["product", "quantity", "quantity_shipped", "quantity_received", "quantity_in_transit"]
    readonly_fields = ["quantity_shipped", "quantity_received", "quantity_in_transit"]
    autocomplete_fields = ["product"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress().select_related("order", "product")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if _is_draft(obj) else 0

    # Lines are typed in only while the order is a draft; shipped quantities come from the ledger.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="shipped")
    def quantity_shipped(self, line):
        return line.product.format_quantity(line.quantity_shipped) if line.pk else "—"

    @admin.display(description="received")
    def quantity_received(self, line):
        return line.product.format_quantity(line.quantity_received) if line.pk else "—"

    @admin.display(description="in transit")
    def quantity_in_transit(self, line):
        return line.product.format_quantity(line.quantity_in_transit) if line.pk else "—"


class ProductTransferLineInline(TabularInline):
    """On the product page: the transfer order lines for it from or to the user's warehouses, newest first."""

    model = TransferOrderLine
    verbose_name_plural = "transfer orders"
    fields = ["order_link", "source", "destination", "state", "quantity", "quantity_in_transit"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    tab = True
    per_page = 20

    def get_queryset(self, request):
        user = request.user
        seen = access.scope_q(user, access.VIEW_STOCK, "order__warehouse") | access.scope_q(
            user, access.VIEW_STOCK, "order__source"
        )
        lines = super().get_queryset(request).filter(seen).with_progress()
        return lines.select_related("order__source", "order__warehouse", "product").order_by(
            "-order__created_at", "-pk"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="transfer order")
    def order_link(self, line):
        url = reverse("admin:inventory_transferorder_change", args=[line.order_id])
        return format_html('<a href="{}">{}</a>', url, line.order.number)

    @admin.display(description="source")
    def source(self, line):
        return line.order.source.code

    @admin.display(description="destination")
    def destination(self, line):
        return line.order.warehouse.code

    @admin.display(description="state")
    def state(self, line):
        return line.order.get_state_display()

    @admin.display(description="in transit")
    def quantity_in_transit(self, line):
        return line.product.format_quantity(line.quantity_in_transit)


@admin.register(TransferOrder)
class TransferOrderAdmin(DataTransferMixin, StockroomModelAdmin):
    scope_field = "warehouse"
    also_scoped_by = ("source",)
    list_display = ["number", "source", "warehouse", "state", "created_at"]
    list_filter = ["state", "source", "warehouse"]
    search_fields = ["number"]
    search_help_text = "A TO number."
    sortable_by = ["number", "created_at"]
    list_select_related = ["source", "warehouse"]
    fields = ["number", "source", "warehouse", "notes", "state", "discrepancy_reason", "created_by_name", "created_at"]
    inlines = [TransferOrderLineInline]
    actions_detail = ["ship_order", "receive_order", "close_short", "cancel_order", "print_packing_list"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["number", "state", "discrepancy_reason", "created_by_name", "created_at"]
        if _is_draft(obj):
            return fixed
        return [*fixed, "source", "warehouse", "notes"]

    @admin.display(description="created by")
    def created_by_name(self, order) -> str:
        return order.created_by.get_username() if order.created_by_id else "—"

    def has_change_permission(self, request, obj=None):
        # Only a draft is edited as a form, and by whoever operates its source (who will ship it).
        if obj is not None and not (
            _is_draft(obj) and access.has_warehouse_permission(request.user, access.OPERATE_STOCK, obj.source_id)
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A transfer is cancelled, never deleted: its number stays accounted for.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Send from a warehouse the user operates (they will ship it), to one they at least see; never transit.
        permission = {"source": access.OPERATE_STOCK, "warehouse": access.VIEW_STOCK}.get(db_field.name)
        if formfield is not None and permission is not None:
            formfield.queryset = access.warehouses_for(request.user, permission).holding().filter(is_active=True)
        return formfield

    def save_model(self, request, obj, form, change):
        transfers.save_draft(user=request.user, order=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TransferOrderLine:
            return super().save_formset(request, form, formset, change)
        kept = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        transfers.set_lines(
            user=request.user, order=form.instance, lines=[(data["product"], data["quantity"]) for data in kept]
        )
        # The service wrote the lines (history says what changed); Django's change message reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    # Who may use a step's URL; which steps the page offers depends on the order's state (get_actions_detail).
    def has_ship_permission(self, request, object_id=None):
        return views.may_operate(
            request, self.visible_object_or_404(request, object_id, cached=True), "ship_transferorder", "source"
        )

    def has_receive_permission(self, request, object_id=None):
        return views.may_operate(
            request, self.visible_object_or_404(request, object_id, cached=True), "receive_transferorder", "warehouse"
        )

    def has_cancel_permission(self, request, object_id=None):
        return views.may_operate(
            request, self.visible_object_or_404(request, object_id, cached=True), "change_transferorder", "source"
        )

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        offered = views.offered_steps(request, self.visible_object_or_404(request, object_id, cached=True))
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        return [action for action in actions if action.action_name.removeprefix(prefix) in offered]

    @action(description="Ship", url_path="ship", permissions=["ship"], icon="local_shipping")
    def ship_order(self, request, object_id):
        return views.take_step(self, request, object_id, "ship_order")

    @action(description="Receive", url_path="receive", permissions=["receive"], icon="move_to_inbox")
    def receive_order(self, request, object_id):
        return views.receive_order(self, request, object_id)

    @action(description="Close with discrepancy", url_path="close", permissions=["receive"], icon="block")
    def close_short(self, request, object_id):
        return views.take_step(self, request, object_id, "close_short")

    def has_print_permission(self, request, object_id=None):
        return (
            self.has_view_permission(request)
            and self.visible_object_or_404(request, object_id, cached=True) is not None
        )

    @action(description="Packing list (PDF)", url_path="print", permissions=["print"], icon="print")
    def print_packing_list(self, request, object_id):
        return printouts.packing_list_pdf(request, self.visible_object_or_404(request, object_id, cached=True))

    @action(description="Cancel transfer", url_path="cancel", permissions=["cancel"], icon="cancel")
    def cancel_order(self, request, object_id):
        return views.take_step(self, request, object_id, "cancel_order")
