"""Idempotency keys for the POST endpoints that create things."""

from business.idempotency.service import IdempotencyService, KeyedRequest, Replay

__all__ = ["IdempotencyService", "KeyedRequest", "Replay"]
