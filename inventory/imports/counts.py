"""Stock count imports: counted quantities per SKU and warehouse, posted through the stock services."""

from decimal import Decimal

from inventory import access, services
from inventory.imports.base import StockroomResource
from inventory.imports.lookups import matching
from inventory.imports.parsers import ParsedFile
from inventory.imports.plan import CountedRow, ImportRejected, Plan
from inventory.models import Product, StockLevel, Warehouse
from inventory.models.catalog import WHOLE_UNITS


class CountImport(StockroomResource):
    """Plans a count per row against the stored level; applies each difference as an adjustment."""

    def permission_problem(self, user) -> str:
        problem = super().permission_problem(user)
        if not problem and not user.has_perm("inventory.post_adjustment"):
            return "Importing stock counts posts adjustments, and you are not allowed to adjust stock."
        return problem

    def plan(self, parsed: ParsedFile, plan: Plan, *, user) -> None:
        rows = self.clean_rows(parsed, plan)
        known = _Known(rows, user)
        for number, values in rows:
            problems = known.problems(values)
            for column, message in problems:
                plan.error(number, column, message)
            if not problems:
                self._plan_count(number, values, known, plan)

    def _plan_count(self, number: int, values: dict, known: "_Known", plan: Plan) -> None:
        sku, code, counted = values["sku"], values["warehouse"], values["counted"]
        product_id, warehouse_id = known.products[sku][0], known.warehouses[code][0]
        current = known.levels.get((product_id, warehouse_id))
        if current == counted or (current is None and counted == 0):
            plan.same(number, (sku, code))
            return
        row = CountedRow(number, product_id, warehouse_id, counted)
        if current is None:
            plan.create(row, (sku, code), ["counted"])
        else:
            plan.update(row, (sku, code), ["counted"])

    def apply(self, plan: Plan, *, user, reason: str, on_progress) -> None:
        """Post the difference of each count as an adjustment through the stock services."""
        rows: list[CountedRow] = [*plan.creates, *plan.updates]
        products = Product.objects.in_bulk({row.product_id for row in rows})
        warehouses = Warehouse.objects.in_bulk({row.warehouse_id for row in rows})
        for done, row in enumerate(rows, start=1):
            try:
                services.set_count(
                    user=user,
                    product=products[row.product_id],
                    warehouse=warehouses[row.warehouse_id],
                    counted=row.counted,
                    reference=reason[:64],
                    reason="Stock count import",
                )
            except services.DomainError as error:
                # A rule only the posting can check (a level moved since the preview): nothing is kept.
                plan.error(row.number, "counted", error.message)
                raise ImportRejected(f"Row {row.number}: {error.message} Nothing was imported.", plan) from None
            if on_progress:
                on_progress(done)  # cheap: the job's heartbeat thread writes it, a few times a minute


class _Known:
    """The products, warehouses (in the user's scope) and stored levels a count file names, in bulk."""

    def __init__(self, rows: list[tuple[int, dict]], user):
        skus = (values["sku"] for _, values in rows)
        self.products = {
            sku: (pk, active, unit)
            for sku, pk, active, unit in matching(Product.objects.all(), "sku", skus, "sku", "pk", "is_active", "unit")
        }
        codes = {values["warehouse"] for _, values in rows}
        self.warehouses = {
            code: (pk, active)
            for code, pk, active in Warehouse.objects.filter(code__in=codes).values_list("code", "pk", "is_active")
        }
        self.scope = access.warehouse_ids_for(user, access.MANAGE_STOCK)
        product_ids = (self.products[v["sku"]][0] for _, v in rows if v["sku"] in self.products)
        fields = ("product_id", "warehouse_id", "on_hand")
        found = matching(StockLevel.objects.all(), "product__id", product_ids, *fields)
        self.levels: dict[tuple[int, int], Decimal] = {
            (product_id, warehouse_id): on_hand for product_id, warehouse_id, on_hand in found
        }

    def problems(self, values: dict) -> list[tuple[str, str]]:
        sku, code, counted = values["sku"], values["warehouse"], values["counted"]
        problems = []
        if sku not in self.products:
            problems.append(("sku", f"SKU {sku} does not exist."))
        elif not self.products[sku][1]:
            problems.append(("sku", f"{sku} is inactive; activate it before counting it."))
        if code not in self.warehouses or (self.scope is not access.ALL and self.warehouses[code][0] not in self.scope):
            # An unknown code and one outside the user's scope read the same: a row says nothing of other warehouses.
            problems.append(("warehouse", access.not_one_of_yours(code)))
        elif not self.warehouses[code][1]:
            problems.append(("warehouse", f"Warehouse {code} is inactive."))
        if counted is None:
            problems.append(("counted", "Enter the counted quantity."))
        elif sku in self.products and self.products[sku][2] in WHOLE_UNITS and counted != counted.to_integral_value():
            problems.append(("counted", f"{sku} is counted in whole units; got {counted.normalize():f}."))
        return problems
