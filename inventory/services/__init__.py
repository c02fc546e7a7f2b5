"""Business rules: every change to stock goes through these functions."""

from inventory.services.access import grant_warehouse_permission, revoke_warehouse_permission
from inventory.services.errors import DomainError, InsufficientStock, NotAllowed
from inventory.services.stock import adjust, is_reversible, issue, receive, reverse_movement, set_count, transfer

__all__ = [
    "DomainError",
    "InsufficientStock",
    "NotAllowed",
    "adjust",
    "grant_warehouse_permission",
    "is_reversible",
    "issue",
    "receive",
    "reverse_movement",
    "revoke_warehouse_permission",
    "set_count",
    "transfer",
]
