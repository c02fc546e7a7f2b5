"""Per-object history pages under today's permissions, with safe reverts and readable diffs (scope: admin/scope.py)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_history_model_for_model

from inventory import audit


class ReadableChangeHelper(HistoricalRecordContextHelper):
    """Diff values as people read them: choice labels and Yes/No instead of raw codes.

    Related objects are already shown by name (SimpleHistoryAdmin diffs with
    `foreign_keys_are_objs=True`), and the parent class escapes every value.
    """

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None:
            return ""
        if field.choices and not field.is_relation:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return super().prepare_delta_change_value(change, value)


class AuditedHistoryMixin:
    """Closes simple-history's gaps (see shared/STACK_NOTES.md).

    Models without history (the ledger) get no history pages. A revert is
    refused unless `can_revert`; it runs through the same form as an edit,
    only onto the fields that form edits, and is recorded with the user and a
    reason. Which objects, versions and reverts are in the user's warehouses
    is for WarehouseScopedMixin, which sits in front of this mixin.
    """

    object_history_list_template = "backoffice/history/object_history_list.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not audit.is_audited(self.model):
            extra_context = {**(extra_context or {}), "show_history": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._history_or_404()
        # simple-history links each author to their user page; only link it for those who may open it
        # (a clerk following it met a 403, now also a security event). An empty view name renders no link.
        if not request.user.has_perm("auth.change_user"):
            extra_context = {**(extra_context or {}), "admin_user_view": ""}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._history_or_404()
        if request.method == "POST":
            return self._revert(request, object_id, version_id)
        # simple-history passes the historical model's opts, so unfold's "History" tab reversed a URL
        # that does not exist and rendered a link-less button whose script failed (actionDropdownOpen).
        extra_context = {**(extra_context or {}), "opts": self.model._meta}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChangeHelper(self.model, historical_record)

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not self.can_revert(request, obj)

    def can_revert(self, request, obj) -> bool:
        """Whether this user may put an older version of `obj` back, now."""
        return obj is not None and obj.pk is not None and self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        reason = getattr(request, "_stockroom_change_reason", "")
        if reason:
            obj._change_reason = reason
        # Saving an inline alone still saves the unchanged parent; that must not leave an empty history record.
        if change and not form.has_changed() and audit.is_audited(self.model):
            obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        finally:
            obj.__dict__.pop("skip_history_when_saving", None)

    def _history_or_404(self) -> None:
        if not audit.is_audited(self.model):
            raise Http404("This record has no change history.")

    def _revert(self, request, object_id, version_id):
        # None once the object is deleted: there is nothing to put a version back onto.
        obj = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if not self.can_revert(request, obj):
            raise PermissionDenied
        history_model = get_history_model_for_model(self.model)
        version = get_object_or_404(history_model, **{self.model._meta.pk.attname: obj.pk, "history_id": version_id})
        when = timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M")
        # The form edits the live object: fields the edit form does not show (stock, costs) are never rewound.
        form = self.get_form(request, obj, change=True)(request.POST, request.FILES, instance=obj)
        if not form.is_valid():
            problems = "; ".join(
                f"{capfirst(form.fields[name].label) if name in form.fields else 'Form'}: {' '.join(errors)}"
                for name, errors in form.errors.items()
            )
            self.message_user(request, f"Nothing was reverted. {problems}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        request._stockroom_change_reason = f"revert to version of {when}"
        new_object = self.save_form(request, form, change=True)
        self.save_model(request, new_object, form, change=True)
        form.save_m2m()
        self.log_change(request, new_object, self.construct_change_message(request, form, []))
        self.message_user(request, f"“{new_object}” was reverted to the version of {when}.", messages.SUCCESS)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        )


@admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["change"])
def deactivate_selected(modeladmin, request, queryset):
    """Mark the selected rows inactive, with one history record each, by this user, for "bulk deactivate"."""
    objs = list(queryset.filter(is_active=True))
    for obj in objs:
        obj.is_active = False
    changed = audit.bulk_update_with_history(
        objs, queryset.model, ["is_active"], user=request.user, reason="bulk deactivate"
    )
    opts = queryset.model._meta
    noun = opts.verbose_name if len(changed) == 1 else opts.verbose_name_plural
    modeladmin.message_user(request, f"Deactivated {len(changed)} {noun}.", messages.SUCCESS)
