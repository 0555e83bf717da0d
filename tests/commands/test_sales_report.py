"""`manage.py sales_report`: revenue per UTC day of payment and top products."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings

from data.payments.models import Payment, Refund, RefundLine
from tests.commands.support import call, manage
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    PaymentFactory,
    ProductFactory,
    UserFactory,
)

PERIOD = ("--from", "2024-05-01", "--to", "2024-05-03")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sale(
    customer, status: str, paid_at: str, *lines, payment: str = "succeeded"
) -> None:
    """Store an order with these (product, quantity) lines and one payment."""
    order = OrderFactory(customer=customer, status=status)
    made = [OrderLineFactory(order=order, product=p, quantity=q) for p, q in lines]
    order.total = sum((line.line_total for line in made), Decimal("0.00"))
    order.save(update_fields=["total"])
    PaymentFactory(order=order, status=payment, created_at=at(paid_at))


@pytest.fixture
def sales(db):
    """A known month: three sales in the period, four that must not count."""
    a = ProductFactory(sku="A-1", name="Alpha", price=Decimal("10.00"))
    b = ProductFactory(sku="B-1", name="Bravo", price=Decimal("25.00"))
    c = ProductFactory(sku="C-1", name="Charlie", price=Decimal("5.00"))
    d = ProductFactory(sku="D-1", name="Delta", price=Decimal("20.00"))
    buyer = UserFactory(username="buyer")
    sale(buyer, "paid", "2024-05-01T10:00:00", (a, 2), (b, 1))
    sale(buyer, "shipped", "2024-05-01T23:59:59", (b, 2))
    sale(buyer, "delivered", "2024-05-02T00:00:00", (c, 1), (d, 1))
    sale(buyer, "cancelled", "2024-05-01T12:00:00", (a, 10), payment="refunded")
    sale(buyer, "created", "2024-05-01T12:00:00", (a, 10), payment="failed")
    sale(buyer, "paid", "2024-05-04T00:00:00", (a, 1))
    sale(buyer, "paid", "2024-04-30T23:59:59", (c, 1))
    return {p.sku: p.pk for p in (a, b, c, d)}


def product(ids, sku, name, units, revenue):
    return {
        "product_id": ids[sku],
        "sku": sku,
        "name": name,
        "units": units,
        "revenue": revenue,
    }


def expected_json(ids) -> dict:
    return {
        "from": "2024-05-01",
        "to": "2024-05-03",
        "currency": settings.CURRENCY,
        "orders": 3,
        "revenue": "120.00",
        "days": [
            {"date": "2024-05-01", "orders": 2, "revenue": "95.00"},
            {"date": "2024-05-02", "orders": 1, "revenue": "25.00"},
        ],
        "top_products": [
            product(ids, "B-1", "Bravo", 3, "75.00"),
            product(ids, "A-1", "Alpha", 2, "20.00"),
            product(ids, "D-1", "Delta", 1, "20.00"),
            product(ids, "C-1", "Charlie", 1, "5.00"),
        ],
    }


class TestCallCommand:
    def test_json_has_the_known_figures(self, sales):
        result = call("sales_report", *PERIOD, "--format", "json")
        assert result.code == 0, result.err
        assert json.loads(result.out) == expected_json(sales)

    def test_csv_has_the_known_figures(self, sales):
        result = call("sales_report", *PERIOD, "--format", "csv")
        assert list(csv.reader(io.StringIO(result.out))) == [
            ["section", "date", "sku", "name", "orders", "units", "revenue"],
            ["day", "2024-05-01", "", "", "2", "", "95.00"],
            ["day", "2024-05-02", "", "", "1", "", "25.00"],
            ["total", "", "", "", "3", "", "120.00"],
            ["product", "", "B-1", "Bravo", "", "3", "75.00"],
            ["product", "", "A-1", "Alpha", "", "2", "20.00"],
            ["product", "", "D-1", "Delta", "", "1", "20.00"],
            ["product", "", "C-1", "Charlie", "", "1", "5.00"],
        ]

    def test_the_table_is_the_default(self, sales):
        lines = call("sales_report", *PERIOD).out.splitlines()
        assert (
            lines[0]
            == f"Sales 2024-05-01 to 2024-05-03 (UTC days, {settings.CURRENCY})"
        )
        rows = [line.split() for line in lines]
        assert ["2024-05-01", "2", "95.00"] in rows
        assert ["2024-05-02", "1", "25.00"] in rows
        assert ["Total", "3", "120.00"] in rows
        top = [row[0] for row in rows if row and row[0][1:] == "-1"]
        assert top == ["B-1", "A-1", "D-1", "C-1"]

    def test_top_limits_the_products_and_breaks_ties_by_sku(self, sales):
        result = call("sales_report", *PERIOD, "--format", "json", "--top", "2")
        skus = [p["sku"] for p in json.loads(result.out)["top_products"]]
        assert skus == ["B-1", "A-1"]

    def test_to_is_inclusive(self, sales):
        result = call(
            "sales_report",
            "--from",
            "2024-05-04",
            "--to",
            "2024-05-04",
            "--format",
            "json",
        )
        report = json.loads(result.out)
        assert report["days"] == [
            {"date": "2024-05-04", "orders": 1, "revenue": "10.00"}
        ]

    def test_a_period_without_sales_is_empty(self, sales):
        result = call("sales_report", "--from", "2023-01-01", "--to", "2023-01-31")
        assert result.code == 0 and "(no sales)" in result.out

    def test_output_writes_a_file(self, sales, tmp_path):
        path = tmp_path / "report.json"
        result = call(
            "sales_report", *PERIOD, "--format", "json", "--output", str(path)
        )
        assert result.out == f"Wrote the json report to {path}.\n"
        assert json.loads(path.read_text()) == expected_json(sales)

    def test_an_unwritable_output_fails_with_one_line(self, sales, tmp_path):
        path = tmp_path / "missing" / "report.csv"
        result = call("sales_report", *PERIOD, "--output", str(path))
        assert result.code == 1
        assert result.err == f"CommandError: {path}: No such file or directory.\n"

    def test_from_after_to_is_a_usage_error(self, db):
        result = call("sales_report", "--from", "2024-05-03", "--to", "2024-05-01")
        assert result.code == 2
        assert result.err == (
            "CommandError: --from 2024-05-03 is after --to 2024-05-01.\n"
        )

    @pytest.mark.parametrize(
        "args",
        [
            ("--from", "2024-13-01", "--to", "2024-05-01"),
            ("--from", "yesterday", "--to", "2024-05-01"),
            ("--to", "2024-05-01"),
            ("--from", "2024-05-01"),
            (*PERIOD, "--format", "xml"),
            (*PERIOD, "--top", "0"),
        ],
    )
    def test_bad_arguments_exit_2(self, db, args):
        result = call("sales_report", *args)
        assert result.code == 2 and len(result.err.splitlines()) == 1


@pytest.mark.django_db(transaction=True)
class TestSubprocess:
    def test_json_report(self):
        a = ProductFactory(sku="A-1", name="Alpha", price=Decimal("10.00"))
        sale(UserFactory(), "delivered", "2024-05-02T08:00:00", (a, 3))
        result = manage("sales_report", *PERIOD, "--format", "json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert (report["orders"], report["revenue"]) == (1, "30.00")
        assert report["top_products"][0]["units"] == 3

    def test_from_after_to_exits_2_with_one_line(self):
        result = manage("sales_report", "--from", "2024-05-03", "--to", "2024-05-01")
        assert result.returncode == 2
        assert result.stderr == (
            "CommandError: --from 2024-05-03 is after --to 2024-05-01.\n"
        )

    def test_a_bad_date_exits_2_with_one_line(self):
        result = manage("sales_report", "--from", "May 1st", "--to", "2024-05-01")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "manage.py sales_report: error: argument --from: 'May 1st' is not a "
            "date; use YYYY-MM-DD"
        ]


def refund(payment, amount: str, status: str = "succeeded", lines=()) -> None:
    """Store a refund of `payment` (by amount, or by (product, quantity) lines)."""
    made = Refund.objects.create(payment=payment, amount=Decimal(amount), status=status)
    for product, quantity in lines:
        RefundLine.objects.create(
            refund=made, product=product, quantity=quantity, unit_price=product.price
        )
    if status == "succeeded":
        payment.amount_refunded += Decimal(amount)
        payment.status = (
            "refunded"
            if payment.amount_refunded == payment.amount
            else "partially_refunded"
        )
        payment.save(update_fields=["amount_refunded", "status"])


def test_refunds_are_netted_out_per_day_and_per_product(db):
    a = ProductFactory(sku="A-1", name="Alpha", price=Decimal("10.00"))
    b = ProductFactory(sku="B-1", name="Bravo", price=Decimal("25.00"))
    buyer = UserFactory()
    sale(buyer, "delivered", "2024-05-01T10:00:00", (a, 2), (b, 1))  # 45.00
    sale(buyer, "shipped", "2024-05-02T10:00:00", (b, 1))  # 25.00, all returned
    first, second = Payment.objects.order_by("id")
    refund(first, "10.00", lines=[(a, 1)])  # one Alpha back
    refund(first, "9.00")  # by amount: 4.00 of the Alphas, 5.00 of the Bravo
    refund(first, "5.00", status="pending")  # not (yet) given back
    refund(first, "3.00", status="failed")  # never given back
    refund(second, "25.00", lines=[(b, 1)])
    result = call("sales_report", *PERIOD, "--format", "json")
    report = json.loads(result.out)
    assert (report["orders"], report["revenue"]) == (2, "26.00")
    assert report["days"] == [
        {"date": "2024-05-01", "orders": 1, "revenue": "26.00"},
        {"date": "2024-05-02", "orders": 1, "revenue": "0.00"},
    ]
    assert report["top_products"] == [
        {
            "product_id": b.pk,
            "sku": "B-1",
            "name": "Bravo",
            "units": 1,
            "revenue": "20.00",
        },
        {
            "product_id": a.pk,
            "sku": "A-1",
            "name": "Alpha",
            "units": 1,
            "revenue": "6.00",
        },
    ]
