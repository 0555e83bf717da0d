"""Orders: placing, reading and moving orders through their statuses."""

from business.orders.rules import STATUSES
from business.orders.service import NewLine, OrderService
from data.orders.events import EventRecord
from data.orders.repository import OrderLineRecord, OrderRecord

__all__ = [
    "STATUSES",
    "EventRecord",
    "NewLine",
    "OrderLineRecord",
    "OrderRecord",
    "OrderService",
]
