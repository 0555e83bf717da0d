"""Payment endpoints: thin views over PaymentService."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.payments import PaymentService
from presentation.actor import actor_of
from presentation.idempotency import IDEMPOTENCY_KEY, idempotent
from presentation.pagination import PageQuery, page_body
from presentation.payments.serializers import (
    PaymentCreateInput,
    PaymentDeclinedOutput,
    PaymentOutput,
    PaymentPage,
)
from presentation.problems import PROBLEM_CONTENT_TYPE
from presentation.schema import problems, validated

TAGS = ["payments"]


class PaymentListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="list_payments",
        summary="List payments, newest first",
        description="Customers see their own payments; staff see all.",
        tags=TAGS,
        parameters=[PageQuery],
        responses={200: PaymentPage, **problems(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        query = validated(PageQuery, request.query_params.dict())
        page = PaymentService().list_payments(actor=actor_of(request), **query)
        results = PaymentOutput(page.items, many=True).data
        return Response(page_body(request, page, results))

    @extend_schema(
        operation_id="pay_order",
        summary="Pay an order",
        description="Checks, in order: token (400), order (404), status (409), "
        "amount (400); then the gateway: declined is 402 with the stored payment.",
        tags=TAGS,
        request=PaymentCreateInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentOutput,
            (402, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PaymentDeclinedOutput, description="The payment was declined."
            ),
            **problems(400, 401, 404, 409, 413, 422),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(PaymentCreateInput, request.data)
        payment = PaymentService().pay_order(
            actor=actor_of(request),
            order_id=data["order_id"],
            amount=data["amount"],
            token=data["payment_token"],
        )
        return Response(PaymentOutput(payment).data, status=201)


class PaymentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="get_payment",
        summary="Get a payment",
        tags=TAGS,
        responses={200: PaymentOutput, **problems(401, 404)},
    )
    def get(self, request: Request, payment_id: int) -> Response:
        payment = PaymentService().get_payment(
            actor=actor_of(request), payment_id=payment_id
        )
        return Response(PaymentOutput(payment).data)
