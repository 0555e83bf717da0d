"""The product admin: writes go through CatalogService and its rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from data.catalog.models import Product
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/catalog/product/add/"
CHANGELIST = "/admin/catalog/product/"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def change_url(product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form(**overrides) -> dict[str, str]:
    data = {
        "sku": "mug-1",
        "name": "Mug",
        "description": "",
        "price": "19.90",
        "stock": "3",
        "is_active": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_add_form_is_shown_to_staff(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    assert b'name="sku"' in response.content


def test_add_stores_the_sku_upper_cased(admin_client):
    response = admin_client.post(ADD, form())
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.sku, product.price, product.stock) == ("MUG-1", Decimal("19.90"), 3)
    assert product.is_active is True


def test_add_with_a_price_over_the_maximum_stores_nothing(admin_client):
    response = admin_client.post(ADD, form(price="1000000.00"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["price"]
    assert errors == ["Ensure that there are no more than 8 digits in total."]
    assert not Product.objects.exists()


def test_add_with_three_decimals_says_so_and_nothing_else(admin_client):
    response = admin_client.post(ADD, form(price="1.999"))
    errors = response.context["adminform"].form.errors["price"]
    assert errors == ["Ensure that there are no more than 2 decimal places."]
    assert not Product.objects.exists()


def test_add_without_a_price_says_it_is_required_once(admin_client):
    response = admin_client.post(ADD, form(price=""))
    assert response.context["adminform"].form.errors["price"] == [
        "This field is required."
    ]


def test_add_with_a_negative_price_shows_the_services_message(admin_client):
    response = admin_client.post(ADD, form(price="-1.00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price"] == [
        "Use 0.00 to 999999.99."
    ]
    assert not Product.objects.exists()


def test_add_with_a_bad_sku_shows_the_rule(admin_client):
    response = admin_client.post(ADD, form(sku="no spaces"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["sku"]
    assert any("A-Z" in message for message in errors)
    assert not Product.objects.exists()


def test_add_with_a_sku_taken_in_another_case_is_refused(admin_client):
    ProductFactory(sku="MUG-1")
    response = admin_client.post(ADD, form(sku="Mug-1"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sku"]
    assert Product.objects.count() == 1


def test_change_goes_through_the_service(admin_client):
    product = ProductFactory(sku="OLD-1", name="Old", created_at=T0, updated_at=T0)
    response = admin_client.post(
        change_url(product), form(sku="new-1", name="New", price="5.00")
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.sku, product.name, product.price) == (
        "NEW-1",
        "New",
        Decimal("5.00"),
    )
    # The service stamps updated_at; a plain model save would not.
    assert product.updated_at > T0
    assert product.created_at == T0


def test_change_may_keep_the_products_own_sku(admin_client):
    product = ProductFactory(sku="SAME")
    response = admin_client.post(change_url(product), form(sku="same", stock="0"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.sku, product.stock) == ("SAME", 0)


def test_change_can_deactivate_a_product(admin_client):
    product = ProductFactory()
    form_data = form(sku=product.sku, is_active=None)
    assert admin_client.post(change_url(product), form_data).status_code == 302
    product.refresh_from_db()
    assert product.is_active is False


def test_change_to_another_products_sku_is_refused(admin_client):
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")
    response = admin_client.post(change_url(product), form(sku="taken"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sku"]
    product.refresh_from_db()
    assert product.sku == "MINE"


def test_delete_is_not_offered(admin_client):
    product = ProductFactory()
    delete_url = f"/admin/catalog/product/{product.pk}/delete/"
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()
    changelist = admin_client.get(CHANGELIST)
    assert b"delete_selected" not in changelist.content
    assert delete_url.encode() not in admin_client.get(change_url(product)).content


def test_changelist_searches_by_sku(admin_client):
    ProductFactory(sku="FIND-ME")
    ProductFactory(sku="OTHER")
    response = admin_client.get(CHANGELIST, {"q": "find-me"})
    assert response.status_code == 200
    shown = [p.sku for p in response.context["cl"].result_list]
    assert shown == ["FIND-ME"]


def test_changelist_filters_on_is_active(admin_client):
    ProductFactory(sku="ON")
    ProductFactory(sku="OFF", is_active=False)
    response = admin_client.get(CHANGELIST, {"is_active__exact": "0"})
    assert response.status_code == 200
    assert [p.sku for p in response.context["cl"].result_list] == ["OFF"]


def test_customers_cannot_reach_the_admin():
    client = Client()
    client.force_login(UserFactory(username="carol"))
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
