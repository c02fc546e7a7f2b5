"""factory_boy factories for the domain."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from guardian.shortcuts import assign_perm

from inventory.models import Category, Product, StockLevel, Supplier, Warehouse
from inventory.services import purchasing


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=role))
        self.save()


class SuperuserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_superuser = True


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.LazyAttribute(lambda w: f"Warehouse {w.code}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"SUP{n}")
    name = factory.Sequence(lambda n: f"Supplier {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    default_supplier = factory.SubFactory(SupplierFactory)
    cost_price = Decimal("10.00")
    sale_price = Decimal("15.00")
    reorder_point = Decimal("5")
    reorder_quantity = Decimal("20")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = Decimal("0")


def grant(user, permission: str, *warehouses: Warehouse) -> None:
    """Give a user a warehouse permission (view_stock, operate_stock, manage_stock)."""
    for warehouse in warehouses:
        assign_perm(f"inventory.{permission}", user, warehouse)
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_stockroom_warehouse_scope"):
        if hasattr(user, attr):
            delattr(user, attr)


def ordered_po(user, warehouse, *lines, supplier=None):
    """A placed order for `warehouse` with (product, quantity, unit cost) lines, made through the services."""
    order = purchasing.create_order(
        user=user, supplier=supplier or SupplierFactory(), warehouse=warehouse, lines=list(lines)
    )
    purchasing.place_order(user=user, order=order)
    return order
