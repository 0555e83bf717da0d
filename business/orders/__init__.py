"""Orders: placing, reading and moving orders through their statuses."""

from business.orders.service import NewLine, OrderService
from data.orders.events import EventRecord
from data.orders.repository import OrderLineRecord, OrderRecord
from data.orders.statuses import OrderStatus

__all__ = [
    "EventRecord",
    "NewLine",
    "OrderLineRecord",
    "OrderRecord",
    "OrderService",
    "OrderStatus",
]
