"""Warehouse scope on every admin path: rows, filters, related choices, raw-id labels, autocomplete, actions."""

from functools import cache

from django.contrib import messages
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.text import capfirst
from simple_history.utils import get_history_model_for_model

from backoffice.widgets import make_safe
from inventory import access, audit
from inventory.models import Warehouse


class ScopedRelatedChoicesMixin:
    """Offers only the related rows (warehouses, stock levels) the user may see as filter choices.

    A URL naming another one (`?warehouse__id__exact=<other id>`) shows no rows and says so, in the
    same words whether that row is outside the user's scope or does not exist.
    """

    is_scoped = False

    def field_choices(self, field, request, model_admin):
        allowed = model_admin.scoped_related_queryset(request, field.related_model)
        if allowed is None:
            return super().field_choices(field, request, model_admin)
        self.is_scoped = True
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"pk__in": allowed})

    def expected_parameters(self):
        # Every spelling of "these related rows" Django would accept in a URL, so each is checked.
        path, target = self.field_path, self.field.target_field.name
        spellings = [path, f"{path}__exact", f"{path}__{target}", f"{path}__in", f"{path}__{target}__in"]
        return [*super().expected_parameters(), *spellings]

    def has_output(self):
        # Django leaves out a filter with a single choice and then never applies its parameter, so a
        # user with one warehouse would be shown their own rows for any warehouse the URL names.
        return super().has_output() or any(key != self.lookup_kwarg_isnull for key in self.used_parameters)

    def queryset(self, request, queryset):
        offered = {str(pk) for pk, _ in self.lookup_choices}
        refused = [value for value in self._named_values() if value not in offered] if self.is_scoped else []
        if refused:
            messages.error(request, f"{capfirst(self.title)} {refused[0]} is not one of yours. Showing nothing.")
            return queryset.none()
        return super().queryset(request, queryset)

    def _named_values(self) -> list[str]:
        named = []
        for key, values in self.used_parameters.items():
            if key == self.lookup_kwarg_isnull:
                continue
            for value in values:
                named.extend(value if isinstance(value, list) else [value])
        return named


class ScopedRelatedFieldListFilter(ScopedRelatedChoicesMixin, RelatedFieldListFilter):
    """Django's related-field filter with scoped choices."""


@cache
def _scoped_filter_class(filter_class: type) -> type:
    return type(f"Scoped{filter_class.__name__}", (ScopedRelatedChoicesMixin, filter_class), {})


class _ScopedRawIdMixin:
    """Shows a raw-id value's label only when the value is in the field's (scoped) choices."""

    allowed = None

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            visible = self.allowed.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            visible = False
        return super().label_and_url_for_value(value) if visible else ("", "")


@cache
def _scoped_raw_id_widget_class(widget_class: type) -> type:
    return type(f"Scoped{widget_class.__name__}", (_ScopedRawIdMixin, widget_class), {})


