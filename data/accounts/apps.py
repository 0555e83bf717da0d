"""App config of the accounts data app."""

from django.apps import AppConfig


class AccountsDataConfig(AppConfig):
    name = "data.accounts"
    label = "accounts"
    verbose_name = "Accounts"
