"""factory_boy factories for test data."""

from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from data.catalog.models import Product

PASSWORD = "s3cure-Passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("10.00")
    stock = 100


class OrderFactory(factory.django.DjangoModelFactory):
    """An order; `OrderFactory(lines=3)` adds three lines of new products."""

    class Meta:
        model = "orders.Order"
        skip_postgeneration_save = True

    customer = factory.SubFactory(UserFactory)
    status = "created"
    total = Decimal("0.00")
    currency = factory.LazyFunction(lambda: settings.CURRENCY)

    @factory.post_generation
    def lines(order, create, extracted, **kwargs):
        if not create or not extracted:
            return
        made = [OrderLineFactory(order=order, **kwargs) for _ in range(extracted)]
        order.total = sum((line.line_total for line in made), Decimal("0.00"))
        order.save(update_fields=["total"])


class OrderLineFactory(factory.django.DjangoModelFactory):
    """One line of an order, its price copied from its product."""

    class Meta:
        model = "orders.OrderLine"

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda line: line.product.sku)
    name = factory.LazyAttribute(lambda line: line.product.name)
    unit_price = factory.LazyAttribute(lambda line: Decimal(line.product.price))
    quantity = 1
    line_total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment of an order's total, succeeded unless told otherwise."""

    class Meta:
        model = "payments.Payment"

    order = factory.SubFactory(OrderFactory, status="paid")
    amount = factory.LazyAttribute(lambda payment: payment.order.total)
    currency = factory.LazyAttribute(lambda payment: payment.order.currency)
    status = "succeeded"
    gateway_reference = factory.Sequence(lambda n: f"sb_test_{n}")
