"""What importing a file would do, row by row: the value objects a preview shows and a confirm writes."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class RowError:
    """A problem on one row: the row number as a spreadsheet shows it, the column and the message."""

    row: int
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class NewRow:
    """A record the import creates: model attribute → value."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChangedRow:
    """A stored record the import changes: model attribute → (stored, new), the diff the update writes."""

    number: int
    pk: int
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class CountedRow:
    """A counted quantity for one product in one warehouse; posted as an adjustment for the difference."""

    number: int
    product_id: int
    warehouse_id: int
    counted: Decimal


@dataclass(frozen=True, slots=True)
class OrderLineRow:
    """A product's line on a purchase order as a file sets it; `line_id` None is a new line, else the stored one."""

    number: int
    product_id: int
    sku: str
    quantity: Decimal
    unit_cost: Decimal
    line_id: int | None = None
    old_quantity: Decimal | None = None
    old_unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SessionCountRow:
    """What a file counted for one line of a stocktake session, and what the line stood at (None: not counted)."""

    number: int
    line_id: int
    product_id: int
    sku: str
    expected: Decimal
    current: Decimal | None
    counted: Decimal


DocumentRow = OrderLineRow | SessionCountRow


@dataclass
class Plan:
    """What importing the file would do."""

    resource: str
    total: int = 0
    creates: list[NewRow | CountedRow | DocumentRow] = field(default_factory=list)
    updates: list[ChangedRow | CountedRow | DocumentRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    _outcomes: list[str] = field(default_factory=list, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            NEW: len(self.creates),
            UPDATED: len(self.updates),
            UNCHANGED: self.unchanged,
            "errors": len(self.errors),
            "error_rows": len({error.row for error in self.errors}),
        }

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def digest(self) -> str:
        """A fingerprint of the outcome, so a confirm can refuse when it would differ from the preview."""
        outcomes = [*self._outcomes, f"unchanged={self.unchanged}", *(f"{e.row}|{e.column}" for e in self.errors)]
        return hashlib.sha256("\n".join(outcomes).encode()).hexdigest()

    def create(self, row: NewRow | CountedRow | DocumentRow, key: Any, changed: Iterable[str] = ()) -> None:
        self.creates.append(row)
        self._record(row.number, NEW, key, changed)

    def update(self, row: ChangedRow | CountedRow | DocumentRow, key: Any, changed: Iterable[str]) -> None:
        self.updates.append(row)
        self._record(row.number, UPDATED, key, changed)

    def same(self, number: int | None = None, key: Any = None) -> None:
        """An unchanged row; named in the digest only when a number is given (categories, counts)."""
        self.unchanged += 1
        if number is not None:
            self._record(number, UNCHANGED, key)

    def _record(self, row: int, status: str, key: Any, changed: Iterable[str] = ()) -> None:
        self._outcomes.append(f"{row}|{status}|{key}|{','.join(sorted(changed))}")

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


class ImportRejected(Exception):
    """The confirm step found errors or a different outcome than the preview; nothing was written."""

    def __init__(self, message: str, plan: Plan | None = None):
        super().__init__(message)
        self.message = message
        self.plan = plan
