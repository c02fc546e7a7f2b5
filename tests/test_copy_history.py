"""The history rows and audit entries the COPY path writes by hand are the ones simple-history would write.

On PostgreSQL a large import inserts products, suppliers and warehouses with COPY
(inventory/imports/writes.py) and writes their "+" history rows and audit log
entries itself. Here the same values go in once through that path and once
through `bulk_create_with_history` (simple-history's `bulk_history_create`), and
every column of the two history rows and the two audit entries must agree, but
for the ids and the timestamps they are made at.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inventory import audit
from inventory.imports import writes
from inventory.models import AuditEntry, Product, Supplier, Warehouse
from tests.factories import CategoryFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MADE_AT = {"id", "history_id", "history_date", "updated_at", "created_at", "timestamp", "object_id"}


def _cases():
    category, supplier = CategoryFactory(), SupplierFactory()
    return {
        Product: lambda key: {
            "sku": key,
            "name": "Hex bolt M8 × 40",
            "category_id": category.pk,
            "default_supplier_id": supplier.pk,
            "cost_price": Decimal("0.1250"),
            "reorder_point": Decimal("40"),
        },
        Supplier: lambda key: {"code": key, "name": f"Acme {key}", "email": "orders@acme.test"},
        Warehouse: lambda key: {"code": key, "name": f"Depot {key}"},
    }


def _written(model, pk) -> tuple[dict, dict]:
    history = model.history.model.objects.filter(**{model._meta.pk.attname: pk}).values().get()
    entry = AuditEntry.objects.filter(history_id=history["history_id"], content_type__model=model._meta.model_name)
    return history, entry.values().get()


def _comparable(values: dict, pk) -> dict:
    """The columns that must agree, the key each was written under and the record's own id masked."""
    same = {
        name: value.replace("COPY1", "ORM1") if isinstance(value, str) else value
        for name, value in values.items()
        if name not in MADE_AT
    }
    if same.get("warehouse_id") == pk:
        same["warehouse_id"] = "<pk>"
    return same


@pytest.mark.parametrize("model", [Product, Supplier, Warehouse], ids=lambda model: model.__name__)
def test_copy_history_rows_match_simple_history_bulk_create(model):
    assert connection.vendor == "postgresql"
    values_for = _cases()[model]
    user = UserFactory()
    reason = "import products.csv"
    when = timezone.now()

    writes.create_with_history(model, [values_for("COPY1")], user=user, reason=reason, when=when)
    [by_hand] = audit.bulk_create_with_history([model(**values_for("ORM1"))], model, user=user, reason=reason)
    copied = model._default_manager.exclude(pk=by_hand.pk).latest("pk")

    copy_history, copy_entry = _written(model, copied.pk)
    orm_history, orm_entry = _written(model, by_hand.pk)
    assert _comparable(copy_history, copied.pk) == _comparable(orm_history, by_hand.pk)
    assert _comparable(copy_entry, copied.pk) == _comparable(orm_entry, by_hand.pk)
    assert (copy_history["history_date"], copy_entry["timestamp"]) == (when, when)
    assert (copy_history["history_user_id"], copy_history["history_type"]) == (user.pk, "+")
    # And the stored record itself is the one save() would have written, defaults included.
    stored = model._default_manager.filter(pk__in=[copied.pk, by_hand.pk]).order_by("pk").values()
    first, second = (_comparable(row, row["id"]) for row in stored)
    assert first == second
