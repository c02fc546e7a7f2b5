"""The rows the COPY paths write by hand are the ones Django and simple-history would write.

On PostgreSQL a large import inserts products, suppliers and warehouses with COPY
(inventory/imports/writes.py) and writes their "+" history rows and audit log
entries itself; the first test puts the same values in once through that path and
once through `bulk_create_with_history`, and every column of the two history rows
and the two audit entries must agree, but for the ids and the timestamps they are
made at. The bulk writes of documents (`audit.bulk_create_with_history`,
`bulk_update_with_history`, the ledger lines of `post_legs`) also go in by COPY
(inventory/copying.py): their history rows are compared with simple-history's own
`bulk_history_create`, and their stored rows with `bulk_create`'s.
"""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from inventory import audit
from inventory.copying import insert_many
from inventory.imports import writes
from inventory.models import AuditEntry, MovementKind, Product, StockMovement, Supplier, Warehouse
from tests.factories import CategoryFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.django_db]

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
@pytest.mark.postgres
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


def _history_values(model, pks) -> list[dict]:
    rows = model.history.model.objects.filter(**{f"{model._meta.pk.attname}__in": pks}).order_by("history_id")
    return [{name: value for name, value in row.items() if name not in MADE_AT} for row in rows.values()]


@pytest.mark.parametrize("update", [False, True], ids=["created", "changed"])
def test_bulk_history_rows_are_the_ones_simple_history_writes(update):
    """audit's bulk writes insert their history rows by COPY; simple-history's bulk_history_create is the reference."""
    user = UserFactory()
    reason = "receipt PO-000001"
    values_for = _cases()[Product]
    ours = [Product(**values_for(f"OURS-{n}")) for n in range(3)]
    theirs = Product.objects.bulk_create(Product(**values_for(f"THEIRS-{n}")) for n in range(3))
    if update:
        ours = audit.bulk_create_with_history(ours, Product, user=user, reason="made")
        for product in ours + theirs:
            product.cost_price = Decimal("0.5000")
        audit.bulk_update_with_history(ours, Product, ["cost_price"], user=user, reason=reason)
        Product.objects.bulk_update(theirs, ["cost_price"])
        Product.history.model.objects.filter(id__in=[p.pk for p in ours], history_type="+").delete()
    else:
        audit.bulk_create_with_history(ours, Product, user=user, reason=reason)
    Product.history.bulk_history_create(theirs, update=update, default_user=user, default_change_reason=reason)

    mine = _history_values(Product, [p.pk for p in ours])
    reference = _history_values(Product, [p.pk for p in theirs])
    assert [row["history_type"] for row in mine] == ["~" if update else "+"] * 3
    for row in mine + reference:
        row["sku"] = row["sku"].split("-")[1]
    assert mine == reference


def test_insert_many_stores_what_bulk_create_stores():
    """Ledger lines and audit entries (a JSON column) go in by COPY on PostgreSQL: the stored rows are bulk_create's."""
    warehouse, product, user = Warehouse.objects.create(code="CPY", name="Copy"), None, UserFactory()
    product = Product.objects.create(**_cases()[Product]("CPY-1"))

    def movement(reference):
        return StockMovement(
            kind=MovementKind.RECEIPT,
            product=product,
            warehouse=warehouse,
            quantity=Decimal("2.5"),
            unit_cost=Decimal("1.2500"),
            balance_after=Decimal("2.5"),
            average_cost_after=Decimal("1.2500"),
            reference=reference,
            created_by=user,
            created_at=timezone.now(),
        )

    def entry(reason):
        return AuditEntry(
            timestamp=timezone.now(),
            action=AuditEntry.Action.CHANGED,
            content_type=ContentType.objects.get_for_model(Product),
            object_id=product.pk,
            object_repr=str(product),
            warehouse_id=warehouse.pk,
            user_id=user.pk,
            reason=reason,
            changes=[{"field": "On hand", "old": "1", "new": "2 ½"}],
        )

    for model, make, masked in ((StockMovement, movement, "reference"), (AuditEntry, entry, "reason")):
        [copied] = insert_many(model, [make("same")])
        [created] = model.objects.bulk_create([make("same")])
        assert copied.pk and not copied._state.adding
        stored = model.objects.filter(pk__in=[copied.pk, created.pk]).order_by("pk").values()
        first, second = ({k: v for k, v in row.items() if k not in MADE_AT} for row in stored)
        assert first == second and first[masked] == "same"
