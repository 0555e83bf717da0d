"""A deadlock is answered as a 409 conflict that changed nothing, never as a 500;
the payment paths take their locks in one order, so that they do not deadlock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from business.actor import Actor
from business.errors import Conflict
from business.payments import PaymentService
from business.payments.settlement import Settlement
from business.transaction import ConcurrentUpdate, atomic
from data.catalog.models import Product
from data.catalog.repository import ProductRepository
from data.errors import TransientConflict
from data.orders.events import EventRepository
from data.orders.repository import OrderRepository
from data.payments.gateway import SandboxGateway
from data.payments.provider import Outcome, ProviderResult
from data.payments.refunds import RefundRepository
from data.payments.repository import PaymentRepository
from data.payments.statuses import PaymentStatus, RefundStatus
from data.unit_of_work import DjangoUnitOfWork
from tests.factories import OrderFactory, ProductFactory
from tests.integration.locks import wait_for_lock_waiters
from tests.live_server import database_url


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


@pytest.mark.django_db(transaction=True)
def test_a_refund_settled_while_its_charge_is_settled_does_not_deadlock():
    # As a cancel's refund is settled while the charge's late webhook is: the
    # charge's settling locks the order, then the payment.
    order = OrderFactory(status="paid", total=Decimal("10.00"))
    payments = PaymentRepository()
    payment = payments.add(
        order_id=order.pk, amount=order.total, currency="EUR", payment_method="tok"
    )
    payment = payments.settle(payment, PaymentStatus.SUCCEEDED, gateway_reference="p")
    refunds = RefundRepository()
    refund = refunds.add(payment_id=payment.id, amount=Decimal("10.00"))
    conninfo = database_url(connection.settings_dict)
    order_locked = threading.Event()

    def charge_settling() -> str:
        try:
            with DjangoUnitOfWork():
                OrderRepository().lock(order.pk)
                order_locked.set()
                wait_for_lock_waiters(conninfo)
                PaymentRepository().lock(payment.id)
            return "committed"
        except Exception as error:
            return type(error).__name__
        finally:
            connection.close()

    def refund_settling() -> str:
        settlement = Settlement(
            payments=PaymentRepository(),
            refunds=RefundRepository(),
            orders=OrderRepository(),
            products=ProductRepository(),
            events=EventRepository(),
            gateway=SandboxGateway(),
            uow=DjangoUnitOfWork(),
        )
        order_locked.wait(timeout=10)
        done = ProviderResult(outcome=Outcome.SUCCEEDED, reference="re_1")
        try:
            settlement.settle_refund(Actor(user_id=None), refund.id, done)
            return "committed"
        except Exception as error:
            return type(error).__name__
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = [pool.submit(charge_settling), pool.submit(refund_settling)]
        assert [outcome.result(timeout=30) for outcome in outcomes] == [
            "committed",
            "committed",
        ]
    assert refunds.find(refund.id).status is RefundStatus.SUCCEEDED
    assert payments.find(payment.id).status is PaymentStatus.REFUNDED


def deadlock_on_commit(monkeypatch, commit_number: int) -> None:
    """Make the `commit_number`-th COMMIT from now fail as a deadlock would."""
    real = psycopg.Connection.commit
    commits = iter(range(1, 1000))

    def commit(self) -> None:
        if next(commits) == commit_number:
            raise psycopg.errors.DeadlockDetected("deadlock detected (at commit)")
        real(self)

    monkeypatch.setattr(psycopg.Connection, "commit", commit)


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_at_commit_is_a_transient_conflict_and_rolls_back(monkeypatch):
    # Deferred foreign-key checks take their locks at COMMIT: a deadlock can
    # come last, after every statement of the block succeeded.
    product = ProductFactory(stock=10)
    deadlock_on_commit(monkeypatch, 1)
    with pytest.raises(TransientConflict, match="deadlock"), DjangoUnitOfWork():
        ProductRepository().add_stock({product.pk: -1})
    assert Product.objects.get(pk=product.pk).stock == 10


@pytest.mark.django_db(transaction=True)
def test_a_settlement_that_deadlocks_at_commit_leaves_the_payment_pending(
    monkeypatch,
):
    order = OrderFactory(lines=1)
    service = PaymentService(gateway=SandboxGateway())
    customer = Actor(user_id=order.customer_id)
    # The first commit records the pending payment; the second, the outcome's.
    deadlock_on_commit(monkeypatch, 2)
    payment = service.pay_order(
        actor=customer, order_id=order.pk, amount=order.total, token="tok_visa"
    )
    assert payment.status is PaymentStatus.PENDING
    assert PaymentRepository().find(payment.id).status is PaymentStatus.PENDING
    # Settled later, once, by whoever asks the provider again.
    monkeypatch.undo()
    service.reconcile(actor=Actor(user_id=None, is_staff=True), older_than=timedelta())
    assert PaymentRepository().find(payment.id).status is PaymentStatus.SUCCEEDED
