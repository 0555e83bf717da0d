"""Presentation layer: REST views, Django admin and management commands."""
