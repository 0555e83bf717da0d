"""App config of the idempotency data app."""

from django.apps import AppConfig


class IdempotencyDataConfig(AppConfig):
    name = "data.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
