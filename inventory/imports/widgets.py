"""Our cell rules as django-import-export widgets: `clean` turns a cell into a value or raises CellError
with a sentence a clerk acts on (never a traceback); `kind` says how an export writes the value.

The reading of one cell (numbers in either decimal convention, yes/no words, our own formula escaping
undone) lives in `inventory.imports.cells`; these widgets add each column's limits.
"""

from decimal import Decimal
from typing import Any

from django.db import models
from import_export import widgets

from inventory import bounds
from inventory.imports import cells
from inventory.imports.lookups import ids_by
from inventory.models.catalog import UnitOfMeasure

TEXT, DECIMAL, BOOL, DATETIME = "text", "decimal", "bool", "datetime"


class Cell(widgets.Widget):
    """Trimmed text; the base of every cell rule. Exports write it formula-escaped."""

    kind = TEXT

    def clean(self, value: Any, row=None, **kwargs) -> Any:
        return cells.text(value)

    def describe(self) -> str:
        """What a cell may hold, as the import page and its template file say it."""
        return "text"


class Text(Cell):
    """Text of at most `max_length` characters, upper-cased for codes."""

    def __init__(self, max_length: int, *, upper: bool = False, empty_is_none: bool = False):
        super().__init__()
        self.max_length = max_length
        self.upper = upper
        self.empty_is_none = empty_is_none

    def clean(self, value: Any, row=None, **kwargs) -> str | None:
        result = cells.text(value)
        if len(result) > self.max_length:
            raise cells.CellError(f"At most {self.max_length} characters are allowed; this has {len(result)}.")
        if self.empty_is_none and not result:
            return None
        return result.upper() if self.upper else result

    def describe(self) -> str:
        return f"text, at most {self.max_length:,} characters" + (" (read in capitals)" if self.upper else "")


class CategoryPath(Text):
    """A category path with the spaces around each name trimmed ("Tools / Hand tools" → "Tools/Hand tools")."""

    def __init__(self):
        super().__init__(500)

    def clean(self, value: Any, row=None, **kwargs) -> str:
        raw = super().clean(value)
        return "/".join(part.strip() for part in raw.split("/")) if raw else raw

    def describe(self) -> str:
        return "a category path, names separated by / (Tools/Hand tools)"


class Number(Cell):
    """A decimal with the column's places and largest value (inventory.bounds)."""

    kind = DECIMAL

    def __init__(self, bound: bounds.Bound | None = None):
        super().__init__()
        self.bound = bound

    @classmethod
    def of(cls, model: type[models.Model], field_name: str, noun: str) -> "Number":
        return cls(bounds.for_field(model._meta.get_field(field_name), noun))

    def clean(self, value: Any, row=None, **kwargs) -> Decimal | None:
        bound = self.bound
        return cells.decimal(value, places=bound.places, maximum=bound.maximum, noun=bound.noun)

    def describe(self) -> str:
        return f"a number up to {self.bound.maximum:,} with at most {self.bound.places} decimals (a . or ,)"


class Quantity(Number):
    """A counted quantity: one posting's bound (bounds.QUANTITY), not merely the column's."""

    def __init__(self):
        super().__init__(bounds.QUANTITY)


class WholeNumber(Number):
    """A whole number of zero or more, up to what the column holds."""

    def __init__(self, model: type[models.Model], field_name: str, noun: str):
        super().__init__()
        self.maximum = bounds.column_maximum(model._meta.get_field(field_name))
        self.noun = noun

    def clean(self, value: Any, row=None, **kwargs) -> int | None:
        return cells.integer(value, maximum=self.maximum, noun=self.noun)

    def describe(self) -> str:
        return f"a whole number from 0 to {self.maximum:,}"


class YesNo(Cell):
    """yes/no, true/false, 1/0; empty leaves the stored value."""

    kind = BOOL

    def clean(self, value: Any, row=None, **kwargs) -> bool | None:
        return cells.boolean(value)

    def describe(self) -> str:
        return "yes or no (true/false, 1/0); empty keeps what is stored"


class Email(Cell):
    def clean(self, value: Any, row=None, **kwargs) -> str:
        return cells.email(value)

    def describe(self) -> str:
        return "an e-mail address"


class Moment(Cell):
    """A date and time, written in UTC (export only)."""

    kind = DATETIME


UNIT_BY_WORD = {choice.value: choice.value for choice in UnitOfMeasure} | {
    choice.label.lower(): choice.value for choice in UnitOfMeasure
}


class Unit(Cell):
    """A unit of measure by its code or its name ("ea", "each")."""

    def clean(self, value: Any, row=None, **kwargs) -> str | None:
        raw = cells.text(value).lower()
        if raw == "":
            return None
        if raw not in UNIT_BY_WORD:
            raise cells.CellError(f"“{cells.text(value)}” is not a unit; use one of {', '.join(UnitOfMeasure.values)}.")
        return UNIT_BY_WORD[raw]

    def describe(self) -> str:
        return "one of " + ", ".join(f"{choice.value} ({choice.label.lower()})" for choice in UnitOfMeasure)


class NaturalKey(widgets.ForeignKeyWidget):
    """A reference by natural key (a category path, a supplier code), looked up in bulk, never one by one.

    `clean` reads the cell into the key; `resolve` turns every key of the file into ids in a few queries;
    a key that names nothing is a row error saying `missing`.
    """

    kind = TEXT

    def __init__(self, model: type[models.Model], field: str, *, cell: Cell, missing: str):
        super().__init__(model, field)
        self.cell = cell
        self.missing = missing

    def clean(self, value: Any, row=None, **kwargs) -> str | None:
        return self.cell.clean(value)

    def resolve(self, keys) -> dict[str, int]:
        return ids_by(self.model, self.field, keys)

    def missing_message(self, key: str) -> str:
        return self.missing.format(key=key)

    def describe(self) -> str:
        return f"{self.cell.describe()}, naming an existing {self.model._meta.verbose_name}"
