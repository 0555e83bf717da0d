"""`/metrics`: requests by route, latency, database time and business counters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from data.instrumentation import timed_queries
from tests.api.order_support import ORDERS, order_url, pay, place, placed
from tests.architecture.test_sql_guard import run_as
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Read a metric before and after an action: `delta(name, **labels)`."""

    NAMES = (
        ("orderly_orders_placed_total", {}),
        ("orderly_stock_conflicts_total", {}),
        ("orderly_idempotent_replays_total", {}),
        ("orderly_payments_total", {"status": "succeeded"}),
        ("orderly_payments_total", {"status": "failed"}),
        ("orderly_payments_total", {"status": "refunded"}),
    )

    def __init__(self) -> None:
        self.before = {self._key(n, ls): sample(n, **ls) for n, ls in self.NAMES}

    def __call__(self, name: str, **labels: str) -> float:
        return sample(name, **labels) - self.before[self._key(name, labels)]

    @staticmethod
    def _key(name: str, labels: dict[str, str]) -> str:
        return name + repr(sorted(labels.items()))


# Business counters count after commit: their tests commit for real (a test in
# one rolled-back transaction would never see a count).
committed = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-M", price=Decimal("9.90"), stock=5)


def test_metrics_is_prometheus_text(api):
    api.get("/healthz")

    response = api.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {f.name for f in text_string_to_metric_families(response.text)}
    assert {
        "orderly_http_requests",
        "orderly_http_request_duration_seconds",
        "orderly_db_query_duration_seconds",
        "orderly_orders_placed",
        "orderly_payments",
        "orderly_stock_conflicts",
        "orderly_idempotent_replays",
    } <= families


def test_requests_are_counted_by_route_name_not_raw_path(customer_api):
    labels = {"view": "order-detail", "method": "GET", "status": "404"}
    before = sample("orderly_http_requests_total", **labels)

    for order_id in (101, 202, 303):
        customer_api.get(order_url(order_id))

    assert sample("orderly_http_requests_total", **labels) == before + 3
    text = customer_api.get("/metrics").text
    assert "/orders/101/" not in text and "/orders/202/" not in text


def test_latency_is_observed_per_route(api):
    labels = {"view": "product-list", "method": "GET"}
    before = sample("orderly_http_request_duration_seconds_count", **labels)

    api.get("/api/v1/products/")

    assert sample("orderly_http_request_duration_seconds_count", **labels) == (
        before + 1
    )


def test_unknown_routes_share_one_label(api):
    labels = {"view": "unmatched", "method": "GET", "status": "404"}
    before = sample("orderly_http_requests_total", **labels)

    api.get("/no-such-page-1")
    api.get("/no-such-page-2")

    assert sample("orderly_http_requests_total", **labels) == before + 2


def test_database_time_is_observed_per_statement_of_a_request(
    api, django_assert_num_queries
):
    before = sample("orderly_db_query_duration_seconds_count")

    # Timing adds no statement of its own.
    with django_assert_num_queries(1):
        assert api.get("/readyz").status_code == 200

    assert sample("orderly_db_query_duration_seconds_count") == before + 1
    assert sample("orderly_db_query_duration_seconds_sum") > 0


def test_the_query_timer_does_not_hide_sql_from_the_origin_guard(sql_guard):
    # The timer lives in data/; installed per request, inside the guard, it must
    # not be taken for the origin of a statement issued from presentation.
    with timed_queries(lambda seconds: None):
        run_as(
            "presentation/catalog/views.py",
            "from django.db import connection\n"
            "connection.cursor().execute('SELECT 1')\n",
        )
    assert len(sql_guard.violations) == 1
    assert "presentation/catalog/views.py:2" in sql_guard.violations[0]
    sql_guard.violations.clear()
    assert connection.execute_wrappers == [sql_guard]


@committed
def test_orders_placed_and_stock_conflicts_are_counted(customer_api, mug):
    delta = Delta()

    placed(customer_api, (mug, 2))
    refused = place(customer_api, (mug, 4))

    assert refused.status_code == 409
    assert delta("orderly_orders_placed_total") == 1
    assert delta("orderly_stock_conflicts_total") == 1


@committed
def test_payments_are_counted_by_status(customer_api, mug):
    delta = Delta()
    declined = placed(customer_api, (mug, 1))
    order = placed(customer_api, (mug, 1))

    assert pay(customer_api, declined, token="tok_chargeDeclined").status_code == 402
    assert pay(customer_api, order).status_code == 201
    assert customer_api.post(order_url(order["id"], "cancel")).status_code == 200

    assert delta("orderly_payments_total", status="failed") == 1
    assert delta("orderly_payments_total", status="succeeded") == 1
    assert delta("orderly_payments_total", status="refunded") == 1


@committed
def test_idempotent_replays_are_counted_and_not_placed_twice(customer_api, mug):
    delta = Delta()
    headers = {"HTTP_IDEMPOTENCY_KEY": "metrics-key-1"}

    first = place(customer_api, (mug, 1), **headers)
    again = place(customer_api, (mug, 1), **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert delta("orderly_idempotent_replays_total") == 1
    assert delta("orderly_orders_placed_total") == 1
    assert customer_api.get(ORDERS).json()["count"] == 1
