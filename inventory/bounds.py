"""How big each number may be, derived from the columns that store it, in one place.

Services, forms and import cells all check against these, with the same
sentence, so a number that does not fit is refused where it is typed, not by
the database on save (a 500 on PostgreSQL, a silently stored value on SQLite).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models


@dataclass(frozen=True)
class Bound:
    """The largest magnitude a value may have, the decimals it may carry, and how to say so."""

    noun: str  # "Quantities"
    maximum: Decimal
    places: int

    @property
    def message(self) -> str:
        return f"{self.noun} are at most {grouped(self.maximum, self.places)}."

    def fits(self, value: Decimal) -> bool:
        return abs(value) <= self.maximum


def grouped(value: Decimal, places: int) -> str:
    """99999999.999 → "99,999,999.999"."""
    return f"{value:,.{places}f}" if places else f"{value:,.0f}"


def column_maximum(field: models.Field) -> Decimal:
    """The largest value a DecimalField or integer field can hold."""
    if isinstance(field, models.DecimalField):
        whole = field.max_digits - field.decimal_places
        return Decimal(10) ** whole - Decimal(1).scaleb(-field.decimal_places)
    if isinstance(field, (models.PositiveSmallIntegerField, models.SmallIntegerField)):
        return Decimal(32767)
    if isinstance(field, (models.BigIntegerField, models.PositiveBigIntegerField)):
        return Decimal(9223372036854775807)
    if isinstance(field, models.IntegerField):
        return Decimal(2147483647)
    raise TypeError(f"{field} holds no number")


def for_field(field: models.Field, noun: str) -> Bound:
    places = getattr(field, "decimal_places", 0) or 0
    return Bound(noun, column_maximum(field), places)


def _stock_field(name: str) -> models.Field:
    from inventory.models import StockLevel

    return StockLevel._meta.get_field(name)


# One posting or count: small enough that a thousand of them still fit the balance column.
QUANTITY = Bound("Quantities", Decimal("99999999.999"), 3)
# Unit costs fit the ledger's unit_cost and average_cost columns (14 digits, 4 decimals).
UNIT_COST = Bound("Unit costs", Decimal("9999999999.9999"), 4)


def balance() -> Bound:
    """What on hand may reach: the column itself (14 digits, 3 decimals)."""
    return for_field(_stock_field("on_hand"), "Stock on hand")


def check(value: Decimal, bound: Bound, error: type[Exception]) -> Decimal:
    if not bound.fits(value):
        raise error(bound.message)
    return value
