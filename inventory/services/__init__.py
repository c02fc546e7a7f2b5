"""Business rules: every change to stock goes through these functions."""

from inventory.services.errors import DomainError, InsufficientStock, NotAllowed
from inventory.services.stock import adjust, issue, receive, reverse_movement, set_count, transfer

__all__ = [
    "DomainError",
    "InsufficientStock",
    "NotAllowed",
    "adjust",
    "issue",
    "receive",
    "reverse_movement",
    "set_count",
    "transfer",
]
