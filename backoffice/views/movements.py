"""The ledger's two write screens: post a movement, and post the reversal of one.

Both write only through the stock services, each submission once. They take the
ledger's ModelAdmin first, like an admin action: StockMovementAdmin wires them
in (its get_urls and its detail action) and lends them its scoped rows.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.forms import PostMovementForm, ReverseMovementForm
from inventory import access, services
from inventory.models import StockMovement
from inventory.services.submissions import AlreadySubmitted, once


def post_movement(model_admin, request: HttpRequest) -> HttpResponse:
    """The posting screen: a receipt, issue, transfer or adjustment; a repeated submission posts nothing."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") else None  # from a start-page action
    form = PostMovementForm(request.POST or None, initial=initial, user=request.user, admin_site=model_admin.admin_site)
    if request.method == "POST" and form.is_valid():
        posted = _post_once(model_admin, request, form)
        if posted is not None:
            return posted
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Post a stock movement",
        "opts": model_admin.opts,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "backoffice/post_movement.html", context)


def _post_once(model_admin, request: HttpRequest, form: PostMovementForm) -> HttpResponse | None:
    """Post the form under its submission key; None when the services refused (the error is on the form)."""
    changelist = reverse("admin:inventory_stockmovement_changelist")
    try:
        with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="movement") as taken:
            taken.result = {"message": _posted_message(form.post(request.user)[0]), "url": changelist}
    except AlreadySubmitted as repeat:
        # A double click or a retried POST: the first one posted; say what it posted, post nothing.
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(repeat.result.get("url") or changelist)
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, taken.result["message"], messages.SUCCESS)
    return HttpResponseRedirect(taken.result["url"])


def _posted_message(first: StockMovement) -> str:
    product = first.product
    return (
        f"Posted {first.get_kind_display().lower()} of "
        f"{product.format_quantity(abs(first.quantity))} × {product.sku} in {first.warehouse.code}; "
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
