"""Pages run a number of queries that does not grow with their rows (no query per row or per inline)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import AuditEntry, DataJob, StockLevel, Warehouse
from tests.factories import ProductFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def warehouses(count: int) -> list[Warehouse]:
    return [WarehouseFactory(code=f"W{n:03d}") for n in range(count)]


def test_the_product_page_costs_the_same_with_10_or_200_stock_levels(admin_client):
    few, many = ProductFactory(sku="FEW"), ProductFactory(sku="MANY")
    sites = warehouses(200)
    StockLevel.objects.bulk_create(StockLevel(product=few, warehouse=w, on_hand=Decimal(1)) for w in sites[:10])
    StockLevel.objects.bulk_create(StockLevel(product=many, warehouse=w, on_hand=Decimal(1)) for w in sites)

    small = queries(admin_client, f"/admin/inventory/product/{few.pk}/change/")
    large = queries(admin_client, f"/admin/inventory/product/{many.pk}/change/")

    assert large == small, f"{small} queries with 10 stock levels, {large} with 200"


def _fill(kind: str, count: int, user):
    if kind == "product":
        for _ in range(count):
            ProductFactory()
    elif kind == "supplier":
        for _ in range(count):
            SupplierFactory()
    elif kind == "stocklevel":
        product = ProductFactory()
        StockLevel.objects.bulk_create(
            StockLevel(product=product, warehouse=w, on_hand=Decimal(1)) for w in warehouses(count)
        )
    elif kind == "stockmovement":
        warehouse = Warehouse.objects.first() or WarehouseFactory(code="MOV")
        for _ in range(count):
            services.receive(user=user, product=ProductFactory(), warehouse=warehouse, quantity=1, unit_cost=1)
    elif kind in ("purchaseorder", "goodsreceipt"):
        warehouse = Warehouse.objects.first() or WarehouseFactory(code="PO")
        for _ in range(count):
            _order_with(user, warehouse, lines=1, received=kind == "goodsreceipt")
    elif kind == "transferorder":
        source = Warehouse.objects.filter(code="TO-A").first() or WarehouseFactory(code="TO-A")
        destination = Warehouse.objects.filter(code="TO-B").first() or WarehouseFactory(code="TO-B")
        for _ in range(count):
            _transfer_with(user, source, destination, lines=1)
    elif kind == "stockcount":
        for _ in range(count):
            _count_with(user, WarehouseFactory(), lines=1)
    elif kind == "datajob":
        DataJob.objects.bulk_create(
            DataJob(kind="export", title=f"Job {n}", created_by=user, status="running", rows_total=10)
            for n in range(count)
        )
    else:
        _many(kind, count, user)


def _order_with(user, warehouse, *, lines: int, received: bool):
    """A placed order with `lines` lines, half of each received in one goods receipt when `received`."""
    from inventory.services import purchasing
    from inventory.services.submissions import new_submission_key
    from tests.factories import ordered_po

    order = ordered_po(user, warehouse, *((ProductFactory(), 2, 1) for _ in range(lines)))
    if received:
        quantities = {line.pk: 1 for line in order.lines.all()}
        purchasing.receive_order(user=user, order=order, quantities=quantities, submission_key=new_submission_key())
    return order


def _transfer_with(user, source, destination, *, lines: int):
    """A shipped transfer with `lines` lines, half of each received."""
    from inventory.services import transfers
    from inventory.services.submissions import new_submission_key

    products = [ProductFactory() for _ in range(lines)]
    for product in products:
        services.receive(user=user, product=product, warehouse=source, quantity=2, unit_cost=1)
    order = transfers.create_order(
        user=user, source=source, warehouse=destination, lines=[(product, 2) for product in products]
    )
    transfers.ship(user=user, order=order, submission_key=new_submission_key())
    quantities = {line.pk: 1 for line in order.lines.all()}
    transfers.receive(user=user, order=order, quantities=quantities, submission_key=new_submission_key())
    return order


def _count_with(user, warehouse, *, lines: int, entries: int = 0):
    """An open stock count of `lines` stocked products, with `entries` scans spread over them."""
    from inventory.services import counts

    products = [ProductFactory() for _ in range(lines)]
    StockLevel.objects.bulk_create(StockLevel(product=p, warehouse=warehouse, on_hand=Decimal(3)) for p in products)
    count = counts.open_count(user=user, warehouse=warehouse)
    for n in range(entries):
        counts.record_entry(user=user, count=count, code=products[n % lines].sku)
    return count


LISTS = {
    "product": "/admin/inventory/product/",
    "supplier": "/admin/inventory/supplier/",
    "stocklevel": "/admin/inventory/stocklevel/",
    "stockmovement": "/admin/inventory/stockmovement/",
    "datajob": "/admin/inventory/datajob/",
    "purchaseorder": "/admin/inventory/purchaseorder/",
    "goodsreceipt": "/admin/inventory/goodsreceipt/",
    "transferorder": "/admin/inventory/transferorder/",
    "stockcount": "/admin/inventory/stockcount/",
    "category": "/admin/inventory/category/",
    "warehouse": "/admin/inventory/warehouse/",
    "accessevent": "/admin/inventory/accessevent/",
    "securityevent": "/admin/inventory/securityevent/",
    "accessattempt": "/admin/axes/accessattempt/",
    "user": "/admin/auth/user/",
    "group": "/admin/inventory/role/",
}


@pytest.mark.parametrize("kind", list(LISTS))
def test_a_changelist_costs_the_same_with_10_or_50_rows(admin_client, superuser, kind):
    _fill(kind, 10, superuser)
    small = queries(admin_client, LISTS[kind])
    _fill(kind, 40, superuser)
    large = queries(admin_client, LISTS[kind])

    assert large == small, f"{kind}: {small} queries with 10 rows, {large} with 50"


def test_the_audit_log_costs_the_same_with_10_or_50_entries(admin_client, superuser):
    product = ProductFactory()
    for n in range(10):
        product.name = f"Renamed {n}"
        product.save()
    small = queries(admin_client, "/admin/audit/")
    for n in range(40):
        product.name = f"Again {n}"
        product.save()
    large = queries(admin_client, "/admin/audit/")

    assert AuditEntry.objects.count() >= 50
    assert large == small


def _many(kind: str, count: int, user) -> None:
    """`count` more rows of the kind each remaining changelist shows."""
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group

    from inventory.models import AccessEvent, Category, SecurityEvent

    if kind == "category":
        parent = Category.objects.first() or Category.objects.create(name="Root")
        Category.objects.bulk_create(Category(name=f"Cat {user.pk}-{n}-{count}", parent=parent) for n in range(count))
    elif kind == "warehouse":
        start = Warehouse.objects.count()
        Warehouse.objects.bulk_create(
            Warehouse(code=f"Q{start + n:04d}", name=f"Site {start + n}") for n in range(count)
        )
    elif kind == "accessevent":
        group = Group.objects.first()
        AccessEvent.objects.bulk_create(
            AccessEvent(action="join", actor=user, user=user, group=group) for _ in range(count)
        )
    elif kind == "securityevent":
        SecurityEvent.objects.bulk_create(
            SecurityEvent(kind="sign_in", outcome="success", user=user, username=user.username) for _ in range(count)
        )
    elif kind == "accessattempt":
        start = AccessAttempt.objects.count()
        AccessAttempt.objects.bulk_create(
            AccessAttempt(
                username=f"guess{start + n}",
                ip_address="10.0.0.1",
                failures_since_start=1,
                get_data="",
                post_data="",
                http_accept="",
                path_info="/admin/login/",
                user_agent="x",
            )
            for n in range(count)
        )
    elif kind == "user":
        from tests.factories import UserFactory

        clerk_group = Group.objects.get(name="Clerk")
        for _ in range(count):
            UserFactory(roles=[]).groups.add(clerk_group)
    elif kind == "group":
        start = Group.objects.count()
        Group.objects.bulk_create(Group(name=f"Team {start + n}") for n in range(count))


def _change_page_with(kind: str, related: int, user) -> str:
    """The change page of one object with `related` rows hanging off it."""
    from django.contrib.auth.models import Group

    from inventory.models import Category
    from tests.factories import UserFactory

    if kind == "category":
        category = Category.objects.create(name=f"Holds {related}")
        for _ in range(related):
            ProductFactory(category=category)
        return f"/admin/inventory/category/{category.pk}/change/"
    if kind == "supplier":
        supplier = SupplierFactory()
        for _ in range(related):
            ProductFactory(default_supplier=supplier)
        return f"/admin/inventory/supplier/{supplier.pk}/change/"
    if kind == "warehouse":
        warehouse = WarehouseFactory(code=f"HOLD{related}")
        product = ProductFactory()
        for _ in range(related):
            services.receive(user=user, product=product, warehouse=warehouse, quantity=1, unit_cost=1)
        return f"/admin/inventory/warehouse/{warehouse.pk}/change/"
    if kind == "user":
        member = UserFactory()
        start = Group.objects.count()
        groups = Group.objects.bulk_create(Group(name=f"Crew {start + n}") for n in range(related))
        member.groups.add(*groups)
        return f"/admin/auth/user/{member.pk}/change/"
    if kind == "group":
        group = Group.objects.create(name=f"Big {related}")
        for _ in range(related):
            UserFactory().groups.add(group)
        return f"/admin/inventory/role/{group.pk}/change/"
    if kind == "stockmovement":
        product, warehouse = ProductFactory(), WarehouseFactory(code=f"MV{related}")
        for _ in range(related):
            movement = services.receive(user=user, product=product, warehouse=warehouse, quantity=1, unit_cost=1)
        return f"/admin/inventory/stockmovement/{movement.pk}/change/"
    if kind == "purchaseorder":
        order = _order_with(user, WarehouseFactory(code=f"PO{related}"), lines=related, received=True)
        return f"/admin/inventory/purchaseorder/{order.pk}/change/"
    if kind == "goodsreceipt":
        order = _order_with(user, WarehouseFactory(code=f"GR{related}"), lines=related, received=True)
        return f"/admin/inventory/goodsreceipt/{order.receipts.get().pk}/change/"
    if kind == "transferorder":
        source, destination = WarehouseFactory(code=f"TA{related}"), WarehouseFactory(code=f"TB{related}")
        order = _transfer_with(user, source, destination, lines=related)
        return f"/admin/inventory/transferorder/{order.pk}/change/"
    if kind == "stockcount":
        count = _count_with(user, WarehouseFactory(code=f"CNT{related}"), lines=related, entries=related)
        return f"/admin/inventory/stockcount/{count.pk}/change/"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "category",
        "supplier",
        "warehouse",
        "user",
        "group",
        "stockmovement",
        "purchaseorder",
        "goodsreceipt",
        "transferorder",
        "stockcount",
    ],
)
def test_a_change_page_costs_the_same_with_10_or_200_related_rows(admin_client, superuser, kind):
    few = _change_page_with(kind, 10, superuser)
    admin_client.get(few)  # once first: the session's one-time checks and cold caches are not the page's
    small = queries(admin_client, few)
    large = queries(admin_client, _change_page_with(kind, 200, superuser))

    assert large == small, f"{kind}: {small} queries with 10 related rows, {large} with 200"


def test_the_transfer_receive_screen_costs_the_same_with_10_or_100_lines_in_transit(admin_client, superuser):
    few = _transfer_with(superuser, WarehouseFactory(code="RA1"), WarehouseFactory(code="RB1"), lines=10)
    many = _transfer_with(superuser, WarehouseFactory(code="RA2"), WarehouseFactory(code="RB2"), lines=100)
    admin_client.get(f"/admin/inventory/transferorder/{few.pk}/receive/")

    small = queries(admin_client, f"/admin/inventory/transferorder/{few.pk}/receive/")
    large = queries(admin_client, f"/admin/inventory/transferorder/{many.pk}/receive/")

    assert large == small, f"{small} queries with 10 lines, {large} with 100"


@pytest.mark.parametrize("page", ["review", "scan"])
def test_a_count_review_and_scan_page_cost_the_same_with_10_or_200_lines(admin_client, superuser, page):
    few = _count_with(superuser, WarehouseFactory(code="FEW"), lines=10, entries=10)
    many = _count_with(superuser, WarehouseFactory(code="MANY"), lines=200, entries=200)
    admin_client.get(f"/admin/inventory/stockcount/{few.pk}/{page}/")

    small = queries(admin_client, f"/admin/inventory/stockcount/{few.pk}/{page}/")
    large = queries(admin_client, f"/admin/inventory/stockcount/{many.pk}/{page}/")

    assert large == small, f"{page}: {small} queries with 10 lines, {large} with 200"
