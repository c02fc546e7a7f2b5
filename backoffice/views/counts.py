"""A stock count's screens: the scan page, the review (with the grid and its download), the count sheet, and its
steps (review, post, cancel).

Each one writes only through inventory.services.counts and takes the session from the
count admin's scoped rows: a session in a warehouse the user cannot see is a 404 here as
on its change page. StockCountAdmin wires them in as its detail actions.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.timezone import localtime
from unfold.widgets import UnfoldAdminTextInputWidget

from backoffice.exports import export_response
from backoffice.forms import DocumentStepForm, SubmittedOnce
from backoffice.views import printouts
from inventory import access, services
from inventory.models import CountEntry, StockCount, StockCountLine, StockCountState
from inventory.models.counts import COUNTING_STATES
from inventory.services import counts
from inventory.services.submissions import AlreadySubmitted, once

RECENT_SCANS = 10
REVIEW_PAGE_SIZE = 100
# Lines per count sheet PDF: WeasyPrint lays out a line with its barcode in ~14 ms, so 250 lines take ~3.5 s
# and a 10,000-line session (over two minutes in one PDF) prints in parts, offered on a page of their own.
SHEET_LINES = 250


class ScanForm(SubmittedOnce):
    """One scan: a barcode or SKU, and how many (one unless typed), under its own submission key.

    The page's script gives every scan a new key and sends a retry with the same one.
    """

    code = forms.CharField(
        max_length=64,
        required=False,
        label="Barcode or SKU",
        widget=UnfoldAdminTextInputWidget(attrs={"autofocus": True, "autocomplete": "off", "inputmode": "text"}),
    )
    quantity = forms.CharField(
        max_length=20, required=False, label="Quantity", widget=UnfoldAdminTextInputWidget(attrs={"size": 6})
    )


@dataclass(frozen=True)
class Step:
    """A change of state the change page offers."""

    title: str
    button: str
    explanation: str
    states: tuple[str, ...]
    permission: str
    apply: Callable[..., str]


STEPS = {
    "start_review": Step(
        title="Review {number}",
        button="Counting is done",
        explanation="The differences are reviewed next; counters may still correct a line.",
        states=(StockCountState.OPEN, StockCountState.COUNTING),
        permission="change_stockcount",
        apply=lambda user, count, key: _start_review(user, count),
    ),
    "post_count": Step(
        title="Approve and post {number}",
        button="Post the differences",
        explanation="Every difference is posted as an adjustment “count {number}”, all at once.",
        states=(StockCountState.REVIEW,),
        permission="approve_count",
        apply=lambda user, count, key: _post(user, count, key),
    ),
    "cancel_count": Step(
        title="Cancel {number}",
        button="Cancel the count",
        explanation="Nothing is posted; the entries stay on record.",
        states=tuple(COUNTING_STATES),
        permission="change_stockcount",
        apply=lambda user, count, key: _cancel(user, count),
    ),
}


def _start_review(user, count: StockCount) -> str:
    counts.start_review(user=user, count=count)
    return f"{count.number} is in review."


def _post(user, count: StockCount, key: str) -> str:
    movements = counts.post_count(user=user, count=count, submission_key=key)
    return counts.post_summary(count, len(movements))


def _cancel(user, count: StockCount) -> str:
    counts.cancel_count(user=user, count=count)
    return f"Cancelled {count.number}."


def change_url(count: StockCount) -> str:
    return reverse("admin:inventory_stockcount_change", args=[count.pk])


def may(request: HttpRequest, count: StockCount, model_perm: str, warehouse_perm: str) -> bool:
    """Whether the user has the role's permission and the warehouse permission at the session's warehouse."""
    return request.user.has_perm(f"inventory.{model_perm}") and access.has_warehouse_permission(
        request.user, warehouse_perm, count.warehouse_id
    )


def offered_steps(count: StockCount) -> set[str]:
    """The detail actions the change page offers for the session in its state."""
    offered = {name for name, step in STEPS.items() if count.state in step.states}
    offered |= {"review_count", "print_count_sheet"}
    if count.is_counting:
        offered.add("scan_count")
    return offered


def wants_json(request: HttpRequest) -> bool:
    """Whether the scan page's script sent this (fetch asks for JSON); a plain form POST asks for HTML."""
    return "application/json" in request.headers.get("Accept", "")


