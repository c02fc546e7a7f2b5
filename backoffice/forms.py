"""Forms for screens that post stock through the services."""

from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.widgets import make_safe
from inventory import access, bounds, services
from inventory.models import MovementKind, Product, PurchaseOrderLine, StockLevel, StockMovement, Warehouse
from inventory.services.errors import format_quantity
from inventory.services.submissions import EXPIRED_FORM, new_submission_key


class SubmittedOnce(forms.Form):
    """A form that changes data carries a submission key; the service takes each key once.

    The key is minted when the form is shown, kept when it is re-shown with errors,
    and a POST without one (an old tab, a hand-made request) is refused.
    """

    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_key"] = new_submission_key()

    def clean(self):
        data = super().clean()
        if not (data.get("submission_key") or "").strip():
            raise forms.ValidationError(EXPIRED_FORM)
        return data


class PostingKind(models.TextChoices):
    """What the posting form posts: one ledger line, or a transfer, which posts its two legs."""

    RECEIPT = MovementKind.RECEIPT.value, "Receipt"
    ISSUE = MovementKind.ISSUE.value, "Issue"
    TRANSFER = "transfer", "Transfer"
    ADJUSTMENT = MovementKind.ADJUSTMENT.value, "Adjustment"


def _receive(common: dict, data: dict) -> list[StockMovement]:
    return [services.receive(**common, warehouse=data["warehouse"], unit_cost=data["unit_cost"])]


def _issue(common: dict, data: dict) -> list[StockMovement]:
    return [services.issue(**common, warehouse=data["warehouse"])]


def _transfer(common: dict, data: dict) -> list[StockMovement]:
    return list(services.transfer(**common, source=data["warehouse"], destination=data["destination"]))


def _adjust(common: dict, data: dict) -> list[StockMovement]:
    return [services.adjust(**common, warehouse=data["warehouse"], unit_cost=data.get("unit_cost"))]


