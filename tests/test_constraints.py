"""Invariants the database itself enforces, whatever code writes."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import MovementKind, Product, StockLevel, StockMovement
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_sku_is_normalized_and_unique_case_insensitively():
    product = ProductFactory(sku="  abc-1 ")
    assert product.sku == "ABC-1"
    duplicate = Product(sku="abc-1", name="Dup", category=CategoryFactory())
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "sku" in error.value.message_dict


def test_barcode_unique_when_present_and_blank_allowed_many_times():
    ProductFactory(barcode="")
    ProductFactory(barcode=None)
    ProductFactory(barcode="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(barcode="123")


def test_stock_level_cannot_go_negative_in_the_database():
    level = StockLevelFactory(on_hand=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(on_hand=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=Decimal("-1"))


def test_one_stock_level_per_product_and_warehouse():
    level = StockLevelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(product=level.product, warehouse=level.warehouse)


@pytest.mark.parametrize(
    "kind,quantity",
    [(MovementKind.RECEIPT, -1), (MovementKind.ISSUE, 1), (MovementKind.TRANSFER_IN, -1), (MovementKind.ADJUSTMENT, 0)],
)
def test_movement_quantity_sign_follows_its_kind(kind, quantity):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(
            kind=kind,
            product=ProductFactory(),
            warehouse=WarehouseFactory(),
            quantity=quantity,
            balance_after=5,
            created_at=timezone.now(),
        )
