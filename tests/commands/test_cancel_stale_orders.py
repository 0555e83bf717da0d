"""`manage.py cancel_stale_orders`: old unpaid orders are cancelled once, audited."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from business.actor import Actor
from business.orders import NewLine, OrderService
from business.payments import PaymentService
from data.catalog.models import Product
from data.orders.models import Order, OrderEvent
from tests.commands.support import call, manage
from tests.factories import ProductFactory, UserFactory

REQUEST_ID = re.compile(r"request id (cmd-[0-9a-f]{32})")


def place(customer, product, *, quantity: int = 2, age=timedelta(hours=2)) -> int:
    """Place an order through the service (stock reserved), then age it."""
    order = OrderService().place_order(
        actor=Actor(user_id=customer.pk),
        lines=[NewLine(product_id=product.pk, quantity=quantity)],
    )
    Order.objects.filter(pk=order.id).update(created_at=timezone.now() - age)
    return order.id


def status(order_id: int) -> str:
    return Order.objects.get(pk=order_id).status


def stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock


@pytest.fixture
def shop(db):
    return UserFactory(username="buyer"), ProductFactory(stock=10)


@pytest.mark.django_db
class TestCallCommand:
    def test_cancels_old_created_orders_and_restores_stock(self, shop):
        customer, product = shop
        old = [place(customer, product), place(customer, product)]
        assert stock(product) == 6
        result = call("cancel_stale_orders", "--older-than", "30m")
        assert result.code == 0
        assert result.out.startswith("Cancelled 2 orders (request id cmd-")
        assert [status(pk) for pk in old] == ["cancelled", "cancelled"]
        assert stock(product) == 10

    def test_writes_command_events_with_the_runs_request_id(self, shop):
        customer, product = shop
        ids = [place(customer, product), place(customer, product)]
        run_id = REQUEST_ID.search(
            call("cancel_stale_orders", "--older-than", "1h").out
        )
        events = OrderEvent.objects.filter(type="order.cancelled", order_id__in=ids)
        assert sorted(events.values_list("order_id", flat=True)) == sorted(ids)
        assert set(events.values_list("source", "actor_id", "request_id")) == {
            ("command", None, run_id[1])
        }

    def test_recent_and_paid_orders_are_left_alone(self, shop):
        customer, product = shop
        recent = place(customer, product, age=timedelta(minutes=5))
        paid = place(customer, product)
        PaymentService().pay_order(
            actor=Actor(user_id=customer.pk),
            order_id=paid,
            amount=Decimal("20.00"),
            token="tok_visa",
        )
        result = call("cancel_stale_orders", "--older-than", "30m")
        assert result.out.startswith("Cancelled 0 orders")
        assert (status(recent), status(paid)) == ("created", "paid")

    def test_a_second_run_finds_nothing_and_has_its_own_id(self, shop):
        customer, product = shop
        place(customer, product)
        first = call("cancel_stale_orders", "--older-than", "1h").out
        second = call("cancel_stale_orders", "--older-than", "1h").out
        assert first.startswith("Cancelled 1 orders")
        assert second.startswith("Cancelled 0 orders")
        assert REQUEST_ID.search(first)[1] != REQUEST_ID.search(second)[1]

    def test_zero_minutes_means_every_created_order(self, shop):
        customer, product = shop
        place(customer, product, age=timedelta(0))
        assert call("cancel_stale_orders", "--older-than", "0m").out.startswith(
            "Cancelled 1 orders"
        )

    def test_a_dry_run_counts_and_changes_nothing(self, shop):
        customer, product = shop
        order_id = place(customer, product)
        result = call("cancel_stale_orders", "--older-than", "1d", "--dry-run")
        assert result.out == "Would cancel 0 orders (dry run).\n"
        result = call("cancel_stale_orders", "--older-than", "1h", "--dry-run")
        assert result.out == "Would cancel 1 orders (dry run).\n"
        assert status(order_id) == "created" and stock(product) == 8
        assert not OrderEvent.objects.filter(type="order.cancelled").exists()

    @pytest.mark.parametrize("age", ["30", "30x", "-5m", "m", "1.5h", "30 m"])
    def test_a_bad_duration_is_a_usage_error(self, age):
        result = call("cancel_stale_orders", f"--older-than={age}")
        assert result.code == 2
        assert "is not a duration" in result.err
        assert len(result.err.splitlines()) == 1

    def test_older_than_is_required(self):
        result = call("cancel_stale_orders")
        assert result.code == 2
        assert "--older-than" in result.err


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_cancel_each_order_once():
    customer = UserFactory(username="buyer")
    products = [ProductFactory(stock=100) for _ in range(3)]
    ids = [place(customer, products[i % 3], quantity=1) for i in range(30)]
    start = threading.Barrier(2)
    outputs: list[str] = []

    def run() -> None:
        try:
            start.wait()
            outputs.append(call("cancel_stale_orders", "--older-than", "1m").out)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = [int(out.split()[1]) for out in outputs]
    assert sum(counts) == len(ids)
    events = OrderEvent.objects.filter(type="order.cancelled")
    assert sorted(events.values_list("order_id", flat=True)) == sorted(ids)
    run_ids = {REQUEST_ID.search(out)[1] for out in outputs}
    assert set(events.values_list("request_id", flat=True)) <= run_ids
    assert [stock(p) for p in products] == [100, 100, 100]


@pytest.mark.django_db(transaction=True)
def test_an_order_another_transaction_holds_is_skipped():
    customer, product = UserFactory(username="buyer"), ProductFactory(stock=10)
    held, free = place(customer, product), place(customer, product)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Order.objects.select_for_update().filter(pk=held))
                locked.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(30)
    try:
        result = call("cancel_stale_orders", "--older-than", "1m")
    finally:
        release.set()
        holder.join(timeout=60)
    assert result.out.startswith("Cancelled 1 orders")
    assert (status(held), status(free)) == ("created", "cancelled")
    assert call("cancel_stale_orders", "--older-than", "1m").out.startswith(
        "Cancelled 1 orders"
    )


@pytest.mark.django_db(transaction=True)
class TestSubprocess:
    def test_cancels_and_restores_stock(self):
        customer, product = UserFactory(username="buyer"), ProductFactory(stock=10)
        order_id = place(customer, product, quantity=4)
        result = manage("cancel_stale_orders", "--older-than", "90m")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Cancelled 1 orders (request id cmd-")
        assert status(order_id) == "cancelled" and stock(product) == 10
        event = OrderEvent.objects.get(type="order.cancelled")
        assert event.request_id == REQUEST_ID.search(result.stdout)[1]

    def test_a_missing_age_exits_2_with_one_line(self):
        result = manage("cancel_stale_orders")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "manage.py cancel_stale_orders: error: the following arguments are "
            "required: --older-than"
        ]
