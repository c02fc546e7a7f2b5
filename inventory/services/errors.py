"""Domain errors carry a sentence a clerk understands."""

from decimal import Decimal


class DomainError(Exception):
    """An operation would break a rule of the inventory; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InsufficientStock(DomainError):
    """Not enough on hand for an issue, transfer or negative adjustment."""


class NotAllowed(DomainError):
    """The acting user may not do this here."""


def format_quantity(value: Decimal) -> str:
    """6.000 -> "6", 2.500 -> "2.5"."""
    text = format(Decimal(value).normalize(), "f")
    return text
