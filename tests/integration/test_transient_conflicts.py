"""A deadlock is answered as a 409 conflict that changed nothing, never as a 500."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from business.errors import Conflict
from business.transaction import ConcurrentUpdate, atomic
from data.catalog.models import Product
from data.catalog.repository import ProductRepository
from data.errors import TransientConflict
from data.unit_of_work import DjangoUnitOfWork
from tests.factories import ProductFactory


def lock_in_order(first: int, second: int, barrier: threading.Barrier) -> str:
    """Lock two products in the given order; return how the transaction ended."""
    repository = ProductRepository()
    try:
        with atomic(DjangoUnitOfWork()):
            repository.lock_many([first])
            repository.add_stock({first: -1})
            barrier.wait(timeout=10)
            repository.lock_many([second])
            repository.add_stock({second: -1})
        return "committed"
    except ConcurrentUpdate:
        return "conflict"
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_becomes_a_concurrent_update_and_rolls_back():
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(
            pool.map(
                lambda pair: lock_in_order(*pair, barrier), [(a.pk, b.pk), (b.pk, a.pk)]
            )
        )
    # PostgreSQL breaks the cycle by failing exactly one of the two transactions.
    assert outcomes == ["committed", "conflict"]
    stocks = sorted(
        Product.objects.filter(pk__in=[a.pk, b.pk]).values_list("stock", flat=True)
    )
    assert stocks == [9, 9]  # only the winner's two decrements happened


@pytest.mark.django_db(transaction=True)
def test_unit_of_work_reports_a_deadlock_as_transient_conflict():
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def raw(first: int, second: int) -> None:
        repository = ProductRepository()
        try:
            with DjangoUnitOfWork():
                repository.lock_many([first])
                barrier.wait(timeout=10)
                repository.lock_many([second])
        except TransientConflict as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=raw, args=p) for p in [(a.pk, b.pk), (b.pk, a.pk)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert "deadlock" in str(errors[0]).lower()


def test_concurrent_update_is_a_conflict():
    assert issubclass(ConcurrentUpdate, Conflict)
    assert ConcurrentUpdate.code == "concurrent-update"
