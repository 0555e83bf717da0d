"""Every list is read by `data.records.read_page`: one rule for a page and its total."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "data" / "records.py"


def called_names(node: ast.AST) -> set[str]:
    """Return the names of the functions and classes called inside a node."""
    return {
        call.func.id if isinstance(call.func, ast.Name) else call.func.attr
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name | ast.Attribute)
    }


def page_functions(source: str) -> list[ast.FunctionDef]:
    """Return the functions whose return annotation is a Page of something."""
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
        and isinstance(node.returns, ast.Subscript)
        and ast.unparse(node.returns.value) == "Page"
    ]


def sources() -> list[Path]:
    return [
        path
        for layer in ("presentation", "business", "data")
        for path in sorted((ROOT / layer).rglob("*.py"))
        if path != HELPER and "migrations" not in path.parts
    ]


def test_no_page_is_built_outside_the_helper():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources()
        if "Page" in called_names(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_every_list_of_the_data_layer_goes_through_the_helper():
    lists = {
        f"{path.relative_to(ROOT)}:{function.name}": "read_page"
        in called_names(function)
        for path in sorted((ROOT / "data").rglob("*.py"))
        if path != HELPER
        for function in page_functions(path.read_text())
    }
    assert {
        "data/catalog/repository.py:list_products",
        "data/orders/repository.py:list_orders",
        "data/payments/repository.py:list_payments",
    } <= set(lists)
    assert [name for name, uses_helper in lists.items() if not uses_helper] == []


def test_the_check_catches_a_page_built_by_hand():
    planted = """
def list_things(self, *, page: PageRequest) -> Page[Thing]:
    return Page(items=(), total=0, number=page.number, size=page.size)
"""
    [function] = page_functions(planted)
    assert "Page" in called_names(function)
    assert "read_page" not in called_names(function)
