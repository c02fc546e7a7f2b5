"""The set-based import: parse once, validate every row with bulk natural-key lookups, then apply in one go.

`preview_import` classifies each row as new, updated, unchanged or error and
writes nothing. `apply_import` re-validates inside one transaction, refuses
when the outcome differs from the preview it is confirming, and has the
resource write new and changed rows with their history (acting user and change
reason on every history row). Unchanged rows are never saved, so a re-import
adds no history. Stock counts go through `services.set_count`, never to StockLevel.
"""

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from django.conf import settings
from django.db import transaction

from inventory.imports import cells
from inventory.imports.base import StockroomResource
from inventory.imports.parsers import ImportFileError, parse_file
from inventory.imports.plan import ImportRejected, Plan
from inventory.imports.resources import RESOURCES
from inventory.imports.writes import CHANGED_SINCE_PREVIEW
from inventory.services.submissions import Taken, once


@dataclass(frozen=True)
class ConfirmedImport:
    """A previewed file its user confirmed: what the session keeps, an import job's spec holds, and what
    `apply` imports, exactly as previewed (same bytes, same outcome) and at most once per submission key."""

    resource: str
    filename: str
    sha256: str
    digest: str
    rows: int
    fmt: str = ""
    delimiter: str = ""
    decimal: str = ""
    submission_key: str = ""
    path: str = ""  # the stored upload
    document: int | None = None  # the PO or count session the rows go into, for document imports

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ConfirmedImport":
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})

    @property
    def options(self) -> dict:
        return {"fmt": self.fmt, "delimiter": self.delimiter, "decimal": self.decimal}

    def apply(self, data: bytes, *, user, on_progress=None, on_applied=None) -> Plan:
        return apply_import(
            self.resource,
            data,
            user=user,
            filename=self.filename,
            **self.options,
            expected_digest=self.digest,
            expected_sha256=self.sha256,
            submission_key=self.submission_key,
            on_progress=on_progress,
            on_applied=on_applied,
            document=self.document,
        )


def check_permission(user, resource: StockroomResource) -> None:
    """Only users with the model's import permission may import (and the resource's own conditions)."""
    problem = resource.permission_problem(user)
    if problem:
        raise ImportFileError(problem)


def preview_import(
    resource_name: str,
    data: bytes,
    *,
    user,
    filename: str = "",
    fmt: str = "",
    delimiter: str = "",
    decimal: str = "",
    document: int | None = None,
) -> Plan:
    """Validate the file and say what importing it (into `document`, for a document import) would do; writes nothing."""
    resource = RESOURCES[resource_name]
    check_permission(user, resource)
    resource = resource.into(document, user=user)
    parsed = parse_file(data, filename=filename, fmt=fmt, delimiter=delimiter, decimal=decimal)
    return plan_rows(resource, parsed, user)


def apply_import(
    resource_name: str,
    data: bytes,
    *,
    user,
    filename: str = "",
    fmt: str = "",
    delimiter: str = "",
    decimal: str = "",
    expected_digest: str = "",
    expected_sha256: str = "",
    on_progress: Callable[[int], None] | None = None,
    submission_key: str = "",
    on_applied: Callable[[Plan], None] | None = None,
    document: int | None = None,
) -> Plan:
    """Import the file (into `document`, for a document import) all or nothing; refuse errors or a changed outcome.

    With a submission key the import applies at most once: a second confirm of the
    same preview (a double click, two tabs, a retried job) raises AlreadySubmitted
    and writes nothing. `on_applied` runs inside the import's transaction, so what
    it records (a job marked done) commits with the rows or not at all. The document is
    fetched again inside the transaction (locked, where its import says so), so its scope
    and state are judged as they stand when the rows are written.
    """
    resource = RESOURCES[resource_name]
    check_permission(user, resource)
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise ImportRejected("The uploaded file changed after the preview; nothing was imported.")
    parsed = parse_file(data, filename=filename, fmt=fmt, delimiter=delimiter, decimal=decimal)
    reason = f"import {filename or resource.title}"[:100]
    guard = (
        once(key=submission_key, user=user, purpose=f"import {resource.slug}")
        if submission_key
        else contextlib.nullcontext(Taken())
    )
    with guard as taken, transaction.atomic():
        bound = resource.into(document, user=user, for_apply=True)
        plan = plan_rows(bound, parsed, user)
        if not plan.is_valid:
            raise ImportRejected(f"{len(plan.errors)} problems were found; nothing was imported.", plan)
        if expected_digest and plan.digest != expected_digest:
            raise ImportRejected(CHANGED_SINCE_PREVIEW, plan)
        bound.apply(plan, user=user, reason=reason, on_progress=on_progress)
        counts = plan.counts
        taken.result = {
            "message": f"{filename or resource.title} was already imported: {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged. Nothing was imported again.",
            "counts": counts,
        }
        if on_applied is not None:
            on_applied(plan)
    return plan


def expected_seconds(resource_name: str, rows: int) -> float:
    """What applying `rows` rows of this resource costs, from the path's measured cost per row."""
    return rows * RESOURCES[resource_name].seconds_per_row


def runs_in_background(resource_name: str, rows: int) -> bool:
    """Whether a confirmed import must run as a job: it would not finish well inside a request.

    The decision is the expected cost against the request budget (well under the
    server's timeout), with the row limit kept as a hard cap.
    """
    return (
        rows > settings.STOCKROOM_BACKGROUND_ROWS
        or expected_seconds(resource_name, rows) > settings.STOCKROOM_REQUEST_BUDGET_SECONDS
    )


def plan_rows(resource: StockroomResource, parsed, user) -> Plan:
    """Check headers, then have the resource classify every row."""
    resource.check_headers(parsed.headers)
    plan = Plan(resource.slug, total=len(parsed.rows))
    with cells.reading(decimal_separator=parsed.decimal_separator):
        resource.plan(parsed, plan, user=user)
    plan.errors.sort(key=lambda error: error.row)
    return plan
