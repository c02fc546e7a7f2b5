"""The catalog: categories, suppliers and products."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

from inventory.acting import history_user

CATEGORY_PATH_SEPARATOR = "/"


def normalize_sku(value: str) -> str:
    """SKUs are compared trimmed and in upper case."""
    return (value or "").strip().upper()


class Category(models.Model):
    """A node of the category tree."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=500, editable=False, db_index=True, help_text="Names from the root, '/'-joined.")
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["path"]
        permissions = [("import_category", "Can import categories"), ("export_category", "Can export categories")]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_unique_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="category_root_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.path or self.name

    def clean(self):
        if CATEGORY_PATH_SEPARATOR in self.name:
            raise ValidationError({"name": f"A category name cannot contain '{CATEGORY_PATH_SEPARATOR}'."})
        ancestor = self.parent
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A category cannot be placed under itself."})
            ancestor = ancestor.parent

    def build_path(self) -> str:
        self.name = self.name.strip()
        if self.parent_id is None:
            return self.name
        return f"{self.parent.path}{CATEGORY_PATH_SEPARATOR}{self.name}"

    def save(self, *args, **kwargs):
        old_path = self.path
        self.path = self.build_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save()


class Supplier(models.Model):
    """A company we buy from."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    lead_time_days = models.PositiveIntegerField(default=7)
    is_active = models.BooleanField("active", default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["code"]
        permissions = [("import_supplier", "Can import suppliers"), ("export_supplier", "Can export suppliers")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class UnitOfMeasure(models.TextChoices):
    EACH = "ea", "Each"
    BOX = "box", "Box"
    KG = "kg", "Kilogram"
    METRE = "m", "Metre"
    LITRE = "l", "Litre"


# Units counted in whole pieces: a quantity of 2.5 of these is a typing error, not a measurement.
WHOLE_UNITS = frozenset({UnitOfMeasure.EACH, UnitOfMeasure.BOX})


class Product(models.Model):
    """Something we stock, identified by its SKU."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    default_supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    unit = models.CharField("unit of measure", max_length=8, choices=UnitOfMeasure.choices, default=UnitOfMeasure.EACH)
    barcode = models.CharField(max_length=64, null=True, blank=True)
    cost_price = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    sale_price = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    reorder_point = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    reorder_quantity = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    over_receipt_tolerance = models.DecimalField(
        "over-receipt tolerance (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="How far past the quantity ordered a delivery may go, in percent. Empty: the global setting.",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    @property
    def is_whole_unit(self) -> bool:
        return self.unit in WHOLE_UNITS

    def format_quantity(self, value: Decimal) -> str:
        """A quantity of this product as people read it: 5.000 -> "5" (each, box), 2.500 -> "2.5" (kg), 1250 ->
        "1,250"."""
        value = Decimal(value)
        if self.is_whole_unit and value == value.to_integral_value():
            return f"{value:,.0f}"
        return format(value.normalize(), ",f")

    class Meta:
        ordering = ["sku"]
        permissions = [("import_product", "Can import products"), ("export_product", "Can export products")]
        constraints = [
            models.UniqueConstraint(
                fields=["barcode"],
                condition=Q(barcode__isnull=False) & ~Q(barcode=""),
                name="product_barcode_unique_when_present",
            ),
            models.CheckConstraint(condition=Q(sku=Upper("sku")), name="product_sku_upper"),
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="product_cost_price_gte_0"),
            models.CheckConstraint(condition=Q(sale_price__gte=0), name="product_sale_price_gte_0"),
            models.CheckConstraint(condition=Q(reorder_point__gte=0), name="product_reorder_point_gte_0"),
            models.CheckConstraint(condition=Q(reorder_quantity__gte=0), name="product_reorder_qty_gte_0"),
            models.CheckConstraint(
                condition=Q(over_receipt_tolerance__isnull=True) | Q(over_receipt_tolerance__gte=0),
                name="product_over_receipt_tolerance_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["category"], name="product_category_idx"),
            # One per sortable column of the product list (name, prices), the id as the tie-breaker,
            # so either direction walks an index instead of sorting 100,000 rows (migration 0011).
            models.Index(fields=["name", "id"], name="product_name_id_idx"),
            models.Index(fields=["cost_price", "id"], name="product_cost_id_idx"),
            models.Index(fields=["sale_price", "id"], name="product_sale_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    def clean(self):
        # Normalise before validate_unique runs, so "sku-1 " collides with "SKU-1".
        self.sku = normalize_sku(self.sku)
        self.barcode = (self.barcode or "").strip() or None

    def save(self, *args, **kwargs):
        self.sku = normalize_sku(self.sku)
        self.barcode = (self.barcode or "").strip() or None
        super().save(*args, **kwargs)
