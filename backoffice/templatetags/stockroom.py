"""Template filters for our admin pages."""

from decimal import Decimal

from django import template
from django.conf import settings

from backoffice import navigation

register = template.Library()


@register.filter
def named_as_in_sidebar(parts: list[dict]) -> list[dict]:
    """unfold's header breadcrumbs named as in the sidebar: "Stock › Movements ledger", not "Inventory › …".

    unfold starts with the app ("Inventory" for stock and catalog alike) and the model's verbose name; the
    crumb that links to a sidebar list takes that item's title, and the app crumb before it the group's.
    """
    names = navigation.breadcrumb_names()
    renamed = [dict(part) for part in parts]
    for index, part in enumerate(renamed):
        found = names.get(str(part.get("link") or ""))
        if found is None:
            continue
        group, item = found
        part["title"] = item
        if index > 0:
            # The group has no page of its own; the app index it linked to listed models under "Inventory".
            renamed[index - 1] = {"title": group, "link": ""}
        break
    return renamed


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}


def money_text(value) -> str:
    """1234.5 -> "€1,234.50" in settings.CURRENCY; a cost with more places keeps them (up to four)."""
    amount = Decimal(value)
    places = max(2, min(4, -amount.normalize().as_tuple().exponent))
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY, f"{settings.CURRENCY} ")
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.{places}f}"


@register.filter
def readable(value, kind: str = ""):
    """A report cell as people read it: thousands separators, money with its currency, whole quantities bare.

    `kind` is "money", "number" (a quantity: 12.000 -> "12", 2.500 -> "2.5") or "" (separators only).
    Exports never come through here: files keep the raw values.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if kind == "money":
        return money_text(value)
    if kind == "number" and isinstance(value, Decimal):
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"
    return f"{value:,}"
