"""Order endpoints: thin views over OrderService."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.actor import Actor
from business.idempotency import KeyedRequest
from business.orders import NewLine, OrderRecord, OrderService
from presentation.actor import actor_of
from presentation.conditional import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED, tagged
from presentation.idempotency import IDEMPOTENCY_KEY, idempotent
from presentation.orders.serializers import (
    OrderCreateInput,
    OrderEventOutput,
    OrderListQuery,
    OrderOutput,
    OrderPage,
)
from presentation.pagination import (
    LINK_HEADER,
    cursor_response,
    page_response,
    position_of,
    wants_cursor,
)
from presentation.permissions import IsStaff
from presentation.schema import problems, validated

TAGS = ["orders"]
# Cursors of the orders list: one ordering, newest first.
ORDERS_SCOPE = "orders"


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="list_orders",
        summary="List orders, newest first",
        description="Customers see their own orders; staff see all.",
        tags=TAGS,
        parameters=[OrderListQuery, LINK_HEADER],
        responses={200: OrderPage, **problems(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        query = validated(OrderListQuery, request.query_params.dict())
        actor = actor_of(request)
        if wants_cursor(query):
            position = position_of(query, ORDERS_SCOPE)
            del query["page"]  # a cursor wins over a page number
            found = OrderService().list_orders_by_cursor(
                actor=actor, position=position, **query
            )
            results = OrderOutput(found.items, many=True).data
            return cursor_response(request, found, results, ORDERS_SCOPE)
        page = OrderService().list_orders(actor=actor, **query)
        results = OrderOutput(page.items, many=True).data
        return page_response(request, page, results, ORDERS_SCOPE)

    @extend_schema(
        operation_id="place_order",
        summary="Place an order",
        description="Reserves stock for every line, or for none (409).",
        tags=TAGS,
        request=OrderCreateInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderOutput, **problems(400, 401, 409, 413, 422)},
    )
    @idempotent
    def post(self, request: Request, keyed: KeyedRequest | None) -> Response:
        items = validated(OrderCreateInput, request.data)["items"]
        order = OrderService().place_order(
            actor=actor_of(request),
            lines=[NewLine(**item) for item in items],
            keyed=keyed,
        )
        return Response(OrderOutput(order).data, status=201)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="get_order",
        summary="Get an order",
        tags=TAGS,
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: OrderOutput, **NOT_MODIFIED, **problems(401, 404)},
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = OrderService().get_order(actor=actor_of(request), order_id=order_id)
        return tagged(request, OrderOutput(order).data, order.version)


class OrderEventsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="list_order_events",
        summary="List an order's audit trail, oldest first",
        tags=TAGS,
        responses={200: OrderEventOutput(many=True), **problems(401, 404)},
    )
    def get(self, request: Request, order_id: int) -> Response:
        events = OrderService().list_events(actor=actor_of(request), order_id=order_id)
        return Response(OrderEventOutput(events, many=True).data)


class Move(Protocol):
    """A use case of OrderService that changes one order's status."""

    def __call__(self, *, actor: Actor, order_id: int) -> OrderRecord: ...


# Picks the method from each new service, so wrappers added to the class later
# (tracing) are honoured.
PickMove = Callable[[OrderService], Move]


def _move_view(
    action: str, pick: PickMove, summary: str, staff_only: bool
) -> type[APIView]:
    """Build the view of one status change: POST, no body, the updated order back."""

    class MoveView(APIView):
        permission_classes = (
            [IsAuthenticated, IsStaff] if staff_only else [IsAuthenticated]
        )

        @extend_schema(
            operation_id=f"{action}_order",
            summary=summary,
            tags=TAGS,
            request=None,
            responses={200: OrderOutput, **problems(401, 403, 404, 409)},
        )
        def post(self, request: Request, order_id: int) -> Response:
            move = pick(OrderService())
            order = move(actor=actor_of(request), order_id=order_id)
            return Response(OrderOutput(order).data)

    MoveView.__name__ = MoveView.__qualname__ = f"Order{action.title()}View"
    return MoveView


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cancel_order",
        summary="Cancel an order (restores stock, refunds a payment)",
        description="A paid order's payment is refunded at the provider. A retry "
        "with the same Idempotency-Key resumes the first cancel (a refund left "
        "pending is asked about again, never made twice).",
        tags=TAGS,
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: OrderOutput, **problems(400, 401, 403, 404, 409, 422)},
    )
    @idempotent
    def post(
        self, request: Request, order_id: int, keyed: KeyedRequest | None
    ) -> Response:
        order = OrderService().cancel_order(
            actor=actor_of(request), order_id=order_id, keyed=keyed
        )
        return Response(OrderOutput(order).data)


OrderShipView = _move_view(
    "ship",
    lambda service: service.ship_order,
    "Mark a paid order shipped (staff)",
    staff_only=True,
)
OrderDeliverView = _move_view(
    "deliver",
    lambda service: service.deliver_order,
    "Mark a shipped order delivered (staff)",
    staff_only=True,
)
