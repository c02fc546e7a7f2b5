"""Imports into one document (a purchase order's lines, a stocktake session's counts) rather than into a table.

The engine carries the document's id from the upload to the confirm and the job (`ConfirmedImport.document`);
`into` fetches it again each time, in the importing user's scope, and refuses one that no longer takes
imports. A bound copy of the resource plans and applies the rows against that document.
"""

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import models

from inventory import access
from inventory.imports.base import CellReader, StockroomResource
from inventory.imports.parsers import ImportFileError, ParsedFile
from inventory.imports.plan import Plan
from inventory.models.catalog import WHOLE_UNITS, UnitOfMeasure


@dataclass(frozen=True)
class FileRow:
    """One row's cleaned cells; a cell that could not be read is None and named in `bad` (its error is on the plan)."""

    number: int
    values: dict[str, Any]
    bad: frozenset[str]


class DocumentImport(StockroomResource):
    """Rows imported into one document of `document_model`, found through its warehouse like every screen does."""

    document_model: ClassVar[type[models.Model]]
    # The model permission the import needs (the one its screen needs to change the document by hand).
    permission: ClassVar[str]
    # And the warehouse permission at the document's warehouse.
    warehouse_permission: ClassVar[str] = access.OPERATE_STOCK
    # Whether the confirm locks the document row before planning again (nobody changes it meanwhile).
    locks_document: ClassVar[bool] = False
    document: Any = None

    @property
    def import_permission(self) -> str:
        return self.permission

    @property
    def document_name(self) -> str:
        return str(self.document_model._meta.verbose_name)

    def into(self, document_id: int | None, *, user, for_apply: bool = False) -> "DocumentImport":
        if document_id is None:
            raise ImportFileError(f"Choose the {self.document_name} to import {self.title} into.")
        documents = self.document_model._default_manager.select_related("warehouse").filter(
            access.scope_q(user, self.warehouse_permission, "warehouse")
        )
        if for_apply and self.locks_document:
            documents = documents.select_for_update(of=("self",))
        document = documents.filter(pk=document_id).first()
        if document is None:
            # Missing and out of scope read the same, as the document's page answers 404 for both.
            raise ImportFileError(f"No {self.document_name} matches the given query; nothing was imported.")
        problem = self.document_problem(document)
        if problem:
            raise ImportFileError(problem)
        bound = copy.copy(self)
        bound.document = document
        return bound

    def document_problem(self, document) -> str:
        """Why the document takes no import in its state, or ""."""
        raise NotImplementedError

    def matching_words(self, document) -> str:
        """How the import page says rows are matched to what `document` holds."""
        raise NotImplementedError

    def read_rows(self, parsed: ParsedFile, plan: Plan) -> list[FileRow]:
        """Every row's cells, each problem an error on the plan, so a file's every error shows at once.

        A row whose key (the SKU) appeared on an earlier row is an error naming that row and is left out.
        """
        readers = [(index, header, CellReader(self.column(header))) for index, header in enumerate(parsed.headers)]
        missing = [column.key for column in self.import_columns if column.key not in parsed.headers]
        width = len(parsed.headers)
        key = self.key_columns[0]
        first_seen: dict[Any, int] = {}
        rows = []
        for number, raw in parsed.rows:
            read = self.row_values(number, raw, width, readers, plan)
            if read is None:
                continue
            values, bad = {**dict.fromkeys(missing), **read[0]}, read[1]
            sku = values[key]
            if key not in bad and not sku:
                plan.error(number, key, f"Enter the {self.column(key).title}.")
                bad.add(key)
            elif sku in first_seen:
                plan.error(number, key, f"{sku} appears more than once in the file (first on row {first_seen[sku]}).")
                continue
            elif sku:
                first_seen[sku] = number
            rows.append(FileRow(number, values, frozenset(bad)))
        return rows


def fraction_problem(sku: str, unit: str, quantity) -> str:
    """The words for a fraction of a product counted in whole units, or "" when the quantity is fine."""
    if unit in WHOLE_UNITS and quantity != quantity.to_integral_value():
        return f"{sku} is counted in whole units ({UnitOfMeasure(unit).label.lower()}); got {quantity.normalize():f}."
    return ""
