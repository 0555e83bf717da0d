"""Exceptions the data layer raises instead of leaking database errors."""


class DataError(Exception):
    """Base class of the data layer's own errors."""


class DuplicateError(DataError):
    """A unique constraint refused a row; `field` names the duplicated value."""

    def __init__(self, field: str) -> None:
        super().__init__(f"duplicate {field}")
        self.field = field


class OutOfStock(DataError):
    """The database refused a stock change that would go below zero."""


class TransientConflict(DataError):
    """A deadlock or serialization failure: the transaction was rolled back."""
