"""Catalog endpoints: thin views over CatalogService."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.catalog import CatalogService, ProductQuery
from presentation.actor import actor_of
from presentation.catalog.serializers import (
    ProductCreateInput,
    ProductListQuery,
    ProductOutput,
    ProductPage,
    ProductUpdateInput,
)
from presentation.conditional import (
    ETAG_HEADER,
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    etag,
    if_match,
    tagged,
)
from presentation.pagination import (
    LINK_HEADER,
    cursor_response,
    page_response,
    position_of,
    wants_cursor,
)
from presentation.permissions import StaffWritesOnly
from presentation.schema import problems, validated

TAGS = ["products"]


class ProductListView(APIView):
    permission_classes = [StaffWritesOnly]

    @extend_schema(
        operation_id="list_products",
        summary="List products",
        tags=TAGS,
        parameters=[ProductListQuery, LINK_HEADER],
        responses={200: ProductPage, **problems(400, 404)},
    )
    def get(self, request: Request) -> Response:
        values = validated(ProductListQuery, request.query_params.dict())
        by_cursor = wants_cursor(values)
        scope = f"products:{values.get('ordering', 'created_at')}"
        position = position_of(values, scope) if by_cursor else None
        query = ProductQuery(**values)
        actor = actor_of(request)
        if by_cursor:
            found = CatalogService().list_products_by_cursor(
                actor=actor, query=query, position=position
            )
            results = ProductOutput(found.items, many=True).data
            return cursor_response(request, found, results, scope)
        page = CatalogService().list_products(actor=actor, query=query)
        results = ProductOutput(page.items, many=True).data
        return page_response(request, page, results, scope)

    @extend_schema(
        operation_id="create_product",
        summary="Create a product (staff)",
        tags=TAGS,
        request=ProductCreateInput,
        responses={201: ProductOutput, **problems(400, 401, 403, 413)},
    )
    def post(self, request: Request) -> Response:
        fields = validated(ProductCreateInput, request.data)
        product = CatalogService().create_product(
            actor=actor_of(request), fields=fields
        )
        return Response(ProductOutput(product).data, status=201)


class ProductDetailView(APIView):
    permission_classes = [StaffWritesOnly]

    @extend_schema(
        operation_id="get_product",
        summary="Get a product",
        tags=TAGS,
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: ProductOutput, **NOT_MODIFIED, **problems(404)},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product = CatalogService().get_product(
            actor=actor_of(request), product_id=product_id
        )
        return tagged(request, ProductOutput(product).data, product.version)

    @extend_schema(
        operation_id="update_product",
        summary="Change a product (staff)",
        tags=TAGS,
        request=ProductUpdateInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: ProductOutput, **problems(400, 401, 403, 404, 412, 413)},
    )
    def patch(self, request: Request, product_id: int) -> Response:
        changes = validated(ProductUpdateInput, request.data)
        product = CatalogService().update_product(
            actor=actor_of(request),
            product_id=product_id,
            changes=changes,
            if_match=if_match(request),
        )
        response = Response(ProductOutput(product).data)
        response["ETag"] = etag(product.version)
        return response

    @extend_schema(
        operation_id="deactivate_product",
        summary="Deactivate a product (staff)",
        description="Hides the product from customers; its orders keep it.",
        tags=TAGS,
        responses={204: None, **problems(401, 403, 404)},
    )
    def delete(self, request: Request, product_id: int) -> Response:
        CatalogService().deactivate_product(
            actor=actor_of(request), product_id=product_id
        )
        return Response(status=204)
