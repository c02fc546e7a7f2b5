"""The inventory domain: catalog, stock, ledger, access grants and data jobs."""

from inventory.models.access import AccessEvent, Role, WarehouseGroupPermission, WarehouseUserPermission
from inventory.models.audit import AuditEntry
from inventory.models.catalog import Category, Product, Supplier, normalize_sku
from inventory.models.counts import CountEntry, StockCount, StockCountLine, StockCountState
from inventory.models.jobs import DataJob, WorkerHeartbeat
from inventory.models.numbering import DocumentCounter
from inventory.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
)
from inventory.models.security import SecurityEvent, UserSession
from inventory.models.stock import MovementKind, StockLevel, StockMovement, Warehouse
from inventory.models.submissions import Submission
from inventory.models.transfers import (
    TransferOrder,
    TransferOrderLine,
    TransferOrderState,
    TransferPosting,
    TransferPostingStep,
)
from inventory.models.valuation import ValuationClose, ValuationCloseState

__all__ = [
    "AccessEvent",
    "AuditEntry",
    "Category",
    "CountEntry",
    "DataJob",
    "DocumentCounter",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "MovementKind",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderState",
    "Role",
    "SecurityEvent",
    "StockCount",
    "StockCountLine",
    "StockCountState",
    "StockLevel",
    "StockMovement",
    "Submission",
    "Supplier",
    "TransferOrder",
    "TransferOrderLine",
    "TransferOrderState",
    "TransferPosting",
    "TransferPostingStep",
    "UserSession",
    "ValuationClose",
    "ValuationCloseState",
    "Warehouse",
    "WorkerHeartbeat",
    "WarehouseGroupPermission",
    "WarehouseUserPermission",
    "normalize_sku",
]
