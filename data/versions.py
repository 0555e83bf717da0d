"""A record's version: what entity tags (ETag, If-Match) are made of."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def version_of(record: DataclassInstance) -> str:
    """Return a digest of every field of a record; it changes when any field does."""
    # str() of Decimal and datetime keeps their exact value (9.50, microseconds).
    canonical = json.dumps(asdict(record), default=str, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
