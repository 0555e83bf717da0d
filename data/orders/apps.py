"""App config of the orders data app."""

from django.apps import AppConfig


class OrdersDataConfig(AppConfig):
    name = "data.orders"
    label = "orders"
    verbose_name = "Orders"
