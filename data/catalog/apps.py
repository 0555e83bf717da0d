"""App config of the catalog data app."""

from django.apps import AppConfig


class CatalogDataConfig(AppConfig):
    name = "data.catalog"
    label = "catalog"
    verbose_name = "Catalog"
