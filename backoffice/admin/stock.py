"""Stock screens: warehouses, stock levels, and the read-only ledger with its posting form."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.decorators import action

from backoffice.admin.bases import StockroomGuardedAdmin, StockroomModelAdmin
from backoffice.admin.imports import DataTransferMixin
from backoffice.admin.search import ProductFirstSearchMixin
from backoffice.forms import PostMovementForm, ReverseMovementForm
from inventory import access, services
from inventory.models import StockLevel, StockMovement, Warehouse
from inventory.services.submissions import AlreadySubmitted, once


@admin.register(Warehouse)
class WarehouseAdmin(DataTransferMixin, StockroomGuardedAdmin):
    import_resource = "warehouses"
    scope_field = "pk"
    access_managers_see_all = True
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(StockLevel)
class StockLevelAdmin(ProductFirstSearchMixin, DataTransferMixin, StockroomModelAdmin):
    import_resource = "stock_counts"
    scope_field = "warehouse"
    list_display = ["product", "warehouse", "on_hand", "reserved", "available", "average_cost", "bin"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name", "product__barcode", "bin"]
    search_help_text = "SKU, start of a SKU, a word of the product name, a barcode, or a bin."
    exact_search_fields = ("bin",)
    # Only what an index can sort: a stock list of a million rows is never sorted in memory.
    sortable_by = ["on_hand"]
    list_select_related = ["product", "warehouse"]
    autocomplete_fields = ["product", "warehouse"]
    readonly_fields = ["product", "warehouse", "on_hand", "reserved", "average_cost"]
    fields = ["product", "warehouse", "on_hand", "reserved", "average_cost", "bin"]

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
        "kind",
        "product",
        "warehouse",
        "quantity",
        "unit_cost",
        "balance_after",
        "reference",
        "created_by",
    ]
    list_filter = ["kind", "warehouse", "created_at"]
    search_fields = ["product__sku", "product__name", "product__barcode", "reference"]
    search_help_text = "SKU, start of a SKU, a word of the product name, a barcode, or a whole reference."
    exact_search_fields = ("reference",)
    # Only what an index can sort (created_at, both ways): the ledger has millions of lines.
    sortable_by = ["created_at"]
    list_select_related = ["product", "warehouse", "created_by"]
    date_hierarchy = None
    fields = [field.name if field.name != "created_by" else "created_by_name" for field in StockMovement._meta.fields]
    readonly_fields = fields

    actions_detail = ["post_reversal"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reverse_permission(self, request, object_id=None):
        if object_id is None or not request.user.has_perm("inventory.post_adjustment"):
            return False
        movement = self.get_queryset(request).filter(pk=object_id).first()
        return movement is not None and access.has_warehouse_permission(
            request.user, access.MANAGE_STOCK, movement.warehouse_id
        )

    @action(description="Post reversing movement", url_path="reverse", permissions=["reverse"], icon="undo")
    def post_reversal(self, request, object_id):
        """The ledger is never edited: a mistake is cancelled by a reversing movement, through the services."""
        movement = get_object_or_404(self.get_queryset(request).select_related("product", "warehouse"), pk=object_id)
        change_url = reverse("admin:inventory_stockmovement_change", args=[movement.pk])
        form = ReverseMovementForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="reversal") as taken:
                    reversals = services.reverse_movement(
                        user=request.user, movement=movement, reason=form.cleaned_data["reason"]
                    )
                    plural = "s" if len(reversals) > 1 else ""
                    taken.result = {
                        "message": f"Posted {len(reversals)} reversing movement{plural} for #{movement.pk}.",
                        "url": reverse("admin:inventory_stockmovement_change", args=[reversals[0].pk]),
                    }
            except AlreadySubmitted as repeat:
                # The same confirmation arrived again (double click, retry): answer as the first time.
                self.message_user(request, repeat.message, messages.SUCCESS)
                return HttpResponseRedirect(repeat.result.get("url") or change_url)
            except services.DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.message_user(request, taken.result["message"], messages.SUCCESS)
            return HttpResponseRedirect(taken.result["url"])
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reverse movement #{movement.pk}",
            "opts": self.opts,
            "movement": movement,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "backoffice/reverse_movement.html", context)

    def has_add_permission(self, request):
        return request.user.has_perm("inventory.add_stockmovement") and bool(
            access.warehouse_ids_for(request.user, access.OPERATE_STOCK)
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PostMovementForm(request.POST or None, user=request.user, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            changelist = reverse("admin:inventory_stockmovement_changelist")
            try:
                with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="movement") as taken:
                    first = form.post(request.user)[0]
                    taken.result = {
                        "message": f"Posted {first.get_kind_display().lower()} of "
                        f"{abs(first.quantity).normalize():f} × {first.product.sku} in {first.warehouse.code}; "
                        f"on hand now {first.balance_after.normalize():f}.",
                        "url": changelist,
                    }
            except AlreadySubmitted as repeat:
                # A double click or a retried POST: the first one posted; say what it posted, post nothing.
                self.message_user(request, repeat.message, messages.SUCCESS)
                return HttpResponseRedirect(repeat.result.get("url") or changelist)
            except services.DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, taken.result["message"], messages.SUCCESS)
                return HttpResponseRedirect(taken.result["url"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Post a stock movement",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "backoffice/post_movement.html", context)

    def get_urls(self):
        urls = super().get_urls()
        return [
            path("post/", self.admin_site.admin_view(self.add_view), name="inventory_stockmovement_post"),
            *urls,
        ]
