"""Demo data for `make run`: small, consistent (movements posted through the services), fast."""

import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from inventory import services
from inventory.models import Category, Product, Supplier, Warehouse
from inventory.services import purchasing, transfers
from inventory.services.submissions import new_submission_key

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


def demo_spec() -> dict:
    return json.loads(DEMO_FILE.read_text())


def is_loaded() -> bool:
    return User.objects.filter(username="admin").exists() and Warehouse.objects.filter(code="MAIN").exists()


def _categories(tree: dict, parent: Category | None = None) -> list[Category]:
    leaves = []
    for name, children in tree.items():
        category = Category.objects.create(name=name, parent=parent)
        leaves += _categories(children, category) if children else [category]
    return leaves


def _users(spec: dict) -> User:
    admin_user = None
    for entry in spec["users"]:
        user = User(username=entry["username"], email=f"{entry['username']}@stockroom.example", is_staff=True)
        user.is_superuser = bool(entry.get("superuser"))
        user.set_password(entry["password"])
        user.save()
        if entry.get("role"):
            user.groups.add(Group.objects.get(name=entry["role"]))
        for code, permission in entry.get("grants", {}).items():
            assign_perm(f"inventory.{permission}", user, Warehouse.objects.get(code=code))
        if user.is_superuser:
            admin_user = user
    return admin_user


@transaction.atomic
def load_demo(seed: int = 7) -> dict:
    """Create warehouses, catalog, users and a month of movements; returns counts."""
    spec = demo_spec()
    rng = random.Random(seed)
    warehouses = [Warehouse.objects.create(**entry) for entry in spec["warehouses"]]
    leaves = _categories(spec["categories"])
    suppliers = [
        Supplier.objects.create(
            code=f"SUP-{n:03d}",
            name=f"{rng.choice(['Acme', 'Northwind', 'Globex', 'Initech', 'Umbrella', 'Stark'])} Supplies {n}",
            contact_name=f"Contact {n}",
            email=f"orders{n}@supplier.example",
            lead_time_days=rng.choice([2, 3, 5, 7, 10, 14]),
        )
        for n in range(1, spec["supplier_count"] + 1)
    ]
    products = []
    for n in range(1, spec["product_count"] + 1):
        cost = Decimal(rng.randint(50, 20000)) / 100
        products.append(
            Product.objects.create(
                sku=f"SKU-{n:04d}",
                name=f"{rng.choice(spec['product_adjectives'])} {rng.choice(spec['product_nouns'])} {n}",
                category=rng.choice(leaves),
                default_supplier=rng.choice(suppliers),
                barcode=f"50{n:011d}",
                cost_price=cost,
                sale_price=(cost * Decimal("1.4")).quantize(Decimal("0.01")),
                reorder_point=Decimal(rng.choice([5, 10, 20])),
                reorder_quantity=Decimal(rng.choice([20, 50, 100])),
            )
        )
    admin_user = _users(spec)
    movements = _movements(rng, admin_user, products, warehouses)
    orders = _purchase_orders(admin_user, products, warehouses[0])
    transfer_orders = _transfer_orders(admin_user, warehouses[0], warehouses[1])
    return {
        "warehouses": len(warehouses),
        "products": len(products),
        "suppliers": len(suppliers),
        "movements": movements,
        "purchase orders": orders,
        "transfer orders": transfer_orders,
    }


def _purchase_orders(user: User, products: list[Product], warehouse: Warehouse) -> int:
    """One order half received (a back-order to receive) and one draft to place, both into the first warehouse."""
    by_supplier: dict[int, list[Product]] = {}
    for product in products:
        by_supplier.setdefault(product.default_supplier_id, []).append(product)
    first, second = (group[:3] for group in list(by_supplier.values())[:2])
    placed = purchasing.create_order(
        user=user,
        supplier=first[0].default_supplier,
        warehouse=warehouse,
        lines=[(product, 40, product.cost_price) for product in first],
        notes="Demo: the first delivery came; the rest is on order.",
    )
    purchasing.place_order(user=user, order=placed)
    line = placed.lines.order_by("pk").first()
    purchasing.receive_order(user=user, order=placed, quantities={line.pk: 20}, submission_key=new_submission_key())
    purchasing.create_order(
        user=user,
        supplier=second[0].default_supplier,
        warehouse=warehouse,
        lines=[(product, 10, product.cost_price) for product in second],
        notes="Demo: a draft, ready to place.",
    )
    return 2


def _transfer_orders(user: User, source: Warehouse, destination: Warehouse) -> int:
    """One transfer shipped from the first warehouse to the second, in transit until it is received there."""
    levels = source.stock_levels.filter(on_hand__gte=4).select_related("product").order_by("product__sku")[:3]
    if not levels:
        return 0
    order = transfers.create_order(
        user=user,
        source=source,
        warehouse=destination,
        lines=[(level.product, int(level.on_hand // 2)) for level in levels],
        notes="Demo: shipped and in transit; receive it at the destination.",
    )
    transfers.ship(user=user, order=order, submission_key=new_submission_key())
    return 1


def _movements(rng: random.Random, user: User, products: list[Product], warehouses: list[Warehouse]) -> int:
    """Receipts first, then a month of issues and a few transfers, in time order."""
    start = timezone.now() - timedelta(days=30)
    count = 0
    stocked = rng.sample(products, 200)
    for index, product in enumerate(stocked):
        warehouse = warehouses[index % len(warehouses)]
        at = start + timedelta(minutes=index)
        services.receive(
            user=user,
            product=product,
            warehouse=warehouse,
            quantity=rng.randint(5, 120),
            unit_cost=product.cost_price,
            reference=f"PO-{1000 + index}",
            at=at,
        )
        count += 1
    for step in range(200):
        product = rng.choice(stocked)
        warehouse = warehouses[stocked.index(product) % len(warehouses)]
        at = start + timedelta(days=1 + step * 29 / 200)
        level = product.stock_levels.filter(warehouse=warehouse).first()
        if level is None or level.on_hand < 2:
            continue
        quantity = rng.randint(1, int(level.on_hand // 2))
        if step % 10 == 0:
            destination = warehouses[(warehouses.index(warehouse) + 1) % len(warehouses)]
            services.transfer(
                user=user,
                product=product,
                source=warehouse,
                destination=destination,
                quantity=quantity,
                reference=f"TR-{step}",
                at=at,
            )
            count += 2
        else:
            services.issue(
                user=user, product=product, warehouse=warehouse, quantity=quantity, reference=f"SO-{5000 + step}", at=at
            )
            count += 1
    return count
