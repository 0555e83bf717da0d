"""Idempotency keys for the POST endpoints that create things."""

from business.idempotency.service import Claim, IdempotencyService, Replay

__all__ = ["Claim", "IdempotencyService", "Replay"]
