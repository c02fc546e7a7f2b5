"""One base class for every Stockroom ModelAdmin, and the warehouse-scope mixin."""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm, SelectableFieldsExportForm

from backoffice.admin.history import AuditedHistoryMixin
from inventory import access


class WarehouseScopedMixin:
    """Limits every admin path to rows in warehouses the user may see.

    `scope_field` is the lookup path from the model to its warehouse
    ("warehouse", "pk" for Warehouse itself); None means the model is not
    warehouse-bound.
    """

    scope_field: str | None = None
    scope_permission: str = access.VIEW_STOCK

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.scope_field is None:
            return queryset
        return queryset.filter(access.scope_q(request.user, self.scope_permission, self.scope_field))


class StockroomModelAdmin(AuditedHistoryMixin, WarehouseScopedMixin, SimpleHistoryAdmin, UnfoldModelAdmin):
    """Unfold look, history pages and warehouse scope."""

    list_per_page = 50
    show_full_result_count = False


class StockroomImportExportAdmin(ImportExportModelAdmin, StockroomModelAdmin):
    """A StockroomModelAdmin with unfold-styled import and export."""

    import_form_class = ImportForm
    export_form_class = ExportForm
    selectable_export_form_class = SelectableFieldsExportForm


class StockroomGuardedAdmin(GuardedModelAdmin, StockroomImportExportAdmin):
    """Adds guardian's object-permission pages (used for Warehouse)."""


__all__ = [
    "StockroomGuardedAdmin",
    "StockroomImportExportAdmin",
    "StockroomModelAdmin",
    "WarehouseScopedMixin",
    "admin",
]
