"""OpenTelemetry tracing from the standard `OTEL_*` variables; off without an exporter.

A trace of a request shows the three layers: Django's request span, one span per
business service method, one per method of a repository or other adapter of
`data/` (the classes `project/traced.py` names), and psycopg's span of each
statement. The layers themselves import no OpenTelemetry: their classes' public
methods are wrapped from here. With `OTEL_TRACES_EXPORTER` unset or `none`
nothing is imported, instrumented or wrapped.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any

from django.apps import apps

logger = logging.getLogger("orderly.tracing")


class _State:
    pid: int | None = None
    provider: Any = None
    wrapped: list[tuple[type, str, Callable[..., Any]]] = []


def exporter_names() -> list[str]:
    """Return the exporters `OTEL_TRACES_EXPORTER` names (`none` is none)."""
    value = os.environ.get("OTEL_TRACES_EXPORTER", "")
    names = (name.strip().lower() for name in value.split(","))
    return [name for name in names if name and name != "none"]


def configure() -> None:
    """Trace this process as the `OTEL_*` variables say; idempotent.

    gunicorn calls it after forking each worker (an exporter's thread does not
    survive a fork); Django calls it again when the apps are ready, which wraps
    the layers' classes.
    """
    names = exporter_names()
    if not names:
        return
    if _State.pid != os.getpid():
        install(_provider(names))
    elif apps.models_ready:
        _wrap_layers()


def install(provider: Any) -> None:
    """Send spans of Django, psycopg and the layers to `provider`'s processors."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    uninstall()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    DjangoInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider)
    _State.pid, _State.provider = os.getpid(), provider
    if apps.models_ready:
        _wrap_layers()


def uninstall() -> None:
    """Undo `install`: unwrap the layers and remove the instrumentation."""
    if _State.provider is None:
        return
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    for cls, name, method in reversed(_State.wrapped):
        setattr(cls, name, method)
    _State.wrapped = []
    DjangoInstrumentor().uninstrument()
    PsycopgInstrumentor().uninstrument()
    _State.pid = _State.provider = None


def _provider(names: list[str]) -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself.
    named = os.environ.get("OTEL_SERVICE_NAME")
    provider = TracerProvider(
        resource=Resource.create({} if named else {"service.name": "orderly"})
    )
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    return provider


def _exporter(name: str) -> Any:
    if name in ("otlp", "otlp_proto_http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        # Endpoint, headers and timeout come from OTEL_EXPORTER_OTLP_* variables.
        return OTLPSpanExporter()
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    raise ValueError(
        f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r} "
        "(use otlp, console or none)"
    )


def _wrap_layers() -> None:
    if _State.wrapped or _State.provider is None:
        return
    tracer = _State.provider.get_tracer("orderly")
    for cls in layer_classes():
        for name, method in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(method):
                continue
            setattr(cls, name, _traced(tracer, cls, name, method))
            _State.wrapped.append((cls, name, method))


def layer_classes() -> tuple[type, ...]:
    """Return the classes whose public methods get a span (project/traced.py)."""
    # Imported late: gunicorn imports this module in a worker before Django is set
    # up, and the layers' modules need the models.
    from project.traced import TRACED

    return TRACED


def _traced(tracer: Any, cls: type, name: str, method: Callable[..., Any]) -> Any:
    span_name = f"{cls.__name__}.{name}"
    attributes = {"code.namespace": cls.__qualname__, "code.function": name}

    @functools.wraps(method)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with tracer.start_as_current_span(span_name, attributes=attributes):
            return method(*args, **kwargs)

    return traced
