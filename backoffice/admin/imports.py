"""Import (upload → preview → confirm) and streamed, scoped export for changelists; imports into one document.

The rules live in `inventory.imports`; this module is the screens. The stock
import and export views of django-import-export are shadowed by ours at the same
URLs: they read the file twice, ignore scope on import and write no history in
bulk mode (see STACK_NOTES.md).
"""

import copy
import hashlib
import secrets
from functools import partial
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from backoffice.exports import export_response
from backoffice.import_changes import ROWS_SHOWN, change_table
from inventory.exports import EXPORTERS, FORMATS
from inventory.imports import (
    EXPORT_RESOURCE_FOR_MODEL,
    RESOURCES,
    ConfirmedImport,
    ImportFileError,
    ImportRejected,
    preview_import,
    runs_in_background,
)
from inventory.lists import InvalidList
from inventory.models import Submission
from inventory.services.submissions import AlreadySubmitted, once
from inventory.tasks import start_import

SESSION_KEY = "stockroom_imports"
PACKAGE_VIEWS = ("process_import", "import_export", "export_action")
PREVIEW_ERRORS_SHOWN = 200


class ImportForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True, widget=UnfoldAdminFileFieldWidget, help_text="CSV (UTF-8), XLSX or JSON."
    )
    format = forms.ChoiceField(
        choices=[("", "Detect from the file"), ("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON")],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    delimiter = forms.ChoiceField(
        label="CSV separator",
        choices=[("", "Detect"), ("comma", "Comma ( , )"), ("semicolon", "Semicolon ( ; )"), ("tab", "Tab")],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    decimal = forms.ChoiceField(
        label="Decimal separator",
        choices=[
            ("", "Detect (refuse numbers like 1,250 that read two ways)"),
            ("point", "Point: 1,250.5"),
            ("comma", "Comma: 1.250,5"),
        ],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )


def _not_here(request, *args, **kwargs):
    raise Http404("Imports go through the Import button of the list.")


class DataTransferMixin:
    """Adds Import and Export to a changelist, and "export selected" actions, through inventory.imports."""

    import_resource: str | None = None
    change_list_template = "backoffice/change_list_transfer.html"
    actions = ["export_selected_csv", "export_selected_xlsx", "export_selected_json"]

    @property
    def export_resource(self):
        return RESOURCES[EXPORT_RESOURCE_FOR_MODEL[self.model]]

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm(self.export_resource.export_permission)

    def has_import_permission(self, request) -> bool:
        return self.import_resource is not None and request.user.has_perm(
            RESOURCES[self.import_resource].import_permission
        )

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        import_view = self.admin_site.admin_view(self.import_view)
        export_view = self.admin_site.admin_view(self.export_view)
        template_view = self.admin_site.admin_view(self.import_template_view)
        return [
            # import/ and export/ are ours under django-import-export's URL names too, so nothing that
            # reverses the package's names reaches its views (an id-keyed resource that skips our scope).
            path("import/template/", template_view, name=f"{prefix}_import_template"),
            path("import/", import_view, name=f"{prefix}_import_data"),
            path("import/", import_view, name=f"{prefix}_import"),
            path("export/", export_view, name=f"{prefix}_export_data"),
            path("export/", export_view, name=f"{prefix}_export"),
            # The package's other views are not mounted: 404, not a fall through to the change view.
            *(path(f"{name}/", _not_here) for name in PACKAGE_VIEWS),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_data": self.has_import_permission(request),
            "can_export_data": self.has_export_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_export_permission(request):
            for name in self.actions:
                actions.pop(name, None)
        return actions

    # Export ---------------------------------------------------------------------------------------------

    def export_view(self, request):
        """Choose a format, then stream the changelist's current rows (filters and search kept)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        fmt = query.pop("format", [""])[0]
        try:
            params = self._list_params(request, query)
            if fmt in FORMATS:
                return export_response(
                    request, exporter="changelist", params=params, fmt=fmt, subject=self.opts.verbose_name_plural
                )
            total = EXPORTERS["changelist"](request.user, params).total
        except (IncorrectLookupParameters, InvalidList):
            self.message_user(request, "Those filters are not valid; export the list again.", messages.ERROR)
            return HttpResponseRedirect(self._changelist_url())
        context = {
            **self.admin_site.each_context(request),
            "title": f"Export {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "total": total,
            "query": list(query.lists()),
            "formats": [("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON")],
            "background_rows": settings.STOCKROOM_BACKGROUND_ROWS,
            "changelist_url": self._changelist_url(query.urlencode()),
        }
        return TemplateResponse(request, "backoffice/export.html", context)

    def _list_params(self, request, query: QueryDict) -> dict:
        """The changelist's state (filters, search, order) as plain data inventory.lists reads back."""
        screen = copy.copy(request)
        screen.GET = query
        changelist = self.get_changelist_instance(screen)
        ordering = changelist.get_ordering(screen, changelist.root_queryset)
        return {
            "model": self.opts.label_lower,
            "title": self.export_resource.title,
            "filters": changelist.get_filters_params(),
            "search": changelist.query,
            "ordering": [term for term in ordering if isinstance(term, str)],
        }

    def _export_selected(self, request, queryset, fmt: str):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if request.POST.get("select_across") == "1":
            params = self._list_params(request, request.GET.copy())
        else:
            params = {"model": self.opts.label_lower, "title": self.export_resource.title}
            params["pks"] = list(queryset.values_list("pk", flat=True))
        return export_response(
            request, exporter="changelist", params=params, fmt=fmt, subject=self.opts.verbose_name_plural
        )

    @admin.action(description="Export selected rows as CSV")
    def export_selected_csv(self, request, queryset):
        return self._export_selected(request, queryset, "csv")

    @admin.action(description="Export selected rows as Excel (XLSX)")
    def export_selected_xlsx(self, request, queryset):
        return self._export_selected(request, queryset, "xlsx")

    @admin.action(description="Export selected rows as JSON")
    def export_selected_json(self, request, queryset):
        return self._export_selected(request, queryset, "json")

    # Import ---------------------------------------------------------------------------------------------

    def import_view(self, request):
        """Upload → preview (nothing written) → confirm (exactly what was previewed, all or nothing)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return self._import_flow().respond(request)

    def import_template_view(self, request):
        """A file to fill in: the import's columns, an example row; the XLSX adds what each column allows."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return template_response(request, self.import_resource)

    def _import_flow(self) -> "ImportFlow":
        return ImportFlow(
            self,
            self.import_resource,
            back_url=self._changelist_url(),
            template_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template"),
        )

    def _changelist_url(self, query: str = "") -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return f"{url}?{query}" if query else url


def template_response(request, resource_name: str) -> HttpResponse:
    """The import's template file: CSV, or XLSX with what each column allows (`?format=xlsx`)."""
    resource = RESOURCES[resource_name]
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    body = resource.template_xlsx() if fmt == "xlsx" else resource.template_csv()
    content_type = FORMATS[fmt] if fmt == "xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{resource.slug}-template.{fmt}"'
    return response


class ImportFlow:
    """The import screens of one resource: into a changelist's table, or into one document (a PO, a count).

    The document, when there is one, was fetched by the caller through its admin's scoped rows (a 404
    otherwise); its id travels with the preview into the confirm and the job, where the import's
    resource fetches it again in the user's scope (inventory.imports.documents).
    """

    def __init__(self, model_admin, resource_name: str, *, back_url: str, template_url: str, document=None, table=None):
        self.model_admin = model_admin
        self.resource_name = resource_name
        self.back_url = back_url
        self.template_url = template_url
        self.document = document
        # The preview's "what changes" table for a valid plan: by default the records' old → new.
        self.table = table or (lambda plan: change_table(plan, model_admin.model))

    @property
    def document_id(self) -> int | None:
        return None if self.document is None else self.document.pk

    def respond(self, request):
        """Upload → preview (nothing written) → confirm (exactly what was previewed, all or nothing)."""
        if request.method == "POST" and "token" in request.POST:
            return self._confirm(request, request.POST["token"])
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            limit = settings.STOCKROOM_IMPORT_MAX_BYTES
            try:
                if upload.size > limit:
                    raise ImportFileError(
                        f"The file is {upload.size / 1048576:.1f} MB; files up to {limit / 1048576:.1f} MB can be "
                        "imported. Split it into smaller files and import them one after the other."
                    )
                data = upload.read()
                options = {
                    "fmt": form.cleaned_data["format"],
                    "delimiter": form.cleaned_data["delimiter"],
                    "decimal": form.cleaned_data["decimal"],
                }
                plan = preview_import(
                    self.resource_name,
                    data,
                    user=request.user,
                    filename=upload.name,
                    document=self.document_id,
                    **options,
                )
            except ImportFileError as error:
                form.add_error("file", error.message)
            else:
                token = self._store_preview(request, data, upload.name, plan, options) if plan.is_valid else ""
                return self._render_preview(request, plan, upload.name, token)
        return self._render_upload(request, form)

    def _store_preview(self, request, data: bytes, filename: str, plan, options: dict) -> str:
        token = secrets.token_urlsafe(16)
        suffix = PurePath(filename).suffix.lower()[:8]
        stored = default_storage.save(f"imports/previews/{token}{suffix}", ContentFile(data))
        confirmed = ConfirmedImport(
            resource=self.resource_name,
            filename=filename,
            sha256=hashlib.sha256(data).hexdigest(),
            digest=plan.digest,
            rows=plan.total,
            submission_key=f"import-{token}",
            path=stored,
            document=self.document_id,
            **options,
        )
        previews = request.session.get(SESSION_KEY, {})
        previews[token] = confirmed.as_dict()
        request.session[SESSION_KEY] = previews
        return token

    def _confirm(self, request, token: str):
        """Apply a previewed file once: its submission key is taken in the import's own transaction."""
        key = f"import-{token}"
        stored = request.session.get(SESSION_KEY, {}).get(token)
        if stored is None or (stored.get("resource"), stored.get("document")) != (self.resource_name, self.document_id):
            return self._answer_repeat(request, key)
        confirmed = ConfirmedImport.from_dict(stored)
        if runs_in_background(self.resource_name, confirmed.rows):
            return self._queue(request, token, confirmed)
        try:
            with default_storage.open(confirmed.path, "rb") as upload:
                data = upload.read()
        except FileNotFoundError:
            # A racing confirm of the same preview applied it and deleted the file.
            self._forget_preview(request, token, delete_file=False)
            return self._answer_repeat(request, key)
        try:
            plan = confirmed.apply(data, user=request.user)
        except AlreadySubmitted as repeat:
            self._forget_preview(request, token)
            return self._repeat(request, repeat.result)
        except (ImportFileError, ImportRejected) as error:
            self._forget_preview(request, token)
            self._message(request, error.message, messages.ERROR)
            plan = getattr(error, "plan", None)
            if plan is None:
                return self._render_upload(request, ImportForm())
            new_token = self._store_preview(request, data, confirmed.filename, plan, confirmed.options)
            return self._render_preview(request, plan, confirmed.filename, new_token if plan.is_valid else "")
        self._forget_preview(request, token)
        counts = plan.counts
        self._message(
            request,
            f"Imported {confirmed.filename}{self._into()}: {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.back_url)

    def _into(self) -> str:
        return "" if self.document is None else f" into {self.document}"

    def _queue(self, request, token: str, confirmed: ConfirmedImport):
        """A large confirmed import becomes a job, once however often the confirm arrives."""
        try:
            with once(key=f"{confirmed.submission_key}-queue", user=request.user, purpose="import job") as taken:
                job = start_import(user=request.user, confirmed=confirmed, into=self._into())
                taken.result = {
                    "message": f"{confirmed.rows:,} rows is a large import: it is running in the background "
                    f"as “{job.title}”.",
                    "url": reverse("admin:inventory_datajob_change", args=[job.pk]),
                }
        except AlreadySubmitted as repeat:
            return self._repeat(request, repeat.result)
        self._forget_preview(request, token, delete_file=False)
        self._message(request, taken.result["message"], messages.INFO)
        return HttpResponseRedirect(taken.result["url"])

    def _answer_repeat(self, request, key: str):
        """A confirm whose preview is gone: say what its first confirm did, or that it expired."""
        first = (
            Submission.objects.filter(key__in=[key, f"{key}-queue"], user=request.user)
            .values_list("result", flat=True)
            .first()
        )
        if first is not None:
            return self._repeat(request, first)
        self._message(request, "That preview has expired; upload the file again.", messages.ERROR)
        return HttpResponseRedirect(request.path)

    def _repeat(self, request, result: dict):
        self._message(
            request, result.get("message") or "This import was already confirmed; nothing was imported again."
        )
        return HttpResponseRedirect(result.get("url") or self.back_url)

    def _message(self, request, message: str, level=messages.INFO) -> None:
        self.model_admin.message_user(request, message, level)

    def _forget_preview(self, request, token: str, *, delete_file: bool = True) -> None:
        previews = request.session.get(SESSION_KEY, {})
        preview = previews.pop(token, None)
        request.session[SESSION_KEY] = previews
        if preview and delete_file:
            default_storage.delete(preview["path"])

    def _refusal(self, request) -> str:
        """Why the document takes no import now (its state), said on the page before any file is chosen."""
        if self.document is None:
            return ""
        try:
            RESOURCES[self.resource_name].into(self.document_id, user=request.user)
        except ImportFileError as error:
            return error.message
        return ""

    def _context(self, request, **extra):
        resource = RESOURCES[self.resource_name]
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "title": f"Import {resource.title}{self._into()}",
            "resource": resource,
            "document": self.document,
            "matching": resource.matching_words(self.document) if self.document is not None else "",
            "refusal": self._refusal(request) if "plan" not in extra else "",
            "columns": resource.import_columns,
            "guide": resource.guide(),
            "template_url": self.template_url,
            "back_url": self.back_url,
            **extra,
        }

    def _render_upload(self, request, form):
        return TemplateResponse(request, "backoffice/import.html", self._context(request, form=form))

    def _render_preview(self, request, plan, filename: str, token: str):
        errors = plan.errors[:PREVIEW_ERRORS_SHOWN]
        table = {
            "headers": ["Row", "Column", "Problem"],
            "rows": [[error.row, error.column or "—", error.message] for error in errors],
        }
        context = self._context(
            request,
            form=ImportForm(),
            plan=plan,
            counts=plan.counts,
            filename=filename,
            token=token,
            error_table=table,
            change_table=self.table(plan) if plan.is_valid else None,
            change_rows_shown=ROWS_SHOWN,
            more_errors=max(0, len(plan.errors) - len(errors)),
            background=runs_in_background(self.resource_name, plan.total),
        )
        return TemplateResponse(request, "backoffice/import.html", context)


class DocumentImportMixin:
    """Imports into one document from its change page (a PO's lines, a count's entries), with a template to start from.

    The admin offers each import as a detail action that checks its permission, fetches the document
    through the admin's scoped rows (404 outside the user's warehouses) and calls `document_import`;
    `document_imports` (the action's url_path → the resource) mounts each template download beside it.
    """

    document_imports: dict[str, str] = {}

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        templates = [
            path(
                f"<path:object_id>/{url_path}/template/",
                self.admin_site.admin_view(partial(self.document_template_view, resource_name=resource_name)),
                name=f"{prefix}_{resource_name}_template",
            )
            for url_path, resource_name in self.document_imports.items()
        ]
        return [*templates, *super().get_urls()]

    def document_import(self, request, document, resource_name: str, *, table):
        """The upload → preview → confirm screens of `resource_name` into `document`; back to its page after."""
        prefix = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        flow = ImportFlow(
            self,
            resource_name,
            back_url=reverse(f"{prefix}_change", args=[document.pk]),
            template_url=reverse(f"{prefix}_{resource_name}_template", args=[document.pk]),
            document=document,
            table=table,
        )
        return flow.respond(request)

    def document_template_view(self, request, object_id, *, resource_name: str):
        """The template file of an import into a document the user sees (it holds nothing of the document)."""
        self.visible_object_or_404(request, object_id)
        if not request.user.has_perm(RESOURCES[resource_name].import_permission):
            raise PermissionDenied
        return template_response(request, resource_name)
