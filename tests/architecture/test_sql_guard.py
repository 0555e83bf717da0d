"""The run-time guard: SQL may come from data/ (and admin), from nowhere else."""

from __future__ import annotations

import pytest

from data.catalog.repository import ProductRepository
from tests.sql_guard import ROOT

pytestmark = pytest.mark.django_db


def run_as(relative_path: str, source: str) -> None:
    """Run `source` as if it were written in the project file `relative_path`."""
    code = compile(source, str(ROOT / relative_path), "exec")
    exec(code, {})


def test_guard_catches_sql_from_presentation(sql_guard):
    run_as(
        "presentation/catalog/views.py",
        "from data.catalog.models import Product\nProduct.objects.count()\n",
    )
    assert len(sql_guard.violations) == 1
    assert "presentation/catalog/views.py:2" in sql_guard.violations[0]
    sql_guard.violations.clear()  # the planted violation must not fail this test


def test_guard_catches_sql_from_business(sql_guard):
    run_as(
        "business/catalog/service.py",
        "from django.contrib.auth.models import User\nlist(User.objects.all())\n",
    )
    assert len(sql_guard.violations) == 1
    sql_guard.violations.clear()


def test_guard_allows_sql_from_data_called_by_business(sql_guard):
    run_as(
        "business/catalog/service.py",
        "from data.catalog.repository import ProductRepository\n"
        "ProductRepository().find(1)\n",
    )
    assert sql_guard.violations == []


def test_guard_allows_admin_and_test_code(sql_guard):
    run_as(
        "presentation/catalog/admin.py",
        "from data.catalog.models import Product\nProduct.objects.count()\n",
    )
    ProductRepository().find(1)
    assert sql_guard.violations == []
