"""Idempotency keys: the first answer to a keyed request, kept for replays."""
