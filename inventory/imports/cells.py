"""Turning one cell of an uploaded file into a Python value, or a message a clerk understands."""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from inventory.exports import FORMULA_PREFIXES

# Which character the file writes as its decimal separator: "" (detect; refuse what reads two ways), "." or ",".
DECIMAL_SEPARATOR: ContextVar[str] = ContextVar("decimal_separator", default="")
MAX_NUMBER_CHARS = 40
GROUPED = {
    ".": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"),  # 1,250,000.5
    ",": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"),  # 1.250.000,5
}
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


@contextmanager
def reading(*, decimal_separator: str = ""):
    """Parse the cells of one file with its declared decimal separator."""
    token = DECIMAL_SEPARATOR.set(decimal_separator)
    try:
        yield
    finally:
        DECIMAL_SEPARATOR.reset(token)


def _plain_number(raw: str) -> str:
    """The number as Python reads it ("1250.5"), by the file's decimal separator; refuse a double reading."""
    separator = DECIMAL_SEPARATOR.get()
    compact = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," not in compact:
        if separator == "," and "." in compact:
            if GROUPED[","].match(compact):
                return compact.replace(".", "")  # 1.250 in a decimal-comma file: a thousands point
            raise CellError(f"“{raw}” uses “.” but this file uses “,” for decimals, like 1.250,5.")
        return compact
    if separator == ",":
        if "." in compact and not GROUPED[","].match(compact):
            raise CellError(f"“{raw}” mixes separators; this file uses “,” for decimals, like 1.250,5.")
        return compact.replace(".", "").replace(",", ".")
    if not separator and "." in compact and GROUPED[","].match(compact):
        return compact.replace(".", "").replace(",", ".")  # 1.250,5: point thousands, comma decimals
    if separator == "." or "." in compact:
        if not GROUPED["."].match(compact):
            raise CellError(f"“{raw}” is not a number (use “.” for decimals, like 1250.5).")
        return compact.replace(",", "")
    whole, _, fraction = compact.partition(",")
    if compact.count(",") > 1:
        if GROUPED["."].match(compact):
            return compact.replace(",", "")  # 1,250,000: only thousands separators read that way
        raise CellError(f"“{raw}” is not a number.")
    if len(fraction) == 3 and whole.lstrip("+-").isdigit() and fraction.isdigit():
        as_thousands, as_decimal = f"{whole}{fraction}", f"{whole}.{fraction}"
        raise CellError(
            f"“{raw}” could be {_readable(as_thousands)} or {_readable(as_decimal)}; choose the file's decimal "
            "separator on the upload form and upload it again."
        )
    return f"{whole}.{fraction}"  # 2,5: a decimal comma, as written by semicolon-separated spreadsheets


def _readable(number: str) -> str:
    return format(Decimal(number).normalize(), "f")


def decimal(
    value: Any,
    *,
    places: int,
    allow_negative: bool = False,
    maximum: Decimal | None = None,
    noun: str = "Numbers",
) -> Decimal | None:
    """A number with at most `places` decimals and at most `maximum`; None when the cell is empty."""
    if isinstance(value, bool):
        raise CellError(f"“{text(value)}” is not a number.")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    raw = text(value) if not isinstance(value, (int, float, Decimal)) else str(value)
    if raw == "":
        return None
    if len(raw) > MAX_NUMBER_CHARS:
        raise CellError(f"“{raw[:20]}…” is not a number.")
    try:
        # Typed numbers (XLSX, JSON) are already numbers; only text is read by the file's separator.
        number = Decimal(raw if isinstance(value, (int, float, Decimal)) else _plain_number(raw))
    except InvalidOperation:
        raise CellError(f"“{raw}” is not a number.") from None
    if not number.is_finite():
        raise CellError(f"“{raw}” is not a number.")
    if maximum is not None and abs(number) > maximum:
        limit = f"{maximum:,.{places}f}" if places else f"{maximum:,.0f}"
        raise CellError(f"{noun} are at most {limit}; got {raw}.")
    if abs(number.adjusted()) > 20:
        raise CellError(f"“{raw}” is too large or too small to be stored.")
    if number < 0 and not allow_negative:
        raise CellError(f"It cannot be negative; got {raw}.")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellError(f"At most {places} decimal places are allowed; got {raw}.")
    return number


def integer(value: Any, *, maximum: Decimal | None = Decimal(2147483647), noun: str = "Numbers") -> int | None:
    """A whole number of zero or more; None when the cell is empty."""
    number = decimal(value, places=0, maximum=maximum, noun=noun)
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
