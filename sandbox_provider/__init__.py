"""A sandbox payment provider: the subset of Stripe's HTTP API Orderly uses.

A program of its own (`python -m sandbox_provider`), reached only over HTTP; it
imports nothing of Orderly. It keeps its books on disk, deduplicates by
`Idempotency-Key`, sends signed webhooks, and can be told to fail.
"""
