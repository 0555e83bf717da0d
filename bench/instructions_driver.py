"""Requests made in-process under callgrind, one dump of counts per scenario.

Run by bench/instructions.sh with a tree's own Python, in that tree, under
`valgrind --tool=callgrind`: it serves the bench's scenarios through the tree's
WSGI application (every middleware, the production settings, a real PostgreSQL),
and after each scenario's N requests asks callgrind (through a small C library
of its client requests) to dump the instructions counted since the last dump.
Instructions, unlike seconds, do not move with what else the machine runs.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django

django.setup()

from django.test import RequestFactory  # noqa: E402

from project.wsgi import application  # noqa: E402

marks = ctypes.CDLL(os.environ["CALLGRIND_MARKS"])
factory = RequestFactory(HTTP_HOST="127.0.0.1")
WARM, N = int(os.environ.get("WARM", "20")), int(os.environ.get("N", "100"))


def call(environ: dict[str, Any]) -> tuple[int, Any]:
    """Serve one request as gunicorn would; return its status and JSON body."""
    answer: list[str] = []
    body = b"".join(
        application(environ, lambda status, headers, *_: answer.append(status))
    )
    return int(answer[0].split()[0]), json.loads(body) if body else None


def get(path: str, **headers: str) -> dict[str, Any]:
    return factory.get(path, **headers).environ


def post(path: str, data: dict[str, Any], **headers: str) -> dict[str, Any]:
    return factory.post(
        path, json.dumps(data), content_type="application/json", **headers
    ).environ


def main() -> int:
    bench = {"username": "bench", "password": "bench-pass-123"}
    call(post("/api/v1/auth/register/", {**bench, "email": "bench@example.com"}))
    _, token = call(post("/api/v1/auth/token/", bench))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token['access']}"}
    _, page = call(get("/api/v1/products/?page_size=100"))
    ids = [row["id"] for row in page["results"]]
    placed: list[dict[str, Any]] = []

    def order(i: int) -> dict[str, Any]:
        return post(
            "/api/v1/orders/",
            {"items": [{"product_id": ids[i % len(ids)], "quantity": 1}]},
            **auth,
        )

    def payment(i: int) -> dict[str, Any]:
        made = placed.pop()
        body = {
            "order_id": made["id"],
            "amount": made["total"],
            "payment_token": "tok_visa",
        }
        return post("/api/v1/payments/", body, **auth)

    scenarios = {
        "list50": lambda i: get("/api/v1/products/?page_size=50"),
        "detail": lambda i: get(f"/api/v1/products/{ids[0]}/"),
        "search": lambda i: get("/api/v1/products/?search=SKU-0001&ordering=-price"),
        "order_create": order,
        "payment": payment,
    }
    expected = {"order_create": 201, "payment": 201}
    for name, make in scenarios.items():
        for i in range(WARM):
            status, body = call(make(i))
        marks.mark(b"warm-" + name.encode())
        for i in range(N):
            status, body = call(make(i))
            if status != expected.get(name, 200):
                raise SystemExit(f"{name}: {status} {body}")
            if name == "order_create":
                placed.append(body)
        marks.mark(name.encode())
        if name == "order_create":
            # Orders for the payment scenario, made outside any measured part.
            for i in range(WARM + N - len(placed)):
                placed.append(call(order(i))[1])
            marks.mark(b"more-orders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
