"""Stock counts: open a session, then scan into it, review its differences and post them.

Scoped by the session's warehouse like stock. A session is opened here (through
counts.open_count) and never edited as a form afterwards: its page offers the next
steps instead (Scan, Review, Counting is done, Post, Cancel).
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from unfold.decorators import action

from backoffice.admin.bases import StockroomModelAdmin
from backoffice.admin.imports import DocumentImportMixin
from backoffice.import_changes import session_counts_table
from backoffice.views import counts as views
from inventory import access
from inventory.models import StockCount
from inventory.services import counts

# What the person opening a session chooses; fixed once it is open.
CHOSEN = ["warehouse", "category", "bin_prefix", "is_blind", "uncounted_means_zero", "freezes_postings"]


class OpenCountForm(forms.ModelForm):
    """What a new session covers; refused before anything is written when nothing is stocked there."""

    class Meta:
        model = StockCount
        fields = CHOSEN

    def clean(self):
        data = super().clean()
        warehouse = data.get("warehouse")
        if warehouse is not None:
            levels = counts.covered_levels(warehouse, data.get("category"), (data.get("bin_prefix") or "").strip())
            if not levels.exists():
                raise forms.ValidationError(f"Nothing is stocked in {warehouse.code} for this scope; nothing to count.")
        return data


@admin.register(StockCount)
class StockCountAdmin(DocumentImportMixin, StockroomModelAdmin):
    scope_field = "warehouse"
    form = OpenCountForm
    list_display = ["number", "warehouse", "scope", "state", "is_blind", "created_at"]
    list_filter = ["state", "warehouse"]
    search_fields = ["number"]
    search_help_text = "A CNT number."
    sortable_by = ["number", "created_at"]
    list_select_related = ["warehouse", "category"]
    autocomplete_fields = ["category"]
    readonly_fields = [
        "number",
        "state",
        "created_by_name",
        "created_at",
        "snapshot_at",
        "approved_by_name",
        "posted_at",
    ]
    actions_detail = [
        "scan_count",
        "import_counts",
        "review_count",
        "print_count_sheet",
        "start_review",
        "post_count",
        "cancel_count",
    ]
    document_imports = {"import-counts": "count_entries"}

    def get_fields(self, request, obj=None):
        return CHOSEN if obj is None else ["number", *CHOSEN, *self.readonly_fields[1:]]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, *CHOSEN]

    @admin.display(description="covers")
    def scope(self, count) -> str:
        return count.scope_words()

    @admin.display(description="approved by")
    def approved_by_name(self, count) -> str:
        return count.approved_by.get_username() if count.approved_by_id else "—"

    def has_change_permission(self, request, obj=None):
        # A session is opened once and then moves through its steps; it is never edited as a form.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A count is cancelled, never deleted: its number and entries stay accounted for.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "warehouse" and formfield is not None:
            formfield.queryset = access.warehouses_for(request.user, access.MANAGE_STOCK).filter(is_active=True)
        return formfield

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        opened = counts.open_count(
            user=request.user,
            warehouse=data["warehouse"],
            category=data.get("category"),
            bin_prefix=data.get("bin_prefix", ""),
            is_blind=data.get("is_blind", False),
            uncounted_means_zero=data.get("uncounted_means_zero", False),
            freezes_postings=data.get("freezes_postings", False),
        )
        # The service wrote the session; Django's add view redirects and logs by the object it was given.
        obj.pk, obj.number, obj.state = opened.pk, opened.number, opened.state

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the new session's page, where its steps (Scan, Review) are offered.
        self.message_user(request, f"Opened {obj.number}: {obj.lines.count()} lines to count.", messages.SUCCESS)
        return HttpResponseRedirect(views.change_url(obj))

    def has_scan_permission(self, request, object_id=None):
        return views.may(
            request, self.visible_object_or_404(request, object_id, cached=True), "add_countentry", access.OPERATE_STOCK
        )

    def has_review_permission(self, request, object_id=None):
        return (
            self.has_view_permission(request)
            and self.visible_object_or_404(request, object_id, cached=True) is not None
        )

    def has_step_permission(self, request, object_id=None):
        return views.may(
            request,
            self.visible_object_or_404(request, object_id, cached=True),
            "change_stockcount",
            access.MANAGE_STOCK,
        )

    def has_approve_permission(self, request, object_id=None):
        return views.may(
            request, self.visible_object_or_404(request, object_id, cached=True), "approve_count", access.MANAGE_STOCK
        )

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        count = self.visible_object_or_404(request, object_id, cached=True)
        offered = views.offered_steps(count) | ({"import_counts"} if count.is_counting else set())
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        return [item for item in actions if item.action_name.removeprefix(prefix) in offered]

    @action(description="Scan", url_path="scan", permissions=["scan"], icon="barcode_scanner")
    def scan_count(self, request, object_id):
        return views.scan(self, request, object_id)

    @action(description="Import counts", url_path="import-counts", permissions=["scan"], icon="upload_file")
    def import_counts(self, request, object_id):
        # Counting from a file needs what counting on the scan page needs (has_scan_permission).
        count = self.visible_object_or_404(request, object_id, cached=True)
        show_expected = counts.shows_expected(request.user, count)
        return self.document_import(
            request,
            count,
            "count_entries",
            table=lambda plan: session_counts_table(plan, show_expected=show_expected),
        )

    @action(description="Review", url_path="review", permissions=["review"], icon="fact_check")
    def review_count(self, request, object_id):
        return views.review(self, request, object_id)

    @action(description="Count sheet (PDF)", url_path="print/sheet", permissions=["review"], icon="print")
    def print_count_sheet(self, request, object_id):
        return views.count_sheet(self, request, object_id)

    @action(description="Counting is done", url_path="start-review", permissions=["step"], icon="done_all")
    def start_review(self, request, object_id):
        return views.take_step(self, request, object_id, "start_review")

    @action(description="Approve and post", url_path="post", permissions=["approve"], icon="task_alt")
    def post_count(self, request, object_id):
        return views.take_step(self, request, object_id, "post_count")

    @action(description="Cancel count", url_path="cancel", permissions=["step"], icon="cancel")
    def cancel_count(self, request, object_id):
        return views.take_step(self, request, object_id, "cancel_count")
