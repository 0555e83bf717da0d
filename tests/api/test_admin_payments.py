"""Payment admin: its refunds shown, and a "Refund" action through the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from data.orders.models import OrderEvent
from data.payments.models import Payment, Refund
from tests.api.order_support import PAYMENTS, paid
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payments/payment/"


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def payment(customer_api) -> Payment:
    mug = ProductFactory(sku="MUG-A", price=Decimal("9.90"), stock=10)
    order = paid(customer_api, (mug, 2))
    return Payment.objects.get(order_id=order["id"])


def run_refund(client: Client, payment_ids, **form):
    data = {
        "action": "refund_payments",
        "_selected_action": [str(i) for i in payment_ids],
    }
    return client.post(CHANGELIST, {**data, **form}, follow=True)


def test_the_refund_action_asks_for_an_amount_first(admin_client, payment):
    page = run_refund(admin_client, [payment.pk])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Refund payments" in text and 'name="amount"' in text
    assert not Refund.objects.exists()


def test_the_refund_action_refunds_through_the_service(
    admin_client, root, payment, staff_api
):
    page = run_refund(
        admin_client, [payment.pk], apply="Refund", amount="5.00", reason="dented"
    )
    assert page.status_code == 200
    assert f"#{payment.pk}: 5.00 succeeded" in page.content.decode()
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (
        Decimal("5.00"),
        "dented",
        "succeeded",
    )
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (
        "partially_refunded",
        Decimal("5.00"),
    )
    event = OrderEvent.objects.filter(type="payment.refunded").get()
    assert (event.source, event.actor_id) == ("admin", root.pk)
    assert event.request_id
    # The same refund the API lists.
    listed = staff_api.get(f"{PAYMENTS}{payment.pk}/refunds/").json()
    assert [r["id"] for r in listed["results"]] == [refund.pk]


def test_an_empty_amount_refunds_what_remains(admin_client, payment):
    run_refund(admin_client, [payment.pk], apply="Refund", amount="1.80")
    run_refund(admin_client, [payment.pk], apply="Refund", amount="")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("19.80"))


def test_a_refused_refund_is_reported_and_changes_nothing(admin_client, payment):
    page = run_refund(admin_client, [payment.pk], apply="Refund", amount="19.81")
    assert "Refused" in page.content.decode()
    assert "more than" in page.content.decode()
    assert not Refund.objects.exists()


def test_a_bad_amount_shows_the_form_again(admin_client, payment):
    page = run_refund(admin_client, [payment.pk], apply="Refund", amount="0")
    assert 'name="amount"' in page.content.decode()
    assert not Refund.objects.exists()


def test_the_payment_page_shows_its_refunds_and_their_lines(
    admin_client, staff_api, payment
):
    product_id = payment.order.lines.get().product_id
    staff_api.post(
        f"{PAYMENTS}{payment.pk}/refunds/",
        {"lines": [{"product_id": product_id, "quantity": 1}], "restock": True},
        format="json",
    )
    staff_api.post(
        f"{PAYMENTS}{payment.pk}/refunds/", {"amount": "1.00"}, format="json"
    )
    page = admin_client.get(f"{CHANGELIST}{payment.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"1 x product {product_id} at 9.90" in text
    assert "(by amount)" in text
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
