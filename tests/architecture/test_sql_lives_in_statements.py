"""No repository spells SQL: fixed statements live in `data/<feature>/statements.py`.

A repository module is one that defines a `...Repository` class. (The importer's
staging SQL is not a repository's; `data/catalog/staging.py` generates it.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"sql.py", "statements.py"}
# Keywords in capitals (as this project writes SQL) make a string SQL, not prose.
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\b.+\bSET|DELETE\s+FROM|"
    r"CREATE\s+(TEMP\w*\s+|UNLOGGED\s+)?TABLE|WITH\b.+\bAS\s*\()",
    re.DOTALL,
)


def sql_literals(source: str) -> list[int]:
    """Return the lines of string literals (f-strings included) that hold SQL."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else " x "
                for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
        else:
            continue
        if SQL.search(text):
            found.append(node.lineno)
    return sorted(set(found))


def repository_modules() -> list[Path]:
    """Return the modules of data/ that define a repository class."""
    return [
        path
        for path in sorted((ROOT / "data").rglob("*.py"))
        if path.name not in ALLOWED
        and re.search(r"^class \w+Repository\b", path.read_text(), re.MULTILINE)
    ]


def test_the_repositories_are_found():
    names = {str(path.relative_to(ROOT / "data")) for path in repository_modules()}
    assert {"catalog/repository.py", "orders/repository.py"} <= names
    assert {"orders/events.py", "orders/outbox.py", "orders/sales.py"} <= names


def test_no_repository_module_spells_sql():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in repository_modules()
        if (lines := sql_literals(path.read_text()))
    }
    assert offenders == {}


def test_the_importer_spells_no_sql():
    assert sql_literals((ROOT / "data" / "catalog" / "importer.py").read_text()) == []


def test_the_check_catches_planted_sql():
    planted = '''
def f(table):
    """Select the rows FROM somewhere (a docstring is prose)."""
    plain = "SELECT id FROM catalog_product WHERE id = %s"
    built = f"UPDATE {table} SET stock = 0"
    return plain, built, "select a product from the list"
'''
    assert sql_literals(planted) == [4, 5]
