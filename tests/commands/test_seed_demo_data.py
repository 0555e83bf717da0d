"""`manage.py seed_demo_data`: every status, payments and events; twice adds nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from business.accounts import AccountService
from data.catalog.models import Product
from data.orders.models import Order, OrderEvent
from data.payments.models import Payment
from presentation.management.demo import CUSTOMER, STAFF
from tests.commands.support import call, manage
from tests.factories import OrderFactory, ProductFactory

LOGINS = [
    f"Staff login:    {STAFF.username} / {STAFF.password}",
    f"Customer login: {CUSTOMER.username} / {CUSTOMER.password}",
]


def counts() -> tuple[int, int, int, int, int]:
    return (
        Product.objects.count(),
        get_user_model().objects.count(),
        Order.objects.count(),
        Payment.objects.count(),
        OrderEvent.objects.count(),
    )


@pytest.mark.django_db
class TestCallCommand:
    def test_seeds_orders_in_every_status_with_payments_and_events(self):
        result = call("seed_demo_data")
        assert result.code == 0, result.err
        assert result.out.splitlines() == [
            "Demo data: created 24 products, 3 customers, 12 orders.",
            *LOGINS,
        ]
        statuses = set(Order.objects.values_list("status", flat=True))
        assert statuses == {"created", "paid", "shipped", "delivered", "cancelled"}
        assert set(Payment.objects.values_list("status", flat=True)) == {
            "succeeded",
            "failed",
            "refunded",
        }
        assert set(OrderEvent.objects.values_list("source", flat=True)) == {"command"}
        assert OrderEvent.objects.values("request_id").distinct().count() == 1
        assert Product.objects.filter(stock=0).exists()
        assert Product.objects.filter(is_active=False).exists()

    def test_a_second_run_adds_nothing(self):
        call("seed_demo_data")
        before = counts()
        result = call("seed_demo_data")
        assert result.out.splitlines()[0] == (
            "Demo data: created 0 products, 0 customers, 0 orders."
        )
        assert counts() == before

    def test_orders_is_a_target_total(self):
        call("seed_demo_data", "--orders", "3", "--customers", "1")
        assert Order.objects.count() == 3
        result = call("seed_demo_data", "--orders", "5", "--customers", "1")
        assert "2 orders" in result.out
        assert Order.objects.count() == 5

    def test_the_printed_logins_work(self):
        call("seed_demo_data", "--orders", "0", "--products", "0")
        accounts = AccountService()
        staff = accounts.authenticate(username=STAFF.username, password=STAFF.password)
        customer = accounts.authenticate(
            username=CUSTOMER.username, password=CUSTOMER.password
        )
        assert staff.is_staff and not customer.is_staff

    def test_the_staff_login_can_use_the_admin(self, client):
        call("seed_demo_data", "--orders", "0", "--products", "0")
        assert client.login(username=STAFF.username, password=STAFF.password)
        assert client.get("/admin/catalog/product/").status_code == 200
        assert client.get("/admin/orders/order/").status_code == 200

    def test_if_empty_skips_a_database_with_products(self):
        ProductFactory()
        result = call("seed_demo_data", "--if-empty")
        assert result.out.splitlines() == [
            "The database already has products; nothing seeded.",
            *LOGINS,
        ]
        assert (Product.objects.count(), Order.objects.count()) == (1, 0)
        assert not get_user_model().objects.exists()

    def test_if_empty_counts_inactive_products_too(self):
        ProductFactory(is_active=False)
        result = call("seed_demo_data", "--if-empty")
        assert result.out.startswith("The database already has products;")
        assert (Product.objects.count(), Order.objects.count()) == (1, 0)

    def test_orders_of_other_customers_do_not_count_toward_the_target(self):
        OrderFactory(lines=1)
        result = call("seed_demo_data", "--orders", "3", "--products", "8")
        assert "3 orders" in result.out
        assert Order.objects.count() == 4

    def test_a_demo_login_whose_password_changed_fails_clearly(self):
        call("seed_demo_data", "--orders", "0", "--products", "0")
        user = get_user_model().objects.get(username=CUSTOMER.username)
        user.set_password("changed-by-someone-1")
        user.save()
        result = call("seed_demo_data")
        assert result.code == 1
        assert result.err == (
            "CommandError: The demo login 'demo' exists with another password.\n"
        )

    def test_orders_without_products_fail_with_a_clear_message(self):
        result = call("seed_demo_data", "--products", "0")
        assert result.code == 1
        assert result.err == (
            "CommandError: products: Demo orders need at least one demo product.\n"
        )

    @pytest.mark.parametrize(
        "args", [("--orders", "-1"), ("--customers", "0"), ("--products", "many")]
    )
    def test_bad_numbers_are_usage_errors(self, args):
        result = call("seed_demo_data", *args)
        assert result.code == 2 and len(result.err.splitlines()) == 1


@pytest.mark.django_db(transaction=True)
class TestSubprocess:
    def test_seeds_once_then_adds_nothing(self):
        first = manage("seed_demo_data", "--products", "8", "--orders", "7")
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[0] == (
            "Demo data: created 8 products, 3 customers, 7 orders."
        )
        before = counts()
        second = manage("seed_demo_data", "--products", "8", "--orders", "7")
        assert second.stdout.splitlines()[0] == (
            "Demo data: created 0 products, 0 customers, 0 orders."
        )
        assert counts() == before

    def test_a_bad_number_exits_2_with_one_line(self):
        result = manage("seed_demo_data", "--orders", "x")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "manage.py seed_demo_data: error: argument --orders: 'x' is not a "
            "whole number"
        ]
