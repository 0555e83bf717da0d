"""Tracing: one trace per request, nested presentation → business → data → SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

from business.orders import OrderService
from data.catalog.repository import ProductRepository
from data.orders.repository import OrderRepository
from project import tracing
from tests.api.order_support import place
from tests.conftest import client_for
from tests.factories import ProductFactory


def otel_middleware() -> list[str]:
    return [name for name in settings.MIDDLEWARE if "opentelemetry" in name]


@pytest.fixture
def spans():
    """Trace into memory while the test runs; yield the exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    # psycopg is instrumented when it connects: start a new connection.
    connection.close()
    try:
        yield exporter
    finally:
        tracing.uninstall()
        connection.close()
        provider.shutdown()


def is_sql(span) -> bool:
    attributes = span.attributes or {}
    return "postgresql" in (
        attributes.get("db.system"),
        attributes.get("db.system.name"),
    )


@pytest.mark.django_db(transaction=True)
def test_an_order_placement_is_one_trace_across_the_layers(customer, spans):
    mug = ProductFactory(sku="MUG-T", price=Decimal("9.90"), stock=5)
    client = client_for(customer)  # after install: its handler has the middleware
    spans.clear()  # the factory's statements are no part of the request

    response = place(client, (mug, 2))

    assert response.status_code == 201, response.content
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    [root] = [span for span in finished if span.parent is None]
    assert {span.context.trace_id for span in finished} == {root.context.trace_id}
    assert root.kind == SpanKind.SERVER
    assert root.attributes.get("http.response.status_code", 201) == 201

    def parent_of(span):
        return by_id[span.parent.span_id]

    def ancestors(span) -> list[str]:
        names = []
        while span.parent is not None:
            span = parent_of(span)
            names.append(span.name)
        return names

    [place_order] = [s for s in finished if s.name == "OrderService.place_order"]
    [reserve] = [s for s in finished if s.name == "ProductRepository.reserve"]
    [add] = [s for s in finished if s.name == "OrderRepository.add"]
    assert parent_of(place_order) is root
    assert parent_of(reserve) is place_order
    assert parent_of(add) is place_order
    assert any(is_sql(s) and parent_of(s) is reserve for s in finished)
    assert any(is_sql(s) and parent_of(s) is add for s in finished)
    # Every statement of the use case hangs below a repository span.
    in_use_case = [
        s for s in finished if is_sql(s) and place_order.name in ancestors(s)
    ]
    assert in_use_case
    assert all("Repository." in parent_of(s).name for s in in_use_case)


def test_uninstall_restores_the_classes_and_the_middleware():
    provider = TracerProvider()
    original = OrderService.place_order

    tracing.install(provider)
    assert OrderService.place_order is not original
    assert otel_middleware()
    tracing.uninstall()

    assert OrderService.place_order is original
    assert otel_middleware() == []
    assert not DjangoInstrumentor().is_instrumented_by_opentelemetry


@pytest.mark.parametrize("value", [None, "", "none", "NONE"])
def test_without_an_exporter_nothing_is_instrumented(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    else:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", value)
    methods = (OrderService.place_order, ProductRepository.lock_many)

    tracing.configure()

    assert (OrderService.place_order, ProductRepository.lock_many) == methods
    assert otel_middleware() == []
    assert not DjangoInstrumentor().is_instrumented_by_opentelemetry


def test_an_exporter_from_the_env_turns_tracing_on_once(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "orderly-test")
    try:
        tracing.configure()
        wrapped = OrderRepository.add
        tracing.configure()  # again (post_fork, then the apps' ready): no change

        assert OrderRepository.add is wrapped
        assert wrapped.__wrapped__ is not None
        assert len(otel_middleware()) == 1
        provider = tracing._State.provider
        assert provider.resource.attributes["service.name"] == "orderly-test"
    finally:
        tracing.uninstall()


def test_the_exporters_are_read_from_the_standard_variable(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", " OTLP, none ")
    assert tracing.exporter_names() == ["otlp"]
    with pytest.raises(ValueError, match="zipkin"):
        tracing._exporter("zipkin")


def test_every_service_and_repository_class_is_traced():
    names = {cls.__name__ for cls in tracing.layer_classes()}

    assert {"OrderService", "PaymentService", "IdempotencyService"} <= names
    assert {"ProductRepository", "OrderRepository", "EventRepository"} <= names
    assert all(name.endswith(("Service", "Repository")) for name in names)
