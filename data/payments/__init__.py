"""Payments data: stored payments and the payment gateway adapters."""
