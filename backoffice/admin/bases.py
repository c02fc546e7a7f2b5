"""The base classes every Stockroom ModelAdmin derives from."""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin as UnfoldModelAdmin

from backoffice.admin.history import AuditedHistoryMixin
from backoffice.admin.paging import BoundedCountPaginator, IndexFriendlyChangeList
from backoffice.admin.scope import WarehouseScopedMixin
from backoffice.templatetags.stockroom import readable
from inventory import access

SHOWN = "_shown"


def _readable_column(model, name: str, kind: str):
    """A list column showing `name` as people read it ("1,250", "$4.50"); sorts by the field itself."""
    try:
        label = model._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        label = name.replace("_", " ")

    @admin.display(description=label, ordering=name)
    def column(obj):
        return readable(getattr(obj, name), kind)

    column.formatting = "price"  # unfold right-aligns it, as figures are
    return column


class StockroomModelAdmin(WarehouseScopedMixin, AuditedHistoryMixin, SimpleHistoryAdmin, UnfoldModelAdmin):
    """Unfold look, history pages, warehouse scope and changelists that stay fast on large tables."""

    list_per_page = 50
    show_full_result_count = False
    paginator = BoundedCountPaginator
    # List columns of figures: name -> "number" (a quantity: "1,250", "2.5") or "money" ("$4.50").
    readable_columns: dict[str, str] = {}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name, kind in self.readable_columns.items():
            setattr(self, f"{name}{SHOWN}", _readable_column(model, name, kind))

    def _shown(self, names) -> list:
        return [f"{name}{SHOWN}" if name in self.readable_columns else name for name in names]

    def get_list_display(self, request):
        return self._shown(super().get_list_display(request))

    def get_sortable_by(self, request):
        return self._shown(super().get_sortable_by(request))

    @admin.display(description="created by")
    def created_by_name(self, obj) -> str:
        # Django links a read-only foreign key to its change page without asking whether the viewer may
        # open it; a clerk's own name led to a 403 on the user page. The name alone says who.
        return obj.created_by.get_username() if obj.created_by_id else "—"

    def get_changelist(self, request, **kwargs):
        return IndexFriendlyChangeList


class ReadOnlyLogAdmin(StockroomModelAdmin):
    """An append-only log (access log, security events): listed and read, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StockroomGuardedAdmin(GuardedModelAdmin, StockroomModelAdmin):
    """Adds guardian's object-permission pages (used for Warehouse), open only to users who manage access.

    guardian's own views only check `has_change_permission(request, None)` (see
    shared/STACK_NOTES.md); this is our equivalent of ReinforcedGuardedModelAdmin
    for the direct foreign-key grant models. Saved grants go through the access
    services, so each one is recorded as an AccessEvent.
    """

    def _may_manage_grants(self, request) -> bool:
        return access.can_manage_access(request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if not self._may_manage_grants(request):
            # guardian's template adds an "Object permissions" button; for others it only led to a 403.
            opts = self.opts
            response.template_name = [
                f"admin/{opts.app_label}/{opts.model_name}/change_form.html",
                f"admin/{opts.app_label}/change_form.html",
                "admin/change_form.html",
            ]
        return response

    def _refuse_unless_manageable(self, request, object_pk) -> None:
        if not self._may_manage_grants(request):
            raise PermissionDenied
        # guardian looks the id up unguarded: "abc" for a warehouse id was a 500.
        if self.visible_object(request, object_pk) is None:
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")

    def obj_perms_manage_view(self, request, object_pk):
        self._refuse_unless_manageable(request, object_pk)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._refuse_unless_manageable(request, object_pk)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self._refuse_unless_manageable(request, object_pk)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)
