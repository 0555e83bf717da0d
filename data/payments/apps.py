"""App config of the payments data app."""

from django.apps import AppConfig


class PaymentsDataConfig(AppConfig):
    name = "data.payments"
    label = "payments"
    verbose_name = "Payments"