class PostMovementForm(SubmittedOnce):
    """Post a receipt, issue, transfer or adjustment; the services decide if it is allowed."""

    SERVICES = {
        PostingKind.RECEIPT: _receive,
        PostingKind.ISSUE: _issue,
        PostingKind.TRANSFER: _transfer,
        PostingKind.ADJUSTMENT: _adjust,
    }
    # What each kind cannot do without, and what the clerk is told when it is missing.
    REQUIRED = {
        PostingKind.RECEIPT: ("unit_cost", "A receipt needs a unit cost."),
        PostingKind.TRANSFER: ("destination", "Choose where the stock goes."),
        PostingKind.ADJUSTMENT: ("reason", "An adjustment needs a reason."),
    }

    kind = forms.ChoiceField(choices=PostingKind.choices, widget=UnfoldAdminSelectWidget)
    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True))
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), widget=UnfoldAdminSelectWidget, help_text="Source, for a transfer."
    )
    destination = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), required=False, widget=UnfoldAdminSelectWidget, help_text="Transfers only."
    )
    quantity = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        max_value=bounds.QUANTITY.maximum,
        min_value=-bounds.QUANTITY.maximum,
        error_messages={"max_value": bounds.QUANTITY.message, "min_value": bounds.QUANTITY.message},
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="Adjustments may be negative; everything else is a positive amount.",
    )
    unit_cost = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        required=False,
        min_value=Decimal("0"),
        max_value=bounds.UNIT_COST.maximum,
        error_messages={"max_value": bounds.UNIT_COST.message},
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="Receipts only (required there).",
    )
    reference = forms.CharField(max_length=64, required=False, widget=UnfoldAdminTextInputWidget)
    reason = forms.CharField(
        max_length=255, required=False, widget=UnfoldAdminTextInputWidget, help_text="Required for adjustments."
    )

    # Each kind's own screen shows only its fields, in this order.
    FIELDS = {
        PostingKind.RECEIPT: ["product", "warehouse", "quantity", "unit_cost", "reference", "reason"],
        PostingKind.ISSUE: ["product", "warehouse", "quantity", "reference", "reason"],
        PostingKind.TRANSFER: ["product", "warehouse", "destination", "quantity", "reference", "reason"],
        PostingKind.ADJUSTMENT: ["product", "warehouse", "quantity", "reason", "unit_cost", "reference"],
    }
    LABELS = {
        PostingKind.RECEIPT: {
            "warehouse": ("Into", ""),
            "unit_cost": ("Unit cost", "What one unit cost; it feeds the moving average."),
        },
        PostingKind.ISSUE: {"warehouse": ("From", "")},
        PostingKind.TRANSFER: {"warehouse": ("From", ""), "destination": ("To", "")},
        PostingKind.ADJUSTMENT: {
            "warehouse": ("At", ""),
            "quantity": ("Quantity", "Positive adds stock, negative removes it."),
            "reason": ("Reason", "Why the stock differs: counted, damaged, found…"),
            "unit_cost": ("Unit cost", "For stock added; empty keeps the moving average."),
        },
    }

    def __init__(self, *args, user, admin_site, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        product.widget = AutocompleteSelect(
            StockMovement._meta.get_field("product"), admin_site, attrs={"class": "unfold-admin-autocomplete"}
        )
        make_safe(product.widget)
        product.queryset = product.queryset  # re-binds the new widget's choices
        operable = access.warehouses_for(user, access.OPERATE_STOCK).holding().filter(is_active=True)
        self.fields["warehouse"].queryset = operable
        self.fields["destination"].queryset = operable
        self.kind = kind
        if kind:
            self._only(kind)

    def _only(self, kind: str) -> None:
        """The kind's own screen: its fields only, the kind fixed (a forged one is refused as a bad choice)."""
        self.fields["kind"].choices = [(kind, PostingKind(kind).label)]
        self.fields["kind"].initial = kind
        self.fields["kind"].widget = forms.HiddenInput()
        wanted = self.FIELDS[kind]
        for name in list(self.fields):
            if name not in (*wanted, "kind", "submission_key"):
                del self.fields[name]
        self.order_fields(wanted)
        for name, (label, help_text) in self.LABELS.get(kind, {}).items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text
        if kind in self.REQUIRED:
            name, message = self.REQUIRED[kind]
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
        if kind != PostingKind.ADJUSTMENT:
            self.fields["quantity"].help_text = ""

    def clean(self):
        data = super().clean()
        field, message = self.REQUIRED.get(data.get("kind"), (None, ""))
        if field and data.get(field) in (None, ""):
            self.add_error(field, message)
        product, quantity = data.get("product"), data.get("quantity")
        if product is not None and quantity is not None and product.is_whole_unit and quantity != int(quantity):
            unit = product.get_unit_display().lower()
            self.add_error("quantity", f"{product.sku} is counted in whole units ({unit}); enter a whole number.")
        return data

    def post(self, user) -> list[StockMovement]:
        """Post the valid form through the stock service its kind names; the ledger lines it wrote."""
        data = self.cleaned_data
        common = {
            "user": user,
            "product": data["product"],
            "quantity": data["quantity"],
            "reference": data.get("reference") or "",
            "reason": data.get("reason") or "",
        }
        return self.SERVICES[data["kind"]](common, data)


class ReverseMovementForm(SubmittedOnce):
    """Why a posted movement is being cancelled."""

    reason = forms.CharField(
        max_length=255,
        required=False,
        widget=UnfoldAdminTextInputWidget,
        help_text="Leave empty for “Reversal of movement #…”.",
    )


class ReceiveOrderForm(SubmittedOnce):
    """What arrived on each open line of a purchase order; each field starts at what the line still expects."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.field_name(line)] = forms.DecimalField(
                label=f"{line.product.sku} — {line.product.name}",
                max_digits=14,
                decimal_places=3,
                required=False,
                min_value=Decimal("0"),
                max_value=bounds.QUANTITY.maximum,
                initial=line.product.format_quantity(line.quantity_remaining),
                widget=UnfoldAdminDecimalFieldWidget,
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def rows(self) -> list[dict]:
        """Per open line: its product, quantities as people read them, and its bound field."""
        return [
            {
                "line": line,
                "field": self[self.field_name(line)],
                "ordered": line.product.format_quantity(line.quantity_ordered),
                "received": line.product.format_quantity(line.quantity_received),
                "remaining": line.product.format_quantity(line.quantity_remaining),
            }
            for line in self.lines
        ]

    def quantities(self) -> dict[int, Decimal | None]:
        """{line id: quantity received now}; blank or 0 leaves a line for a later delivery."""
        return {line.pk: self.cleaned_data.get(self.field_name(line)) for line in self.lines}


class DocumentStepForm(SubmittedOnce):
    """Confirms a step of a document (place, close short, cancel), with the reason some steps need."""

    reason = forms.CharField(max_length=255, required=False, widget=UnfoldAdminTextInputWidget)

    def __init__(self, *args, needs_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_reason:
            del self.fields["reason"]
        else:
            self.fields["reason"].help_text = "Kept on the order and in its history."


class DraftOrdersForm(SubmittedOnce):
    """The reorder suggestion rows ticked for ordering: stock levels in warehouses the user operates."""

    level = forms.ModelMultipleChoiceField(
        queryset=StockLevel.objects.none(),
        error_messages={
            "required": "Tick the rows to order first.",
            # The same words for a row in another warehouse and one that does not exist.
            "invalid_choice": "A ticked row is not in a warehouse you order for; reload the page and try again.",
            "invalid_pk_value": "A ticked row is not in a warehouse you order for; reload the page and try again.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = StockLevel.objects.filter(
            access.scope_q(user, access.OPERATE_STOCK, "warehouse")
        )


def _line_label(line: PurchaseOrderLine) -> str:
    """ "SKU-0001 — 10 at 2.5": the line as the revision form offers it."""
    ordered = line.product.format_quantity(line.quantity_ordered)
    return f"{line.product.sku} — {ordered} at {format_quantity(line.unit_cost)}"


class ReviseLineForm(SubmittedOnce):
    """A change to an ordered line (new quantity, new cost, or both) and why: the supplier's confirmation, say."""

    line = forms.ModelChoiceField(queryset=PurchaseOrderLine.objects.none(), widget=UnfoldAdminSelectWidget)
    quantity_ordered = forms.DecimalField(
        label="New quantity ordered",
        max_digits=14,
        decimal_places=3,
        required=False,
        max_value=bounds.QUANTITY.maximum,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="Leave empty to keep it. Never below what has arrived.",
    )
    unit_cost = forms.DecimalField(
        label="New unit cost",
        max_digits=14,
        decimal_places=4,
        required=False,
        min_value=Decimal("0"),
        max_value=bounds.UNIT_COST.maximum,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="Leave empty to keep it. Goods already received keep the cost they arrived at.",
    )
    reason = forms.CharField(max_length=200, widget=UnfoldAdminTextInputWidget, help_text="Kept in the line's history.")

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = order.lines.select_related("product").order_by("product__sku")
        self.fields["line"].label_from_instance = _line_label

    def clean(self):
        data = super().clean()
        if data.get("quantity_ordered") is None and data.get("unit_cost") is None:
            raise forms.ValidationError("Enter a new quantity, a new unit cost, or both.")
        return data


class ReceiveTransferForm(SubmittedOnce):
    """What arrived on each line of a transfer still in transit; each field starts at what is still on the way."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.field_name(line)] = forms.DecimalField(
                label=f"{line.product.sku} — {line.product.name}",
                max_digits=14,
                decimal_places=3,
                required=False,
                min_value=Decimal("0"),
                max_value=bounds.QUANTITY.maximum,
                initial=line.product.format_quantity(line.quantity_in_transit),
                widget=UnfoldAdminDecimalFieldWidget,
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def rows(self) -> list[dict]:
        """Per line in transit: its product, quantities as people read them, and its bound field."""
        fmt = {line.pk: line.product.format_quantity for line in self.lines}
        return [
            {
                "line": line,
                "field": self[self.field_name(line)],
                "shipped": fmt[line.pk](line.quantity_shipped),
                "received": fmt[line.pk](line.quantity_received),
                "in_transit": fmt[line.pk](line.quantity_in_transit),
            }
            for line in self.lines
        ]

    def quantities(self) -> dict[int, Decimal | None]:
        """{line id: quantity received now}; blank or 0 leaves a line in transit for a later arrival."""
        return {line.pk: self.cleaned_data.get(self.field_name(line)) for line in self.lines}
