"""The ledger's two write screens: post a movement, and post the reversal of one.

Both write only through the stock services, each submission once. They take the
ledger's ModelAdmin first, like an admin action: StockMovementAdmin wires them
in (its get_urls and its detail action) and lends them its scoped rows.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.forms import PostingKind, PostMovementForm, ReverseMovementForm
from inventory import access, services
from inventory.models import StockMovement
from inventory.services.submissions import AlreadySubmitted, once

TITLES = {
    PostingKind.RECEIPT: "Receive stock",
    PostingKind.ISSUE: "Issue stock",
    PostingKind.TRANSFER: "Transfer stock",
    PostingKind.ADJUSTMENT: "Adjust stock",
}


def allowed_kinds(user) -> list[str]:
    """What this user may post, in screen order: receipts, issues and transfers where they operate stock,
    adjustments where they manage it (with the permission)."""
    kinds = []
    if user.has_perm("inventory.add_stockmovement") and access.has_any_warehouse(user, access.OPERATE_STOCK):
        kinds += [PostingKind.RECEIPT, PostingKind.ISSUE, PostingKind.TRANSFER]
    if user.has_perm("inventory.post_adjustment") and access.has_any_warehouse(user, access.MANAGE_STOCK):
        kinds.append(PostingKind.ADJUSTMENT)
    return kinds


def post_movement(model_admin, request: HttpRequest, kind: str | None = None) -> HttpResponse:
    """The posting screens: one per kind, with its fields only; a repeated submission posts nothing.

    `post/` (and Django's `add/`) opens the first kind the user may post, or the one `?kind=` names; a POST
    there carries its kind, as older pages and scripts send it, and the services judge it as ever.
    """
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    allowed = allowed_kinds(request.user)
    if kind is not None and kind not in allowed:
        raise Http404 if kind not in PostingKind.values else PermissionDenied
    if kind is None and request.method != "POST":
        asked = request.GET.get("kind")
        return HttpResponseRedirect(_kind_url(asked if asked in allowed else allowed[0]))
    form = PostMovementForm(request.POST or None, kind=kind, user=request.user, admin_site=model_admin.admin_site)
    if request.method == "POST" and form.is_valid():
        posted = _post_once(model_admin, request, form, again=kind if "_addanother" in request.POST else None)
        if posted is not None:
            return posted
    shown = kind or form.data.get("kind") or allowed[0]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": TITLES.get(shown, "Post a stock movement"),
        "opts": model_admin.opts,
        "form": form,
        "kind": shown,
        "tabs": [{"title": TITLES[each], "url": _kind_url(each), "active": each == shown} for each in allowed],
        "button": f"Post {PostingKind(shown).label.lower()}" if shown in PostingKind.values else "Post movement",
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "backoffice/post_movement.html", context)


def _kind_url(kind: str) -> str:
    return reverse("admin:inventory_stockmovement_post_kind", args=[kind])


def _post_once(model_admin, request: HttpRequest, form: PostMovementForm, again: str | None) -> HttpResponse | None:
    """Post the form under its submission key; None when the services refused (the error is on the form).

    `again` names the kind whose empty screen follows ("Post and add another"); else the ledger does.
    """
    after = _kind_url(again) if again else reverse("admin:inventory_stockmovement_changelist")
    try:
        with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="movement") as taken:
            taken.result = {"message": posted_message(form.post(request.user)), "url": after}
    except AlreadySubmitted as repeat:
        # A double click or a retried POST: the first one posted; say what it posted, post nothing.
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(repeat.result.get("url") or after)
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, taken.result["message"], messages.SUCCESS)
    return HttpResponseRedirect(taken.result["url"])


def posted_message(movements: list[StockMovement]) -> str:
    """ "Posted receipt of 5 × SKU-1 in MAIN; on hand now 12." A transfer names both warehouses and balances."""
    first = movements[0]
    product = first.product
    moved = f"{product.format_quantity(abs(first.quantity))} × {product.sku}"
    if len(movements) == 2 and first.group_id:
        out, into = sorted(movements, key=lambda movement: movement.quantity)
        return (
            f"Transferred {moved} from {out.warehouse.code} to {into.warehouse.code}; on hand now "
            f"{product.format_quantity(out.balance_after)} in {out.warehouse.code} and "
            f"{product.format_quantity(into.balance_after)} in {into.warehouse.code}."
        )
    return (
        f"Posted {first.get_kind_display().lower()} of {moved} in {first.warehouse.code}; "
        f"on hand now {product.format_quantity(first.balance_after)}."
    )


def has_reverse_permission(model_admin, request: HttpRequest, object_id=None) -> bool:
    """Whether the user may post adjustments and manages stock in the warehouse of this movement."""
    if object_id is None or not request.user.has_perm("inventory.post_adjustment"):
        return False
    movement = model_admin.visible_object(request, object_id)
    return movement is not None and access.has_warehouse_permission(
        request.user, access.MANAGE_STOCK, movement.warehouse_id
    )


def post_reversal(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """The ledger is never edited: a mistake is cancelled by a reversing movement, through the services."""
    movement = get_object_or_404(model_admin.get_queryset(request).select_related("product", "warehouse"), pk=object_id)
    form = ReverseMovementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _reverse_once(model_admin, request, movement, form)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Reverse “{movement}”",
        "opts": model_admin.opts,
        "movement": movement,
        "form": form,
        "change_url": _change_url(movement),
    }
    return TemplateResponse(request, "backoffice/reverse_movement.html", context)


def _reverse_once(model_admin, request: HttpRequest, movement: StockMovement, form) -> HttpResponseRedirect:
    try:
        with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="reversal") as taken:
            reversals = services.reverse_movement(
                user=request.user, movement=movement, reason=form.cleaned_data["reason"]
            )
            plural = "s" if len(reversals) > 1 else ""
            taken.result = {
                "message": f"Posted {len(reversals)} reversing movement{plural} for “{movement}”.",
                "url": _change_url(reversals[0]),
            }
    except AlreadySubmitted as repeat:
        # The same confirmation arrived again (double click, retry): answer as the first time.
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(repeat.result.get("url") or _change_url(movement))
    except services.DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(_change_url(movement))
    model_admin.message_user(request, taken.result["message"], messages.SUCCESS)
    return HttpResponseRedirect(taken.result["url"])


def _change_url(movement: StockMovement) -> str:
    return reverse("admin:inventory_stockmovement_change", args=[movement.pk])
