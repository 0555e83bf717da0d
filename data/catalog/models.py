"""The catalog's tables."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Product(models.Model):
    """A product for sale, with its stock on hand."""

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=8, decimal_places=2)
    stock = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The last line of defence against overselling, whatever the code does.
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="catalog_product_stock_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=Decimal("0.00"))
                & Q(price__lte=Decimal("999999.99")),
                name="catalog_product_price_range",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="catalog_product_created"),
            models.Index(fields=["price", "id"], name="catalog_product_price"),
            models.Index(fields=["name", "id"], name="catalog_product_name"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
