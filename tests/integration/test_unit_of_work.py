"""DjangoUnitOfWork: one durable transaction, committed or rolled back as a whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from data.catalog.models import Product
from data.catalog.repository import ProductRepository
from data.unit_of_work import DjangoUnitOfWork

pytestmark = pytest.mark.django_db(transaction=True)


def add(sku: str, **fields):
    return ProductRepository().add(sku=sku, name=sku, price=Decimal("1.00"), **fields)


def test_clean_exit_commits():
    with DjangoUnitOfWork():
        add("KEEP")
    assert Product.objects.filter(sku="KEEP").exists()


def test_exception_rolls_back_every_write():
    with pytest.raises(RuntimeError), DjangoUnitOfWork():
        add("FIRST")
        add("SECOND")
        raise RuntimeError("boom")
    assert not Product.objects.exists()


def test_database_error_rolls_back_earlier_writes():
    with pytest.raises(IntegrityError), DjangoUnitOfWork():
        add("EARLIER")
        Product.objects.create(sku="BAD", name="Bad", price=1, stock=-1)
    assert not Product.objects.exists()


def test_on_commit_runs_only_after_commit():
    ran: list[bool] = []
    with DjangoUnitOfWork() as uow:
        add("X")
        uow.on_commit(lambda: ran.append(Product.objects.filter(sku="X").exists()))
        assert ran == []
    assert ran == [True]


def test_on_commit_never_runs_after_rollback():
    ran: list[str] = []
    with pytest.raises(RuntimeError), DjangoUnitOfWork() as uow:
        uow.on_commit(lambda: ran.append("sent"))
        raise RuntimeError("boom")
    assert ran == []


def test_unit_of_work_refuses_to_nest_in_a_transaction():
    nested = DjangoUnitOfWork()
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        nested.__enter__()


def test_the_same_unit_of_work_can_run_twice():
    uow = DjangoUnitOfWork()
    with uow:
        add("ONE")
    with uow:
        add("TWO")
    assert Product.objects.count() == 2
