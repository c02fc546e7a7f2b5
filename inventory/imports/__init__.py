"""Bulk import of catalog, warehouses and stock counts, and of lines into one document (a PO, a count session):
parse once, validate in bulk, apply all or nothing."""

from inventory.imports.engine import (
    ConfirmedImport,
    apply_import,
    expected_seconds,
    preview_import,
    runs_in_background,
)
from inventory.imports.parsers import ImportFileError
from inventory.imports.plan import ImportRejected, Plan, RowError
from inventory.imports.resources import EXPORT_RESOURCE_FOR_MODEL, RESOURCES

__all__ = [
    "EXPORT_RESOURCE_FOR_MODEL",
    "RESOURCES",
    "ConfirmedImport",
    "ImportFileError",
    "ImportRejected",
    "Plan",
    "RowError",
    "apply_import",
    "expected_seconds",
    "preview_import",
    "runs_in_background",
]
