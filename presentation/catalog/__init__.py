"""Catalog endpoints and admin."""
