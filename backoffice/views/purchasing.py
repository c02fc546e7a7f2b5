"""A purchase order's write screens: receive goods, and place, close short or cancel it.

Each one writes only through inventory.services.purchasing, each submission once, and
takes the order from the PO admin's scoped rows: an order in a warehouse the user
cannot see is a 404 here as on its change page. PurchaseOrderAdmin wires them in as
its detail actions.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.forms import DocumentStepForm, ReceiveOrderForm, ReviseLineForm
from inventory import access, services
from inventory.models import PurchaseOrder, PurchaseOrderState
from inventory.models.purchasing import OPEN_STATES
from inventory.services import purchasing
from inventory.services.errors import format_quantity
from inventory.services.submissions import AlreadySubmitted, once


@dataclass(frozen=True)
class Step:
    """A change of state the change page offers, and how it is asked for and answered."""

    title: str
    button: str
    explanation: str
    states: tuple[str, ...]
    needs_reason: bool
    apply: Callable[..., None]
    done: str


# Keyed by the name of the PO admin's detail action that offers each one.
STEPS = {
    "place_order": Step(
        title="Place {number}",
        button="Place order",
        explanation="The order goes to the supplier; after this its lines change only through a recorded revision.",
        states=(PurchaseOrderState.DRAFT,),
        needs_reason=False,
        apply=lambda user, order, reason: purchasing.place_order(user=user, order=order),
        done="Placed {number} with {supplier}.",
    ),
    "close_short": Step(
        title="Close {number} short",
        button="Close short",
        explanation="What has not arrived is no longer expected: it leaves “on order” and cannot be received.",
        states=tuple(OPEN_STATES),
        needs_reason=True,
        apply=lambda user, order, reason: purchasing.close_short(user=user, order=order, reason=reason),
        done="Closed {number} short.",
    ),
    "cancel_order": Step(
        title="Cancel {number}",
        button="Cancel order",
        explanation="Nothing has arrived on this order; cancelling calls it off and it cannot be received.",
        states=(PurchaseOrderState.DRAFT, *OPEN_STATES),
        needs_reason=False,
        apply=lambda user, order, reason: purchasing.cancel(user=user, order=order),
        done="Cancelled {number}.",
    ),
}


def change_url(order: PurchaseOrder) -> str:
    return reverse("admin:inventory_purchaseorder_change", args=[order.pk])


def may_operate(request: HttpRequest, order: PurchaseOrder, model_perm: str) -> bool:
    """Whether the user has the role's permission and operate_stock at the order's destination."""
    return request.user.has_perm(f"inventory.{model_perm}") and access.has_warehouse_permission(
        request.user, access.OPERATE_STOCK, order.warehouse_id
    )


def offered_steps(order: PurchaseOrder) -> set[str]:
    """The detail actions the change page offers for the order in its state."""
    offered = {name for name, step in STEPS.items() if order.state in step.states} | {"print_order"}
    if order.state == PurchaseOrderState.DRAFT:
        offered.add("import_lines")
    if order.is_open:
        offered.update({"receive_goods", "revise_line"})
    if "cancel_order" in offered and order.receipts.exists():
        offered.discard("cancel_order")
    return offered


def receive_goods(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """The receiving screen: the open lines with what arrives now (default: what remains); posts one GRN."""
    order = model_admin.visible_object_or_404(request, object_id)
    lines = [line for line in order.lines.with_received().select_related("product") if line.quantity_remaining > 0]
    form = ReceiveOrderForm(request.POST if request.method == "POST" else None, lines=lines)
    if request.method == "POST" and form.is_valid():
        posted = _receive_once(model_admin, request, order, form)
        if posted is not None:
            return posted
    if request.method != "POST" and not order.is_open:
        model_admin.message_user(
            request, f"{order.number} is {order.get_state_display().lower()}; nothing can be received.", messages.ERROR
        )
        return HttpResponseRedirect(change_url(order))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Receive {order.number} into {order.warehouse.code}",
        "opts": model_admin.opts,
        "order": order,
        "form": form,
        "change_url": change_url(order),
    }
    return TemplateResponse(request, "backoffice/purchasing/receive.html", context)


def _receive_once(model_admin, request: HttpRequest, order: PurchaseOrder, form) -> HttpResponse | None:
    """Post the receipt under the form's key; None when the services refused (the error is on the form)."""
    try:
        receipt = purchasing.receive_order(
            user=request.user,
            order=order,
            quantities=form.quantities(),
            submission_key=form.cleaned_data["submission_key"],
        )
    except AlreadySubmitted as repeat:
        # A double click or a retried POST: the first one posted; say what it posted, post nothing.
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(change_url(order))
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, purchasing.receipt_summary(receipt), messages.SUCCESS)
    return HttpResponseRedirect(change_url(order))


