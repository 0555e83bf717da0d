"""Presentation calls service methods by name: no method looked up from a string."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def computed_lookups(source: str) -> list[int]:
    """Return the lines of `getattr(service..., name)` whose name is not written."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or ast.unparse(node.func) != "getattr":
            continue
        target, name = node.args[0], node.args[1]
        if "service" in ast.unparse(target).lower() and not isinstance(
            name, ast.Constant
        ):
            lines.append(node.lineno)
    return lines


def test_no_service_method_is_looked_up_by_a_computed_name():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "presentation").rglob("*.py"))
        if (lines := computed_lookups(path.read_text()))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "move = getattr(OrderService(), f'{action}_order')\n",
        "getattr(service, method)(actor=actor, order_id=order_id)\n",
    ],
)
def test_the_check_sees_the_lookups_it_forbids(source):
    assert computed_lookups(source) == [1]
