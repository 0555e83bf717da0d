"""App config of the cache data app."""

from django.apps import AppConfig


class CacheDataConfig(AppConfig):
    name = "data.cache"
    label = "cache"
    verbose_name = "Shared cache"