def take_step(model_admin, request: HttpRequest, object_id, name: str) -> HttpResponse:
    """Confirm and apply one step of the order (place, close short, cancel), once per submission."""
    order = model_admin.visible_object_or_404(request, object_id)
    step = STEPS[name]
    form = DocumentStepForm(request.POST if request.method == "POST" else None, needs_reason=step.needs_reason)
    if request.method == "POST" and form.is_valid():
        done = _step_once(model_admin, request, order, step, form)
        if done is not None:
            return done
    words = {"number": order.number, "supplier": order.supplier.name}
    context = {
        **model_admin.admin_site.each_context(request),
        "title": step.title.format(**words),
        "opts": model_admin.opts,
        "order": order,
        "form": form,
        "explanation": step.explanation,
        "button": step.button,
        "change_url": change_url(order),
    }
    return TemplateResponse(request, "backoffice/purchasing/step.html", context)


def _step_once(model_admin, request: HttpRequest, order: PurchaseOrder, step: Step, form) -> HttpResponse | None:
    def apply() -> str:
        step.apply(request.user, order, form.cleaned_data.get("reason", ""))
        return step.done.format(number=order.number, supplier=order.supplier.name)

    return _apply_once(model_admin, request, order, form, apply)


def _apply_once(model_admin, request: HttpRequest, order: PurchaseOrder, form, apply) -> HttpResponse | None:
    """Run `apply` (returns the message) under the form's key; None when the services refused (error on the form)."""
    try:
        with once(key=form.cleaned_data["submission_key"], user=request.user, purpose="purchase order") as taken:
            taken.result = {"message": apply()}
    except AlreadySubmitted as repeat:
        # A double click or a retried POST: the first one applied; say what it did, do nothing again.
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(change_url(order))
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, taken.result["message"], messages.SUCCESS)
    return HttpResponseRedirect(change_url(order))


def revise_line(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """Change an ordered line's quantity or cost, with a reason kept in its history."""
    order = model_admin.visible_object_or_404(request, object_id)
    form = ReviseLineForm(request.POST if request.method == "POST" else None, order=order)
    if request.method == "POST" and form.is_valid():
        done = _revise_once(model_admin, request, order, form)
        if done is not None:
            return done
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Revise a line of {order.number}",
        "opts": model_admin.opts,
        "order": order,
        "form": form,
        "explanation": "Record what the supplier confirmed. The line's history keeps who changed what, and why.",
        "button": "Revise line",
        "change_url": change_url(order),
    }
    return TemplateResponse(request, "backoffice/purchasing/step.html", context)


def _revise_once(model_admin, request: HttpRequest, order: PurchaseOrder, form) -> HttpResponse | None:
    data = form.cleaned_data

    def apply() -> str:
        line = purchasing.revise_line(
            user=request.user,
            line=data["line"],
            quantity=data["quantity_ordered"],
            unit_cost=data["unit_cost"],
            reason=data["reason"],
        )
        ordered = line.product.format_quantity(line.quantity_ordered)
        return f"Revised {line.product.sku} on {order.number}: {ordered} at {format_quantity(line.unit_cost)}."

    return _apply_once(model_admin, request, order, form, apply)
