"""Turning one cell of an uploaded file into a Python value, or a message a clerk understands."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from inventory.exports import FORMULA_PREFIXES

TRUE_WORDS = {"yes", "y", "true", "1", "active", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "inactive"}


class CellError(ValueError):
    """A cell value that cannot be used; the message names the problem, not the column."""


def text(value: Any) -> str:
    """Trimmed text; our own export's formula escaping (a leading apostrophe) is undone."""
    if type(value) is str:
        value = value.strip()
        if value[:1] == "'" and value[1:2] in FORMULA_PREFIXES and len(value) > 1:
            return value[1:]
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    result = str(value).strip()
    if len(result) > 1 and result[0] == "'" and result[1] in FORMULA_PREFIXES:
        return result[1:]
    return result


def decimal(value: Any, *, places: int, allow_negative: bool = False) -> Decimal | None:
    """A number with at most `places` decimals; None when the cell is empty."""
    if isinstance(value, bool):
        raise CellError(f"“{text(value)}” is not a number.")
    raw = text(value) if not isinstance(value, (int, float, Decimal)) else str(value)
    if raw == "":
        return None
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # decimal comma, as written by semicolon-separated spreadsheets
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"“{raw}” is not a number.") from None
    if not number.is_finite():
        raise CellError(f"“{raw}” is not a number.")
    if number < 0 and not allow_negative:
        raise CellError(f"It cannot be negative; got {raw}.")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellError(f"At most {places} decimal places are allowed; got {raw}.")
    return number


def integer(value: Any) -> int | None:
    """A whole number of zero or more; None when the cell is empty."""
    number = decimal(value, places=0)
    return None if number is None else int(number)


def boolean(value: Any) -> bool | None:
    """yes/no, true/false, 1/0; None when the cell is empty."""
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw == "":
        return None
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise CellError(f"“{text(value)}” is not yes or no.")


def email(value: Any) -> str:
    """An e-mail address or empty."""
    raw = text(value)
    if raw:
        try:
            validate_email(raw)
        except ValidationError:
            raise CellError(f"“{raw}” is not an e-mail address.") from None
    return raw
