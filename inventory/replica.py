"""Reports and exports read from a replica when one is configured; everything else stays on the primary.

`DATABASE_REPLICA_URL` adds the `replica` database. Code that only reads, and may read a few seconds
behind (a report page, an export being written), runs inside `replica_reads()`; the router then sends
its ORM reads there and `read_connection()` gives raw SQL the same connection. Writes always go to the
primary, and so does every read outside the block: a posting, a form that reads back what it saved, the
job records. Without a replica the block changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading = ContextVar("stockroom_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_alias() -> str:
    return REPLICA if _reading.get() and REPLICA in settings.DATABASES else DEFAULT_DB_ALIAS


def read_connection():
    """The connection raw report SQL runs on: the replica inside replica_reads(), else the primary."""
    return connections[read_alias()]


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS  # a streaming replica gets its schema from the primary
