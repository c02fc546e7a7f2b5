"""The security log and sign-in lockouts, for Administrators: read, filter, export, clear."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from unfold.decorators import action

from backoffice.admin.bases import ReadOnlyLogAdmin, StockroomModelAdmin
from inventory.exports import Table, iter_csv
from inventory.models import SecurityEvent
from inventory.services import security
from inventory.services.security import Kind, Outcome

EXPORT_HEADERS = ["time", "event", "outcome", "user", "client_address", "path", "request_id", "detail"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "kind", "outcome", "username", "client_address", "path", "detail"]
    list_filter = ["kind", "outcome"]
    search_fields = ["username", "client_address", "request_id", "path"]
    date_hierarchy = "created_at"
    sortable_by = ["created_at"]
    change_list_template = "backoffice/security_events.html"

    def get_urls(self):
        export = path("export/", self.admin_site.admin_view(self.export_view), name="inventory_securityevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The rows the list shows with the same filters and search, as CSV (formulas escaped, streamed)."""
        if not request.user.has_perm("inventory.export_securityevent"):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # The list's own answer to a filter it does not know: back to the list, flagged, nothing exported.
            return HttpResponseRedirect(f"{reverse('admin:inventory_securityevent_changelist')}?e=1")
        events = changelist.get_queryset(request).order_by("-created_at", "-id")
        rows = (
            (e.created_at.isoformat(), e.kind, e.outcome, e.username, e.client_address, e.path, e.request_id, e.detail)
            for e in events.iterator(chunk_size=2000)
        )
        table = Table(headers=EXPORT_HEADERS, rows=rows, title="security-events")
        response = StreamingHttpResponse((chunk.encode() for chunk in iter_csv(table)), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="security-events-{timezone.now():%Y%m%d-%H%M%S}.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": request.user.has_perm("inventory.export_securityevent"),
            "export_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context)


@admin.register(AccessAttempt)
class LockoutAdmin(StockroomModelAdmin):
    """django-axes' failure counters: a row at the limit is a lockout; clearing it lets the user try again now."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_until"]
    search_fields = ["username", "ip_address"]
    actions = ["clear_lockouts"]
    list_display_links = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Locked until")
    def locked_until(self, attempt: AccessAttempt) -> str:
        if attempt.failures_since_start < settings.AXES_FAILURE_LIMIT:
            return "Not locked"
        until = attempt.attempt_time + settings.AXES_COOLOFF_TIME
        if until <= timezone.now():
            return "Expired"
        return f"{timezone.localtime(until):%Y-%m-%d %H:%M %Z}"

    @action(description="Clear the selected lockouts", permissions=["delete"])
    def clear_lockouts(self, request, queryset):
        attempts = list(queryset)
        for attempt in attempts:
            security.record(
                Kind.LOCKOUT_CLEARED,
                Outcome.SUCCESS,
                request=request,
                detail=f"Cleared {attempt.username or '-'} from {attempt.ip_address or '-'}",
            )
        queryset.delete()
        self.message_user(
            request, f"Cleared {len(attempts)} lockouts; those sign-ins may be tried again now.", messages.SUCCESS
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
