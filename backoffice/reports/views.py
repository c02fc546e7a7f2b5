"""One view serves every report: GET filters (the permalink), sortable headers, next/previous pages, export."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from unfold.widgets import INPUT_CLASSES, SELECT_CLASSES

from backoffice.exports import export_response
from backoffice.forms import DraftOrdersForm
from inventory import access
from inventory.exports import FORMATS
from inventory.models import PurchaseOrder
from inventory.replica import replica_reads
from inventory.reports import REPORTS, Report
from inventory.reports.stock import suggestions_for
from inventory.services import DomainError, purchasing
from inventory.services.submissions import AlreadySubmitted, new_submission_key, once

# Parameters that are not filters: they are dropped from export specs and rebuilt for each link.
CONTROL_PARAMS = ("page", "export")

REPORT_URLS = {
    "stock_on_hand": "stock-on-hand",
    "reorder_suggestions": "reorder-suggestions",
    "stock_valuation": "valuation",
    "movement_ledger": "movements",
}


def report_urls(admin_site) -> list:
    """Admin URL patterns for every report (names `admin:report_<name>`)."""
    return [
        path(
            f"reports/{slug}/",
            admin_site.admin_view(_view_for(admin_site, REPORTS[name])),
            name=f"report_{name}",
        )
        for name, slug in REPORT_URLS.items()
    ] + [
        path(
            "reports/reorder-suggestions/draft-orders/",
            admin_site.admin_view(require_POST(draft_orders_view)),
            name="report_reorder_draft_orders",
        )
    ]


def _view_for(admin_site, report_class: type[Report]):
    def view(request):
        return report_view(request, admin_site=admin_site, report_class=report_class)

    view.__name__ = f"{report_class.name}_view"
    return view


def report_view(request, *, admin_site, report_class: type[Report]):
    """Render one page of a report, or export its whole filtered result."""
    if not report_class.may_view(request.user):
        raise PermissionDenied
    with replica_reads():  # reports only read: from the replica when there is one
        response = _report_response(request, admin_site, report_class)
        if isinstance(response, TemplateResponse):
            response.render()  # while the page's reads still go to the replica
        return response


def _report_response(request, admin_site, report_class: type[Report]):
    params = {key: value for key, value in request.GET.items() if key not in CONTROL_PARAMS}
    report = report_class(request.user, params)
    can_export = request.user.has_perm(report.export_permission)
    fmt = request.GET.get("export")
    if fmt:
        if not can_export:
            raise PermissionDenied
        if report.is_valid and report.has_scope:
            return export_response(
                request, exporter=report.exporter_name, params=report.params, fmt=fmt, subject=report.title.lower()
            )
    page = report.page(_page_number(request))
    numeric = [_kind(column) for column in report.columns]
    totals = report.totals() if page.rows else None
    context = {
        **admin_site.each_context(request),
        "title": report.title,
        "report": report,
        "form": _styled(report.form),
        "page": page,
        "headers": _headers(report),
        "rows": [
            {"key": key, "cells": list(zip(row, numeric, strict=True))}
            for key, row in zip(page.keys, page.rows, strict=True)
        ],
        "selection": _selection(request, report),
        "totals": list(zip(totals, numeric, strict=True)) if totals else None,
        "summaries": report.summaries() if page.rows else [],
        "previous_url": _link(report.params, page=page.number - 1) if page.has_previous else "",
        "next_url": _link(report.params, page=page.number + 1) if page.has_next else "",
        "export_links": [(fmt.upper(), _link(report.params, export=fmt)) for fmt in FORMATS] if can_export else [],
        "permalink": _link(report.params),
    }
    return TemplateResponse(request, "backoffice/reports/report.html", context)


def _selection(request, report: Report) -> dict | None:
    """Reorder suggestions can be ticked and turned into draft purchase orders, by those who may draft them."""
    if report.name != "reorder_suggestions" or not _may_draft_orders(request.user):
        return None
    return {
        "url": reverse("admin:report_reorder_draft_orders"),
        "key": new_submission_key(),
        "button": "Create draft purchase orders",
    }


def _may_draft_orders(user) -> bool:
    return user.has_perm("inventory.add_purchaseorder") and access.has_any_warehouse(user, access.OPERATE_STOCK)


def draft_orders_view(request):
    """Turn the ticked suggestions into one draft PO per supplier and warehouse, at the suggested quantities."""
    if not _may_draft_orders(request.user):
        raise PermissionDenied
    back = reverse("admin:report_reorder_suggestions")
    form = DraftOrdersForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, errors[0])
        return HttpResponseRedirect(back)
    try:
        with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="draft orders") as taken:
            chosen = suggestions_for(request.user, [level.pk for level in form.cleaned_data["level"]])
            wanted = [(level.product, level.warehouse, suggested) for level, suggested in chosen]
            orders = purchasing.draft_orders(user=request.user, wanted=wanted)
            taken.result = {"message": _drafted_message(orders), "url": _drafts_url()}
    except AlreadySubmitted as repeat:
        messages.success(request, repeat.message)
        return HttpResponseRedirect(repeat.result.get("url") or _drafts_url())
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    messages.success(request, taken.result["message"])
    return HttpResponseRedirect(taken.result["url"])


def _drafted_message(orders: list[PurchaseOrder]) -> str:
    described = []
    for order in orders:
        count = order.lines.count()
        lines = f"{count} line{'s' if count != 1 else ''}"
        described.append(f"{order.number} ({order.supplier.code} into {order.warehouse.code}, {lines})")
    plural = "s" if len(orders) != 1 else ""
    return f"Drafted {len(orders)} purchase order{plural}: {', '.join(described)}. Check each one, then place it."


def _drafts_url() -> str:
    return reverse("admin:inventory_purchaseorder_changelist") + "?" + urlencode({"state__exact": "draft"})


def _kind(column) -> str:
    """How a column's cells read on screen (backoffice.templatetags.stockroom.readable)."""
    return "money" if column.money else "number" if column.numeric else ""


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _link(params: dict, **extra) -> str:
    return "?" + urlencode({**params, **extra})


def _headers(report: Report) -> list[dict]:
    """Column headers; a sortable one links to sorting by it (again: the other direction)."""
    headers = []
    for column in report.columns:
        header = {"label": column.label, "numeric": column.numeric, "url": "", "sorted": ""}
        if column.is_sortable:
            is_current = column.key == report.sort_key
            descending = not report.descending if is_current else False
            header["url"] = _link({**report.params, "sort": f"{'-' if descending else ''}{column.key}"})
            header["sorted"] = ("desc" if report.descending else "asc") if is_current else ""
        headers.append(header)
    return headers


def _styled(form: forms.Form) -> forms.Form:
    """Give the plain filter widgets unfold's look (the form itself lives in inventory)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            continue
        classes = SELECT_CLASSES if isinstance(widget, forms.Select) else INPUT_CLASSES
        widget.attrs["class"] = " ".join(classes)
        if isinstance(field, forms.DateField):
            widget.input_type = "date"
            widget.format = "%Y-%m-%d"
    return form
