"""A Python client generated from the served schema works untouched and reads well.

openapi-python-client generates the client into a temporary folder; the test
imports it as it is and walks a customer's path through the API with it: register,
log in, list products, place an order, pay it, read its events. Its requests go
to the Django application in-process (httpx's WSGI transport), so the test runs
in `make test`.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.factories import PASSWORD, ProductFactory, UserFactory

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "orderly_client"
BASE_URL = "http://testserver"
# The component names the client's models take: chosen, not derived by accident.
MODEL_NAMES = {
    "AccessTokenOutput",
    "ApiKeyCreateInput",
    "ApiKeyCreatedOutput",
    "ApiKeyOutput",
    "ApiKeyPage",
    "ApiKeyScope",
    "FieldErrorOutput",
    "ListOrdersStatus",
    "ListProductsOrdering",
    "MeOutput",
    "OrderCreateInput",
    "OrderEventOutput",
    "OrderEventOutputData",
    "OrderEventSource",
    "OrderItemOutput",
    "OrderLineInput",
    "OrderOutput",
    "OrderPage",
    "OrderStatus",
    "PatchedProductUpdateInput",
    "PaymentCreateInput",
    "PaymentDeclinedOutput",
    "PaymentOutput",
    "PaymentPage",
    "PaymentStatus",
    "ProblemOutput",
    "ProductCreateInput",
    "ProductOutput",
    "ProductPage",
    "ReceivePaymentWebhookBody",
    "RefundCreateInput",
    "RefundLineInput",
    "RefundLineOutput",
    "RefundOutput",
    "RefundPage",
    "RefundStatus",
    "RegisterInput",
    "TokenObtainInput",
    "TokenPairOutput",
    "TokenRefreshInput",
    "UserOutput",
    "WebhookReceivedOutput",
}
# One module per operation, named by its operationId, grouped by tag.
OPERATION_MODULES = {
    "api_keys": {"create_api_key", "list_api_keys", "revoke_api_key"},
    "auth": {"get_me", "obtain_token", "refresh_token", "register"},
    "orders": {
        "cancel_order",
        "deliver_order",
        "get_order",
        "list_order_events",
        "list_orders",
        "place_order",
        "ship_order",
    },
    "payments": {
        "get_payment",
        "list_payments",
        "list_refunds",
        "pay_order",
        "receive_payment_webhook",
        "refund_payment",
    },
    "products": {
        "create_product",
        "deactivate_product",
        "get_product",
        "list_products",
        "update_product",
    },
}


def wsgi_transport() -> httpx.WSGITransport:
    return httpx.WSGITransport(app=WSGIHandler())


@pytest.fixture(autouse=True)
def keep_test_transaction():
    """Leave the test's connection open across requests, as Django's test client does.

    Django closes a connection whose autocommit differs from its settings at the
    start and end of a request, and inside a test transaction it always differs.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory, django_db_blocker) -> Iterator[ModuleType]:
    """Generate the client from /api/schema/ and import it as generated."""
    root = tmp_path_factory.mktemp("generated")
    http = httpx.Client(transport=wsgi_transport(), base_url=BASE_URL)
    with django_db_blocker.unblock(), http:
        answer = http.get("/api/schema/", params={"format": "json"})
    assert answer.status_code == 200
    schema = root / "schema.json"
    schema.write_text(json.dumps(answer.json()))
    config = root / "config.json"
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    generated = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The generator reports schema problems it worked around as warnings.
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def operation(name: str) -> ModuleType:
    """Import an operation's module, as `from orderly_client.api.auth import ...`."""
    tag = next(tag for tag, names in OPERATION_MODULES.items() if name in names)
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def test_generated_names_read_well(client_package):
    root = Path(client_package.__file__).parent
    models = importlib.import_module(f"{PACKAGE}.models")
    assert set(models.__all__) == MODEL_NAMES
    for tag, operations in OPERATION_MODULES.items():
        modules = {path.stem for path in (root / "api" / tag).glob("*.py")}
        assert modules - {"__init__"} == operations, tag


