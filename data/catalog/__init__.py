"""Catalog data: products and their stock."""
