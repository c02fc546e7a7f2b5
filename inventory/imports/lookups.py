"""Rows by natural key in a few large queries: the bulk look-ups every import plans with."""

from collections.abc import Iterable
from itertools import batched

from django.db import connections, models
from django.db.models import Field, Lookup

LOOKUP_CHUNK = 2000
ANY_CHUNK = 50_000


@Field.register_lookup
class AnyOf(Lookup):
    """`field = ANY(%s)` with the list as one array parameter (PostgreSQL only)."""

    lookup_name = "stockroom_any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def matching(queryset: models.QuerySet, field_name: str, keys: Iterable, *fields: str) -> Iterable[tuple]:
    """Rows whose `field_name` is one of `keys`, as values_list(*fields), in a few large queries.

    PostgreSQL takes the keys as one array parameter (`= ANY(%s)`), which is much cheaper to send and
    plan than an IN list of thousands of placeholders; other databases get IN lists of bounded size.
    """
    keys = sorted(set(keys))
    if connections[queryset.db].vendor == "postgresql":
        lookup, size = f"{field_name}__{AnyOf.lookup_name}", ANY_CHUNK
    else:
        lookup, size = f"{field_name}__in", LOOKUP_CHUNK
    for chunk in batched(keys, size):
        yield from queryset.filter(**{lookup: list(chunk)}).values_list(*fields).iterator(chunk_size=size)


def ids_by(model: type[models.Model], field_name: str, keys: Iterable[str]) -> dict[str, int]:
    """{key: pk} for the rows of `model` whose `field_name` is one of `keys`."""
    return dict(matching(model.objects.all(), field_name, keys, field_name, "pk"))