class WarehouseScopedMixin:
    """Limits every admin path to rows in warehouses the user may see.

    `scope_field` is the lookup path from the model to its warehouse
    ("warehouse", "pk" for Warehouse itself); None means the model is not
    warehouse-bound. Every path goes through `get_queryset` (changelist rows
    and counts, change/delete/history by URL, search, autocomplete and raw-id
    popups, actions, export) or through `scoped_related_queryset` (filter
    choices and foreign-key choices of forms). Admins of models that are not
    warehouse-bound still get scoped choices for their Warehouse/StockLevel
    foreign keys. History pages and reverts are scoped here too; it sits in
    front of AuditedHistoryMixin, whose answers it narrows.
    """

    scope_field: str | None = None
    # More warehouse paths that also bring a row into scope (a transfer order is seen from its source too).
    also_scoped_by: tuple[str, ...] = ()
    scope_permission: str = access.VIEW_STOCK
    # Warehouses themselves (not their stock) and the access log are visible in full to users who grant access.
    access_managers_see_all: bool = False
    # Changing a warehouse-bound object needs more than seeing it.
    revert_scope_permission: str = access.OPERATE_STOCK

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.scope_field is None or self._sees_all(request):
            return queryset
        return queryset.filter(self._scope_q(request, self.scope_field))

    def _scope_q(self, request, field: str) -> Q:
        scope = access.scope_q(request.user, self.scope_permission, field)
        for other in self.also_scoped_by:
            scope |= access.scope_q(request.user, self.scope_permission, other)
        return scope

    def has_scope(self, request) -> bool:
        """Whether get_queryset can show this user any row: a list with none in reach is left out of the sidebar."""
        if self.scope_field is None or self._sees_all(request):
            return True
        return access.has_any_warehouse(request.user, self.scope_permission)

    def _sees_all(self, request) -> bool:
        return self.access_managers_see_all and access.can_manage_access(request.user)

    def scoped_related_queryset(self, request, related_model, permission: str | None = None):
        """The rows of `related_model` the user may pick here, or None when it is not warehouse-bound."""
        permission = permission or self.scope_permission
        if self.access_managers_see_all and access.can_manage_access(request.user):
            return None
        if related_model is Warehouse:
            return access.warehouses_for(request.user, permission)
        related_admin = self.admin_site._registry.get(related_model)
        field = getattr(related_admin, "scope_field", None)
        if field is None:
            return None
        return related_model._default_manager.filter(access.scope_q(request.user, permission, field))

    # Path 2: change, delete and history by URL.
    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Not a redirect naming the id: the same answer whether it is missing or out of scope.
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")
        return obj

    def visible_object(self, request, object_id):
        """The object under this id that the user sees here, or None (also for an id of the wrong shape)."""
        # Django's get_object answers None for a missing, hidden or malformed id; ours turns None into a 404.
        return super().get_object(request, object_id) if object_id else None

    def visible_object_or_404(self, request, object_id, *, cached: bool = False):
        """The object the user sees here, or a 404 as on its change page (an object elsewhere is not found, not
        "forbidden"). `cached`: looked up once per request (a change page asks once per action it offers)."""
        cache = request.__dict__.setdefault("_stockroom_visible_objects", {}) if cached else {}
        key = (self.opts.label_lower, object_id)
        if key not in cache:
            cache[key] = self.visible_object(request, object_id)
        if cache[key] is None:
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")
        return cache[key]

    # History pages: a live object is judged by the scoped rows, a deleted one by its last version.
    def history_view(self, request, object_id, extra_context=None):
        self._history_subject_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._history_subject_or_404(request, object_id)
        if request.method != "POST":
            # A revert answers 403 to whoever may not revert before it looks its version up (on the object).
            self._history_version_or_404(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if self.scope_field is None or (self.access_managers_see_all and access.can_manage_access(request.user)):
            return queryset
        field = self.opts.pk.attname if self.scope_field == "pk" else self.scope_field
        return queryset.filter(self._scope_q(request, field))

    def can_revert(self, request, obj) -> bool:
        """Only an object the user sees here, in a warehouse where they have `revert_scope_permission` now."""
        if not super().can_revert(request, obj):
            return False
        if not self.get_queryset(request).filter(pk=obj.pk).exists():
            return False
        return self._in_warehouse_scope(request, obj, self.revert_scope_permission)

    def _history_subject_or_404(self, request, object_id) -> None:
        """404 unless the user may see the object or, once it is deleted, its last version."""
        try:
            pk = self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            # Not an id of this model at all ("abc" for a numeric key): nothing to show, as for a missing one.
            raise Http404 from None
        if self.get_queryset(request).filter(pk=pk).exists():
            return
        # Out of scope, or deleted from a model that keeps no versions to judge it by.
        if self.model._default_manager.filter(pk=pk).exists() or not audit.is_audited(self.model):
            raise Http404
        history = get_history_model_for_model(self.model).objects
        latest = history.filter(**{self.opts.pk.attname: pk}).order_by("-history_id").first()
        if latest is None or not self._in_warehouse_scope(request, latest, self.scope_permission):
            raise Http404

    def _history_version_or_404(self, request, object_id, version_id) -> None:
        # A model that keeps no history (the ledger) has no versions to open.
        if not (audit.is_audited(self.model) and self._is_visible_version(request, object_id, version_id)):
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")

    def _is_visible_version(self, request, object_id, version_id) -> bool:
        history = getattr(self.model, self.opts.simple_history_manager_attribute)
        versions = self.get_history_queryset(request, history, self.opts.pk.attname, unquote(object_id))
        try:
            return versions.filter(history_id=version_id).exists()
        except (ValueError, ValidationError):
            return False

    def _in_warehouse_scope(self, request, obj, permission: str) -> bool:
        """Whether `obj`, a live object or a historical record, is in a warehouse where the user has `permission`."""
        if self.scope_field is None:
            return True
        if self.scope_field == "pk":
            # Works for the live object and for a historical record, whose own pk is history_id.
            warehouse_id = getattr(obj, self.opts.pk.attname)
            return access.has_warehouse_permission(request.user, permission, warehouse_id)
        fields = (self.scope_field, *self.also_scoped_by)
        warehouse_ids = [getattr(obj, f"{field}_id", None) for field in fields]
        return any(
            warehouse_id is not None and access.has_warehouse_permission(request.user, permission, warehouse_id)
            for warehouse_id in warehouse_ids
        )

    # Path 1: filter choices.
    def get_list_filter(self, request):
        return [self._scoped_list_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_list_filter(self, entry):
        if isinstance(entry, str):
            name, filter_class = entry, None
        elif isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
            name, filter_class = entry
        else:
            return entry
        try:
            field = get_fields_from_path(self.model, name)[-1]
        except (FieldDoesNotExist, AttributeError):
            return entry
        if not field.is_relation:
            return entry
        if filter_class is None:
            return (name, ScopedRelatedFieldListFilter)
        if issubclass(filter_class, RelatedFieldListFilter) and not issubclass(filter_class, ScopedRelatedChoicesMixin):
            return (name, _scoped_filter_class(filter_class))
        return entry

    # Path 4: an autocomplete for a form that needs a stronger permission offers only those warehouses.
    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        source_admin = _autocomplete_source_admin(request, self.admin_site)
        source_permission = getattr(source_admin, "scope_permission", None)
        if self.scope_field is not None and source_permission and source_permission != self.scope_permission:
            queryset = queryset.filter(access.scope_q(request.user, source_permission, self.scope_field))
        return queryset, may_have_duplicates

    # Path 5: foreign-key choices; a forged id fails the field's validation.
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        allowed = self.scoped_related_queryset(request, db_field.related_model)
        if allowed is not None:
            kwargs["queryset"] = allowed
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None:
            make_safe(formfield.widget)
        if allowed is not None and formfield is not None and isinstance(formfield.widget, ForeignKeyRawIdWidget):
            formfield.widget.__class__ = _scoped_raw_id_widget_class(type(formfield.widget))
            formfield.widget.allowed = allowed
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        allowed = self.scoped_related_queryset(request, db_field.related_model)
        if allowed is not None:
            kwargs["queryset"] = allowed
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None:
            make_safe(formfield.widget)
        return formfield

    # Path 6: actions receive only scoped rows; a forged selection writes nothing.
    def response_action(self, request, queryset, *args, **kwargs):
        selected = set(request.POST.getlist(ACTION_CHECKBOX_NAME))
        if selected and not request.POST.get("select_across") == "1":
            try:
                found = queryset.filter(pk__in=selected).count()
            except (ValueError, ValidationError):
                found = 0
            missing = len(selected) - found
            if missing:
                self.message_user(
                    request,
                    f"{missing} of the {len(selected)} selected {self.opts.verbose_name_plural} "
                    "do not exist or are outside your warehouses; the action was not run.",
                    messages.ERROR,
                )
                return None
        return super().response_action(request, queryset, *args, **kwargs)


def _autocomplete_source_admin(request, admin_site):
    """The admin whose form asked an autocomplete view for choices, if this is such a request."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    from django.apps import apps

    try:
        source_model = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
    except (LookupError, ValueError):
        return None
    return admin_site._registry.get(source_model)
