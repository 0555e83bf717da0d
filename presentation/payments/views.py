"""Payment endpoints: thin views over PaymentService."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.errors import PaymentDeclined
from business.idempotency import KeyedRequest
from business.payments import (
    PaymentService,
    PaymentStatus,
    RefundLineRequest,
    RefundStatus,
)
from presentation.actor import actor_of
from presentation.authentication import ApiKeyAuthentication
from presentation.idempotency import IDEMPOTENCY_KEY, idempotent
from presentation.pagination import PageQuery, page_body
from presentation.payments.serializers import (
    PaymentCreateInput,
    PaymentDeclinedOutput,
    PaymentOutput,
    PaymentPage,
    RefundCreateInput,
    RefundOutput,
    RefundPage,
    WebhookReceivedOutput,
)
from presentation.permissions import IsStaff
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
        description="Checks, in order: token (400), the provider known to be down "
        "(503 with Retry-After, nothing stored), order (404), status or a payment "
        "already pending (409), amount (400). Then the provider: succeeded is 201 "
        "(the order is paid), declined is 402 with the stored payment, no answer in "
        "time is 202 with the pending payment (poll it; the provider's webhook or "
        "`reconcile_payments` settles it).",
        tags=TAGS,
        request=PaymentCreateInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentOutput,
            202: OpenApiResponse(
                PaymentOutput, description="Pending at the provider; poll it."
            ),
            (402, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PaymentDeclinedOutput, description="The payment was declined."
            ),
            **problems(400, 401, 404, 409, 413, 422, 503),
        },
    )
    @idempotent
    def post(self, request: Request, keyed: KeyedRequest | None) -> Response:
        data = validated(PaymentCreateInput, request.data)
        try:
            payment = PaymentService().pay_order(
                actor=actor_of(request),
                order_id=data["order_id"],
                amount=data["amount"],
                token=data["payment_token"],
                keyed=keyed,
            )
        except PaymentDeclined as declined:
            # The problem carries the payment as the API shows one (the record
            # also holds the provider's reference and the token charged).
            declined.extra["payment"] = PaymentOutput(declined.extra["payment"]).data
            raise
        pending = payment.status is PaymentStatus.PENDING
        return Response(PaymentOutput(payment).data, status=202 if pending else 201)


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


class RefundListView(APIView):
    """A payment's refunds: read by its owner and staff, made by staff."""

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsStaff()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="list_refunds",
        summary="List a payment's refunds, newest first",
        description="The payment's owner and staff; another customer's payment is 404.",
        tags=TAGS,
        parameters=[PageQuery],
        responses={200: RefundPage, **problems(400, 401, 404)},
    )
    def get(self, request: Request, payment_id: int) -> Response:
        query = validated(PageQuery, request.query_params.dict())
        page = PaymentService().list_refunds(
            actor=actor_of(request), payment_id=payment_id, **query
        )
        results = RefundOutput(page.items, many=True).data
        return Response(page_body(request, page, results))

    @extend_schema(
        operation_id="refund_payment",
        summary="Refund a payment, by amount or by lines (staff)",
        description="`{amount}`, or `{lines, restock}`, or neither (what remains). "
        "Checks, in order: the body (400: both `amount` and `lines`, no lines, "
        "`restock` without lines, a product twice), the provider known to be down "
        "(503 with Retry-After, nothing stored), the payment (404), its status "
        "(409 `payment-not-refundable` unless succeeded or partially refunded), "
        "the lines (400: a product not in the order, more units than remain), "
        "then what remains of the payment, refunds pending at the provider "
        "included (409 `refund-exceeds-payment`). Then the provider: succeeded "
        "is 201 (`restock` put the lines back in stock), refused is 201 with "
        "status `failed` and `failure_reason`, no answer in time is 202 with the "
        "pending refund (its webhook or `reconcile_payments` settles it).",
        tags=TAGS,
        request=RefundCreateInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: RefundOutput,
            202: OpenApiResponse(
                RefundOutput, description="Pending at the provider; poll the list."
            ),
            **problems(400, 401, 403, 404, 409, 413, 422, 503),
        },
    )
    @idempotent
    def post(
        self, request: Request, payment_id: int, keyed: KeyedRequest | None
    ) -> Response:
        data = validated(RefundCreateInput, request.data)
        lines = data.get("lines")
        refund = PaymentService().refund_payment(
            actor=actor_of(request),
            payment_id=payment_id,
            amount=data.get("amount"),
            lines=None if lines is None else [RefundLineRequest(**ln) for ln in lines],
            restock=data["restock"],
            reason=data["reason"],
            keyed=keyed,
        )
        pending = refund.status is RefundStatus.PENDING
        return Response(RefundOutput(refund).data, status=202 if pending else 201)


class PaymentWebhookView(APIView):
    """The provider's events: verified by signature, not by a user's credentials."""

    # A key is refused (403), as everywhere outside its scopes; no one else logs in.
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [AllowAny]
    # The provider retries what it could not deliver; a throttle would only
    # delay settling. A bad signature is refused before any database work.
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="receive_payment_webhook",
        summary="Receive the payment provider's events",
        description="Stripe's webhook format, verified with `Stripe-Signature` "
        "(`t=…,v1=…`, 5-minute tolerance). Settles pending payments and refunds; "
        "an event seen before changes nothing. Missing or bad signature: 400 "
        "`invalid-signature`, nothing changed.",
        tags=TAGS,
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature", str, OpenApiParameter.HEADER, required=True
            )
        ],
        responses={200: WebhookReceivedOutput, **problems(400, 413)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        fresh = PaymentService().handle_webhook(
            actor=actor_of(request),
            body=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
        return Response(WebhookReceivedOutput({"duplicate": not fresh}).data)
