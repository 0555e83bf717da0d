"""Tracing: one trace per request, nested presentation → business → data → SQL."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from decimal import Decimal
from enum import Enum

import pytest
from django.apps import AppConfig
from django.conf import settings
from django.db import connection
from django.db.models import Model
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


# Classes of business/ and data/ that do work but get no span of their own, and why.
UNTRACED = {
    "data.unit_of_work.DjangoUnitOfWork": (
        "the transaction itself: its work is the statements below the use case"
    ),
    "data.instrumentation.QueryTimer": (
        "wraps every statement, whose psycopg span it would only repeat"
    ),
    "data.payments.breaker.CircuitBreaker": (
        "counts the gateway's calls in memory; the gateway's span covers them"
    ),
}


def name_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def does_work(cls: type) -> bool:
    """Tell a class with behaviour from a record, port, error, model or enum."""
    return not (
        cls.__name__.startswith("_")
        or dataclasses.is_dataclass(cls)
        or getattr(cls, "_is_protocol", False)
        or issubclass(cls, (BaseException, Model, AppConfig, Enum))
    )


def layer_classes_by_walking() -> set[type]:
    """Return every class that does work in a module of business/ or data/."""
    found: set[type] = set()
    for package in ("business", "data"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            found |= {
                cls
                for cls in vars(module).values()
                if inspect.isclass(cls)
                and cls.__module__ == module.__name__
                and does_work(cls)
            }
    return found


def forgotten(classes: set[type]) -> set[str]:
    """Return the classes neither traced nor excused in UNTRACED."""
    traced = set(tracing.layer_classes())
    return {name_of(cls) for cls in classes - traced} - UNTRACED.keys()


def test_every_service_and_repository_class_is_traced():
    names = {cls.__name__ for cls in tracing.layer_classes()}

    assert {"OrderService", "PaymentService", "IdempotencyService"} <= names
    assert {"ProductRepository", "OrderRepository", "EventRepository"} <= names
    assert {"SandboxGateway", "RabbitPublisher", "ProductImporter"} <= names
    assert forgotten(layer_classes_by_walking()) == set()


def test_the_list_names_each_class_once_and_only_classes_that_do_work():
    traced = tracing.layer_classes()

    assert len(set(traced)) == len(traced)
    assert set(traced) <= layer_classes_by_walking()
    assert not {name_of(cls) for cls in traced} & UNTRACED.keys()
    assert set(UNTRACED) <= {name_of(cls) for cls in layer_classes_by_walking()}


def test_the_walk_finds_services_not_records_ports_or_errors():
    found = {cls.__name__ for cls in layer_classes_by_walking()}

    assert {"OrderService", "OrderRepository", "DjangoUnitOfWork"} <= found
    assert not {"OrderRecord", "Orders", "NotFound", "Order", "Page"} & found


def test_a_forgotten_repository_is_caught():
    class WidgetRepository:
        def find(self, widget_id: int) -> None:
            return None

    WidgetRepository.__module__ = "data.widgets.repository"
    WidgetRepository.__qualname__ = "WidgetRepository"

    assert forgotten({WidgetRepository, OrderRepository}) == {
        "data.widgets.repository.WidgetRepository"
    }
