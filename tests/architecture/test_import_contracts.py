"""The layer rules hold, and the checks that enforce them do catch violations."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("presentation", "business", "data", "project", "sandbox_provider")


def run_lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """A copy of the packages and config, for planting violations in."""
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("data/catalog/bad.py", "import business.errors", "Layers"),
        (
            "presentation/catalog/bad.py",
            "from data.catalog.repository import ProductRepository",
            "Presentation never imports data",
        ),
        ("business/catalog/bad.py", "import django.db", "Business imports no Django"),
        (
            "business/catalog/bad.py",
            "import rest_framework",
            "Business imports no Django",
        ),
        (
            "business/catalog/bad.py",
            "from data.catalog.models import Product",
            "Business imports no Django",
        ),
        ("data/catalog/bad.py", "import rest_framework", "Data imports neither"),
        (
            "sandbox_provider/bad.py",
            "import data.errors",
            "The sandbox provider is another system",
        ),
        (
            "data/payments/bad.py",
            "import sandbox_provider.ledger",
            "Orderly reaches the sandbox provider only over HTTP",
        ),
    ],
)
def test_import_linter_names_a_planted_violation(tree_copy, module, line, contract):
    planted = tree_copy / module
    planted.write_text(line + "\n")
    try:
        result = run_lint_imports(tree_copy)
    finally:
        planted.unlink()
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(row.startswith(contract) for row in broken), result.stdout


def django_db_imports(path: Path) -> list[str]:
    """Return the `django.db` imports of one source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [n for n in names if n == "django.db" or n.startswith("django.db.")]
    return found


def test_presentation_never_imports_django_db():
    offenders = {
        str(path.relative_to(ROOT)): imports
        for path in (ROOT / "presentation").rglob("*.py")
        if (imports := django_db_imports(path))
    }
    assert offenders == {}


def test_django_db_check_catches_a_violation(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("from django.db import connection\nfrom django import forms\n")
    assert django_db_imports(sample) == ["django.db", "django.db.connection"]