@pytest.mark.django_db
def test_a_customer_shops_with_the_generated_client(client_package):
    models = importlib.import_module(f"{PACKAGE}.models")
    mug = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("12.50"), stock=5)
    anonymous = client_package.Client(
        base_url=BASE_URL, httpx_args={"transport": wsgi_transport()}
    )

    user = operation("register").sync(
        client=anonymous,
        body=models.RegisterInput(
            username="gen-client", email="gen@example.com", password="n0t-Guessable!"
        ),
    )
    assert isinstance(user, models.UserOutput)
    tokens = operation("obtain_token").sync(
        client=anonymous,
        body=models.TokenObtainInput(username="gen-client", password="n0t-Guessable!"),
    )
    assert isinstance(tokens, models.TokenPairOutput)
    customer = client_package.AuthenticatedClient(
        base_url=BASE_URL,
        token=tokens.access,
        httpx_args={"transport": wsgi_transport()},
    )

    page = operation("list_products").sync(client=anonymous, search="MUG")
    assert isinstance(page, models.ProductPage)
    assert [p.sku for p in page.results] == ["MUG-1"]

    order = operation("place_order").sync(
        client=customer,
        body=models.OrderCreateInput(
            items=[models.OrderLineInput(product_id=mug.id, quantity=2)]
        ),
        idempotency_key="gen-client-order-1",
    )
    assert isinstance(order, models.OrderOutput)
    assert order.status == models.OrderStatus.CREATED
    assert order.total == "25.00"

    payment = operation("pay_order").sync(
        client=customer,
        body=models.PaymentCreateInput(
            order_id=order.id, amount=order.total, payment_token="tok_visa"
        ),
    )
    assert isinstance(payment, models.PaymentOutput)
    assert payment.status == models.PaymentStatus.SUCCEEDED

    refunds = operation("list_refunds").sync(payment_id=payment.id, client=customer)
    assert isinstance(refunds, models.RefundPage)
    assert (refunds.count, refunds.results) == (0, [])
    refused = operation("refund_payment").sync(
        payment_id=payment.id,
        client=customer,
        body=models.RefundCreateInput(amount="1.00"),
    )
    assert isinstance(refused, models.ProblemOutput) and refused.status == 403

    events = operation("list_order_events").sync(order_id=order.id, client=customer)
    assert [event.type_ for event in events] == ["order.created", "order.paid"]
    assert all(event.source == models.OrderEventSource.API for event in events)
    assert user.id == events[0].actor_id


@pytest.mark.django_db
def test_problems_parse_into_the_problem_model(client_package):
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = client_package.Client(
        base_url=BASE_URL, httpx_args={"transport": wsgi_transport()}
    )

    problem = operation("list_orders").sync(client=anonymous)

    assert isinstance(problem, models.ProblemOutput)
    assert problem.status == 401
    assert problem.type_.endswith("/problems/not-authenticated")


@pytest.mark.django_db
def test_staff_make_a_key_and_another_system_uses_it(client_package):
    models = importlib.import_module(f"{PACKAGE}.models")
    UserFactory(username="gen-staff", is_staff=True)
    anonymous = client_package.Client(
        base_url=BASE_URL, httpx_args={"transport": wsgi_transport()}
    )
    tokens = operation("obtain_token").sync(
        client=anonymous,
        body=models.TokenObtainInput(username="gen-staff", password=PASSWORD),
    )
    staff = client_package.AuthenticatedClient(
        base_url=BASE_URL,
        token=tokens.access,
        httpx_args={"transport": wsgi_transport()},
    )

    created = operation("create_api_key").sync(
        client=staff,
        body=models.ApiKeyCreateInput(
            name="warehouse", scopes=[models.ApiKeyScope.ORDERSREAD]
        ),
    )
    assert isinstance(created, models.ApiKeyCreatedOutput)
    system = client_package.AuthenticatedClient(
        base_url=BASE_URL, token=created.key, httpx_args={"transport": wsgi_transport()}
    )

    orders = operation("list_orders").sync(client=system)
    assert isinstance(orders, models.OrderPage) and orders.count == 0
    refused = operation("list_api_keys").sync(client=system)
    assert isinstance(refused, models.ProblemOutput) and refused.status == 403
