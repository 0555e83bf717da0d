"""Catalog: products, prices and stock."""

from business.catalog.service import PRODUCT_ORDERINGS, CatalogService, ProductQuery
from data.catalog.repository import ProductRecord
from data.records import Page

__all__ = [
    "PRODUCT_ORDERINGS",
    "CatalogService",
    "Page",
    "ProductQuery",
    "ProductRecord",
]
