"""What /metrics shows of payments: pending ones, measured when scraped."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from business.payments import PaymentService
from data.payments.models import Payment
from presentation.payments.metrics import OLDEST, STALE, PendingPaymentsCollector
from tests.api.test_outbox_metrics import scrape
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def pending(age: timedelta) -> Payment:
    payment = Payment.objects.create(
        order=OrderFactory(), amount=Decimal("5.00"), currency="EUR", status="pending"
    )
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - age)
    return payment


def test_a_scrape_shows_payments_pending_past_the_alert_age(api, settings):
    settings.PAYMENT_PENDING_ALERT_SECONDS = 300
    assert scrape(api)[STALE] == [0]
    assert scrape(api)[OLDEST] == [0]
    pending(timedelta(seconds=30))
    pending(timedelta(minutes=10))
    families = scrape(api)
    assert families[STALE] == [1]
    assert 599 <= families[OLDEST][0] <= 660


class BrokenService(PaymentService):
    def pending_backlog(self, *, alert_after: int):
        raise ConnectionError("database unreachable")


def test_without_a_database_the_gauge_is_left_out_not_the_scrape(caplog):
    collector = PendingPaymentsCollector(BrokenService())
    assert list(collector.collect()) == []
    assert "pending payments not measured" in caplog.text


def test_registering_the_collector_does_not_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        names = [m.name for m in PendingPaymentsCollector().describe()]
    assert names == [STALE, OLDEST]
