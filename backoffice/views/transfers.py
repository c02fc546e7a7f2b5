"""A transfer order's write screens: ship, receive, close with a discrepancy, cancel.

Each one writes only through inventory.services.transfers, each submission once, and
takes the order from the TO admin's scoped rows (source or destination): an order
between two warehouses the user cannot see is a 404 here as on its change page.
Shipping is offered to whoever operates the source, receiving and closing to whoever
operates the destination. TransferOrderAdmin wires them in as its detail actions.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.forms import DocumentStepForm, ReceiveTransferForm
from inventory import access, services
from inventory.models import TransferOrder, TransferOrderState
from inventory.models.transfers import IN_TRANSIT_STATES
from inventory.services import transfers
from inventory.services.submissions import AlreadySubmitted, once


@dataclass(frozen=True)
class Step:
    """A change of state the change page offers, and how it is asked for and answered."""

    title: str
    button: str
    explanation: str
    states: tuple[str, ...]
    needs_reason: bool
    side: str  # "source" or "warehouse": where the user needs operate_stock
    model_perm: str
    apply: Callable[..., str]


def _ship(user, order, reason, key) -> str:
    transfers.ship(user=user, order=order, submission_key=key)
    return f"Shipped {order.number}: in transit from {order.source.code} to {order.warehouse.code}."


def _close(user, order, reason, key) -> str:
    with once(key=key, user=user, purpose="transfer order"):
        transfers.close_short(user=user, order=order, reason=reason)
    return f"Closed {order.number}; what had not arrived is written off as lost in transit."


def _cancel(user, order, reason, key) -> str:
    with once(key=key, user=user, purpose="transfer order"):
        transfers.cancel(user=user, order=order)
    return f"Cancelled {order.number}."


# Keyed by the name of the TO admin's detail action that offers each one.
STEPS = {
    "ship_order": Step(
        title="Ship {number}",
        button="Ship",
        explanation="Every line leaves {source} now and is in transit to {destination} until it is received.",
        states=(TransferOrderState.DRAFT,),
        needs_reason=False,
        side="source",
        model_perm="ship_transferorder",
        apply=_ship,
    ),
    "close_short": Step(
        title="Close {number} with a discrepancy",
        button="Close with discrepancy",
        explanation="What is still in transit will not arrive: it is written off out of transit with your reason.",
        states=tuple(IN_TRANSIT_STATES),
        needs_reason=True,
        side="warehouse",
        model_perm="receive_transferorder",
        apply=_close,
    ),
    "cancel_order": Step(
        title="Cancel {number}",
        button="Cancel transfer",
        explanation="Nothing has shipped on this transfer; cancelling calls it off.",
        states=(TransferOrderState.DRAFT,),
        needs_reason=False,
        side="source",
        model_perm="change_transferorder",
        apply=_cancel,
    ),
}


def change_url(order: TransferOrder) -> str:
    return reverse("admin:inventory_transferorder_change", args=[order.pk])


def may_operate(request: HttpRequest, order: TransferOrder, model_perm: str, side: str) -> bool:
    """Whether the user has the role's permission and operate_stock at the order's source or destination."""
    return request.user.has_perm(f"inventory.{model_perm}") and access.has_warehouse_permission(
        request.user, access.OPERATE_STOCK, getattr(order, f"{side}_id")
    )


def offered_steps(request: HttpRequest, order: TransferOrder) -> set[str]:
    """The detail actions the change page offers this user for the order in its state."""
    offered = {
        name
        for name, step in STEPS.items()
        if order.state in step.states and may_operate(request, order, step.model_perm, step.side)
    }
    if order.is_in_transit and may_operate(request, order, "receive_transferorder", "warehouse"):
        offered.add("receive_order")
    return offered | {"print_packing_list"}


def receive_order(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    """The arrival screen: lines in transit with what arrives now (default: all still on the way)."""
    order = model_admin.visible_object_or_404(request, object_id)
    lines = [line for line in order.lines.with_progress().select_related("product") if line.quantity_in_transit > 0]
    form = ReceiveTransferForm(request.POST if request.method == "POST" else None, lines=lines)
    if request.method == "POST" and form.is_valid():
        posted = _receive_once(model_admin, request, order, form)
        if posted is not None:
            return posted
    if request.method != "POST" and not order.is_in_transit:
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
    return TemplateResponse(request, "backoffice/transfers/receive.html", context)


def _receive_once(model_admin, request: HttpRequest, order: TransferOrder, form) -> HttpResponse | None:
    """Post the arrival under the form's key; None when the services refused (the error is on the form)."""
    try:
        transfers.receive(
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
    model_admin.message_user(request, f"Received on {order.number}: {order.get_state_display().lower()}.")
    return HttpResponseRedirect(change_url(order))


def take_step(model_admin, request: HttpRequest, object_id, name: str) -> HttpResponse:
    """Confirm and apply one step of the order (ship, close with a discrepancy, cancel), once per submission."""
    order = model_admin.visible_object_or_404(request, object_id)
    step = STEPS[name]
    form = DocumentStepForm(request.POST if request.method == "POST" else None, needs_reason=step.needs_reason)
    if request.method == "POST" and form.is_valid():
        done = _step_once(model_admin, request, order, step, form)
        if done is not None:
            return done
    words = {"number": order.number, "source": order.source.code, "destination": order.warehouse.code}
    context = {
        **model_admin.admin_site.each_context(request),
        "title": step.title.format(**words),
        "opts": model_admin.opts,
        "order": order,
        "form": form,
        "explanation": step.explanation.format(**words),
        "button": step.button,
        "change_url": change_url(order),
    }
    return TemplateResponse(request, "backoffice/transfers/step.html", context)


def _step_once(model_admin, request: HttpRequest, order: TransferOrder, step: Step, form) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        message = step.apply(request.user, order, data.get("reason", ""), data["submission_key"])
    except AlreadySubmitted as repeat:
        model_admin.message_user(request, repeat.message, messages.SUCCESS)
        return HttpResponseRedirect(change_url(order))
    except services.DomainError as error:
        form.add_error(None, error.message)
        return None
    model_admin.message_user(request, message, messages.SUCCESS)
    return HttpResponseRedirect(change_url(order))
