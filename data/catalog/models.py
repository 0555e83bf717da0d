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
            # One index per ordering of the list, ending on the id as the ordering
            # does, so a page (and a keyset slice) is a range scan at any depth.
            models.Index(fields=["-price", "id"], name="catalog_product_price_desc"),
            # Everyone but staff lists active products only: partial indexes hold
            # just those rows, so inactive ones never cost a list anything.
            *(
                models.Index(
                    fields=fields,
                    condition=Q(is_active=True),
                    name=f"catalog_active_{name}",
                )
                for fields, name in (
                    (["created_at", "id"], "created"),
                    (["price", "id"], "price"),
                    (["-price", "id"], "price_desc"),
                    (["name", "id"], "name"),
                )
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
