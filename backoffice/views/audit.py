"""The global audit log: every recorded change, filtered, paged newest first, exportable to CSV."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
)

from inventory import audit
from inventory.exports import Table, iter_csv
from inventory.models import AuditEntry, StockMovement

PAGE_SIZE = 50
# Only the unambiguous form: 03/12/2026 is 3 December to some and 12 March to others, so it is refused.
ISO_DATE = "%Y-%m-%d"
DATE_FORMAT_HELP = "Enter the date as YYYY-MM-DD, for example 2026-12-03."
# The ledger's movements are their own permanent records: the log reads them instead of copying them.
MOVEMENTS = "inventory.stockmovement"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A spreadsheet treats a cell starting with one of these as a formula.


class AuditLogFilterForm(forms.Form):
    """Filters of the audit log; every field is optional."""

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Anyone",
        widget=UnfoldAdminSelectWidget,
        help_text="Who acted.",
        # A user the viewer may not see reads the same as one that does not exist.
        error_messages={"invalid_choice": "There is no user “%(value)s”."},
    )
    model = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    object_id = forms.IntegerField(
        required=False,
        min_value=1,
        label="Object id",
        widget=UnfoldAdminIntegerFieldWidget,
        help_text="With a model, that one record; alone, every model's record with this id.",
    )
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditEntry.Action.choices], widget=UnfoldAdminSelectWidget
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=UnfoldAdminSingleDateWidget,
        input_formats=[ISO_DATE],
        error_messages={"invalid": DATE_FORMAT_HELP},
        help_text="YYYY-MM-DD, or pick a day.",
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=UnfoldAdminSingleDateWidget,
        input_formats=[ISO_DATE],
        error_messages={"invalid": DATE_FORMAT_HELP},
        help_text="Inclusive.",
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = audit.visible_actors(viewer)
        models = sorted(audit.logged_models(), key=lambda model: str(model._meta.verbose_name_plural))
        choices = [(model._meta.label_lower, capfirst(model._meta.verbose_name_plural)) for model in models]
        if viewer.is_superuser or viewer.has_perm("inventory.view_stockmovement"):
            choices = sorted([*choices, (MOVEMENTS, "Stock movements (the ledger)")], key=lambda choice: choice[1])
        self.fields["model"].choices = [("", "Any model"), *choices]

    @property
    def wants_movements(self) -> bool:
        return self.is_bound and self.is_valid() and self.cleaned_data.get("model") == MOVEMENTS

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def apply_to_movements(self, movements: QuerySet[StockMovement]) -> QuerySet[StockMovement]:
        """Narrow the ledger to the cleaned filters: a movement is only ever created."""
        data = self.cleaned_data
        if data.get("action") not in ("", None, AuditEntry.Action.CREATED):
            return movements.none()
        if data.get("user"):
            movements = movements.filter(created_by=data["user"])
        if data.get("object_id"):
            movements = movements.filter(pk=data["object_id"])
        return self._in_days(movements, "created_at")

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Narrow `entries` to the cleaned filters."""
        data = self.cleaned_data
        if data.get("user"):
            entries = entries.filter(user=data["user"])
        if data.get("model"):
            app_label, model_name = data["model"].split(".")
            entries = entries.filter(content_type=ContentType.objects.get_by_natural_key(app_label, model_name))
        if data.get("object_id"):
            entries = entries.filter(object_id=data["object_id"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        return self._in_days(entries, "timestamp")

    def _in_days(self, rows: QuerySet, field: str) -> QuerySet:
        """Rows whose `field` falls from the start of From to the end of To (both optional)."""
        data = self.cleaned_data
        if data.get("date_from"):
            rows = rows.filter(**{f"{field}__gte": _start_of(data["date_from"])})
        if data.get("date_to"):
            rows = rows.filter(**{f"{field}__lt": _start_of(data["date_to"] + timedelta(days=1))})
        return rows


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _cursor(entry: AuditEntry) -> str:
    delta = entry.timestamp - EPOCH
    microseconds = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{microseconds}-{entry.pk}"


def _older_than(rows: QuerySet, cursor: str) -> QuerySet:
    """Keyset pagination: rows after `cursor` in (time, id) descending order; no OFFSET, no count."""
    try:
        microseconds, pk = (int(part) for part in cursor.split("-", 1))
    except ValueError:
        return rows
    moment = EPOCH + timedelta(microseconds=microseconds)
    field = _time_field(rows)
    return rows.filter(**{f"{field}__lte": moment}).exclude(**{field: moment, "id__gte": pk})


def _time_field(rows: QuerySet) -> str:
    return "created_at" if rows.model is StockMovement else "timestamp"


def _filtered(request) -> tuple[AuditLogFilterForm, QuerySet]:
    """The filtered log, newest first: its entries, or the ledger's movements when those are asked for."""
    if not (request.user.is_superuser or request.user.has_perm("inventory.view_auditentry")):
        raise PermissionDenied
    form = AuditLogFilterForm(request.GET or None, viewer=request.user)
    if form.wants_movements:
        movements = form.apply_to_movements(audit.visible_movements(request.user))
        return form, movements.order_by("-created_at", "-id")
    entries = audit.visible_entries(request.user)
    if form.is_bound:
        entries = form.apply(entries) if form.is_valid() else entries.none()
    return form, entries.order_by("-timestamp", "-id")


def _entries(rows: QuerySet, *, chunk_size: int | None = None):
    """Audit log entries to show: stored ones, or movements read as entries."""
    if rows.model is StockMovement:
        rows = rows.select_related("created_by", "warehouse", "product")
        found = rows.iterator(chunk_size=chunk_size) if chunk_size else rows
        return (audit.movement_entry(movement) for movement in found)
    rows = rows.select_related("user", "warehouse")
    return rows.iterator(chunk_size=chunk_size) if chunk_size else rows


class _Links:
    """Where each row links: the object's history page (or its change page for access events)."""

    def __init__(self, site_name: str):
        self.site_name = site_name

    def history(self, entry: AuditEntry) -> str | None:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        if model is None:
            return None
        opts = model._meta
        view = "history" if audit.is_audited(opts.model) else "change"
        try:
            return reverse(f"{self.site_name}:{opts.app_label}_{opts.model_name}_{view}", args=[entry.object_id])
        except NoReverseMatch:
            return None


def _model_name(entry: AuditEntry) -> str:
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    return capfirst(model._meta.verbose_name) if model else "—"


def audit_log_view(request, admin_site):
    """The audit log page: filters, one page of entries, a link to the next."""
    form, entries = _filtered(request)
    before = request.GET.get("before", "")
    page = list(_entries(_older_than(entries, before)[: PAGE_SIZE + 1]))
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    links = _Links(admin_site.name)
    rows = [{"entry": entry, "model": _model_name(entry), "history_url": links.history(entry)} for entry in page]
    filters = {key: value for key, value in request.GET.items() if key != "before"}
    older_url = f"?{urlencode({**filters, 'before': _cursor(page[-1])})}" if has_more else None
    context = {
        **admin_site.each_context(request),
        "title": "Audit log",
        "form": form,
        "rows": rows,
        "older_url": older_url,
        "newest_url": f"?{urlencode(filters)}" if before else None,
        "can_export": request.user.is_superuser or request.user.has_perm("inventory.export_auditentry"),
        "export_url": f"{reverse(f'{admin_site.name}:audit_log_export')}?{urlencode(filters)}",
    }
    return TemplateResponse(request, "backoffice/audit_log.html", context)


AUDIT_LOG_HEADERS = ["When", "User", "Action", "Model", "Object id", "Object", "Warehouse", "Reason", "Changes"]


def _log_rows(entries: QuerySet):
    for entry in _entries(entries, chunk_size=2000):
        changes = "; ".join(f"{change['field']}: {change['old']} → {change['new']}" for change in entry.changes)
        yield (
            entry.timestamp.isoformat(),
            entry.user.get_username() if entry.user else "",
            entry.get_action_display(),
            _model_name(entry),
            str(entry.object_id),
            entry.object_repr,
            entry.warehouse.code if entry.warehouse else "",
            entry.reason,
            changes,
        )


def audit_log_export(request, admin_site):
    """The filtered audit log as CSV, streamed in constant memory."""
    if not (request.user.is_superuser or request.user.has_perm("inventory.export_auditentry")):
        raise PermissionDenied
    _, entries = _filtered(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    # The shared CSV writer escapes formula cells (= + - @ tab CR) the same way as every other export.
    chunks = iter_csv(Table(AUDIT_LOG_HEADERS, _log_rows(entries)))
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