def scan(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """The scan page: Enter adds one (or the typed quantity) to the scanned product's line.

    The page's script sends the form with fetch() and gets JSON back (the same form, service call and
    scope); without it the form posts and redirects here.
    """
    count = model_admin.visible_object_or_404(request, object_id)
    form = ScanForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST":
        entry, error = _record_scan(request, count, form)
        if entry is not None:
            return _scanned(model_admin, request, entry)
        if wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=422)
    recent = (
        CountEntry.objects.filter(line__count=count)
        .select_related("line__product", "counted_by")
        .order_by("-id")[:RECENT_SCANS]
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Scan into {count.number} ({count.warehouse.code}, {count.scope_words()})",
        "opts": model_admin.opts,
        "count": count,
        "form": ScanForm() if not error else form,
        "error": error,
        "recent": recent,
        "recent_limit": RECENT_SCANS,
        "change_url": change_url(count),
        "review_url": reverse("admin:inventory_stockcount_review_count", args=[count.pk]),
    }
    return TemplateResponse(request, "backoffice/counts/scan.html", context, status=422 if error else 200)


def _record_scan(request: HttpRequest, count: StockCount, form: ScanForm) -> tuple[CountEntry | None, str]:
    """The entry the scan made, or why it made none (a message for the counter)."""
    if not form.is_valid():
        return None, " ".join(message for errors in form.errors.values() for message in errors)
    data = form.cleaned_data
    try:
        entry = counts.record_entry(
            user=request.user,
            count=count,
            code=data["code"],
            quantity=(data["quantity"] or "").strip() or 1,
            submission_key=data["submission_key"],
        )
    except AlreadySubmitted as repeat:
        # The same scan again (a retry whose first answer was lost): answered as the first time, counted once.
        entry = CountEntry.objects.select_related("line__product").filter(pk=repeat.result.get("entry_id")).first()
        return (entry, "") if entry else (None, repeat.message)
    except services.DomainError as refused:
        return None, refused.message
    return entry, ""


def _scanned(model_admin, request: HttpRequest, entry: CountEntry) -> HttpResponse:
    """What a scan answers: JSON for the page's script, else a message and back to the scan page."""
    product = entry.line.product
    counted = product.format_quantity(entry.line.counted_quantity)
    message = f"+{product.format_quantity(entry.quantity)} {product.sku} — {product.name} ({counted} counted)"
    if not wants_json(request):
        model_admin.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(request.path)
    return JsonResponse(
        {
            "ok": True,
            "message": message,
            "line": {"id": entry.line_id, "sku": product.sku, "counted": counted},
            "entry": {
                "product": f"{product.sku} — {product.name}",
                "quantity": product.format_quantity(entry.quantity),
                "by": request.user.get_username(),
                "when": localtime(entry.created_at).strftime("%H:%M:%S"),
            },
        }
    )


@dataclass(frozen=True)
class SheetPart:
    """One part of a count sheet too long for one PDF: lines `first` to `last` (from 1) of `lines`."""

    number: int
    of: int
    first: int
    last: int
    lines: int


