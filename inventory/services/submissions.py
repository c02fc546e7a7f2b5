"""Exactly once: a form that changes data carries a key, and the database takes each key once.

The key is inserted in the same transaction as the write it guards, so a failed
write frees it and a repeated submission (double click, retry, second tab) finds
it taken: it is answered with the first submission's result and applies nothing.
There is no check-then-act: the unique index decides, also between racing requests.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from inventory.models import Submission
from inventory.services.errors import DomainError

EXPIRED_FORM = "This form has expired; reload the page and try again."


class AlreadySubmitted(DomainError):
    """This submission was applied before; `.result` is what it answered then."""

    def __init__(self, result: dict):
        super().__init__(result.get("message") or "This was already submitted; nothing was applied again.")
        self.result = result


@dataclass
class Taken:
    """What the guarded block sets for a repeat to be answered with."""

    result: dict = field(default_factory=dict)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


@contextmanager
def once(*, key: str, user: User | None, purpose: str) -> Iterator[Taken]:
    """Run the block at most once per key, atomically with the key; a repeat raises AlreadySubmitted."""
    if not key:
        raise DomainError(EXPIRED_FORM)
    taken = Taken()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = Submission.objects.create(key=key, purpose=purpose, user=user if user and user.pk else None)
        except IntegrityError:
            # The key is taken: by a committed submission (a racing one waits for it to commit first).
            first = Submission.objects.filter(key=key).values_list("result", flat=True).first()
            raise AlreadySubmitted(first or {}) from None
        yield taken
        row.result = taken.result
        row.save(update_fields=["result"])
