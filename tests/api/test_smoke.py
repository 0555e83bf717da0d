import pytest

pytestmark = pytest.mark.django_db


def test_products_list_empty(api):
    response = api.get("/api/v1/products/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