def sheet_parts(lines: int) -> list[SheetPart]:
    """A sheet of this many lines in parts of SHEET_LINES (one part when it fits)."""
    of = max(1, -(-lines // SHEET_LINES))
    return [SheetPart(n, of, (n - 1) * SHEET_LINES + 1, min(n * SHEET_LINES, lines), lines) for n in range(1, of + 1)]


def count_sheet(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """The count sheet PDF; a session longer than SHEET_LINES prints in parts, listed on a page to choose from.

    Blind sessions never print expected quantities, whoever prints the sheet: it goes to the shelves.
    """
    count = model_admin.visible_object_or_404(request, object_id)
    parts = sheet_parts(count.lines.count())
    shows = not count.is_blind
    if len(parts) == 1:
        return printouts.count_sheet_pdf(request, count, shows_expected=shows)
    chosen = request.GET.get("part", "")
    if chosen.isdigit() and 1 <= int(chosen) <= len(parts):
        return printouts.count_sheet_pdf(request, count, shows_expected=shows, part=parts[int(chosen) - 1])
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Count sheet of {count.number} ({count.warehouse.code}, {count.scope_words()})",
        "opts": model_admin.opts,
        "count": count,
        "parts": parts,
        "per_part": SHEET_LINES,
        "change_url": change_url(count),
    }
    return TemplateResponse(request, "backoffice/counts/sheet_parts.html", context)


def review(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """Every line with expected, counted, difference and its value; filters, totals, and the grid to type counts."""
    count = model_admin.visible_object_or_404(request, object_id)
    if request.method == "POST":
        return _save_grid(model_admin, request, count)
    show = request.GET.get("show", "")
    if show not in counts.REVIEW_FILTERS:
        show = ""
    if request.GET.get("download") in ("csv", "xlsx"):
        return export_response(
            request,
            exporter="count.variances",
            params={"count": count.pk, "show": show},
            fmt=request.GET["download"],
            subject=f"variances of {count.number}",
        )
    page = Paginator(counts.review_lines(count, show), REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    expected = counts.shows_expected(request.user, count)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Review {count.number} ({count.warehouse.code}, {count.scope_words()})",
        "opts": model_admin.opts,
        "count": count,
        "page": page,
        "show": show,
        "shows_expected": expected,
        "totals": counts.review_totals(count) if expected else None,
        "may_count": count.is_counting and may(request, count, "add_countentry", access.OPERATE_STOCK),
        "change_url": change_url(count),
        "filters": list(counts.REVIEW_FILTERS.items()),
    }
    return TemplateResponse(request, "backoffice/counts/review.html", context)


def _save_grid(model_admin, request: HttpRequest, count: StockCount) -> HttpResponse:
    """The grid's typed counts (`line-<id>` fields; blank leaves a line as it is), each through set_counted."""
    if not may(request, count, "add_countentry", access.OPERATE_STOCK):
        raise Http404("No stock count matches the given query.")
    typed = {
        int(name.removeprefix("line-")): value.strip()
        for name, value in request.POST.items()
        if name.startswith("line-") and name.removeprefix("line-").isdigit() and value.strip()
    }
    lines = StockCountLine.objects.filter(count=count, pk__in=typed).select_related("product")
    saved = 0
    for line in lines:
        line.count = count
        try:
            saved += counts.set_counted(user=request.user, line=line, quantity=typed[line.pk]) is not None
        except services.DomainError as refused:
            model_admin.message_user(request, refused.message, messages.ERROR)
    model_admin.message_user(request, f"Saved {saved} count{'s' if saved != 1 else ''}.", messages.SUCCESS)
    return HttpResponseRedirect(request.get_full_path())


def take_step(model_admin, request: HttpRequest, object_id, name: str) -> HttpResponse:
    """Confirm and apply one step of the session (review, post, cancel), once per submission."""
    count = model_admin.visible_object_or_404(request, object_id)
    step = STEPS[name]
    form = DocumentStepForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = _apply_once(model_admin, request, count, form, step)
        if done is not None:
            return done
    totals = counts.review_totals(count) if name == "post_count" else None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": step.title.format(number=count.number),
        "opts": model_admin.opts,
        "count": count,
        "form": form,
        "explanation": step.explanation.format(number=count.number),
        "button": step.button,
        "totals": totals,
        "needs_second_approver": totals is not None and counts.needs_second_approver(count, totals),
        "change_url": change_url(count),
    }
    return TemplateResponse(request, "backoffice/counts/step.html", context)


def _apply_once(model_admin, request: HttpRequest, count: StockCount, form, step: Step) -> HttpResponse | None:
    """Apply the step under the form's key; None when the services refused (the error is on the form)."""
    key = form.cleaned_data["submission_key"]
    try:
        if step is STEPS["post_count"]:
            # Posting keeps its own key inside its transaction (inventory.services.counts.post_count).
            message = step.apply(request.user, count, key)
        else:
            with once(key=key, user=request.user, purpose="stock count") as taken:
                taken.result = {"message": step.apply(request.user, count, key)}
            message = taken.result["message"]
    except AlreadySubmitted as repeat:
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(change_url(count))
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, message, messages.SUCCESS)
    return HttpResponseRedirect(change_url(count))
