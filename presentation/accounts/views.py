"""Account endpoints: thin views over AccountService."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from business.accounts import AccountService, ApiKeyService
from business.errors import AuthenticationFailed
from presentation.accounts.serializers import (
    AccessTokenOutput,
    ApiKeyCreatedOutput,
    ApiKeyCreateInput,
    ApiKeyOutput,
    ApiKeyPage,
    MeOutput,
    RegisterInput,
    TokenObtainInput,
    TokenPairOutput,
    TokenRefreshInput,
    UserOutput,
)
from presentation.actor import actor_of
from presentation.authentication import ApiKeyAuthentication
from presentation.pagination import PageQuery, page_body
from presentation.permissions import IsStaff
from presentation.schema import problems, validated

TAGS = ["auth"]


class RegisterView(APIView):
    # Password guessing and sign-up spam: a stricter limit (THROTTLE_AUTH).
    throttle_scope = "auth"
    # Anonymous, but a key is refused (403), as everywhere outside its scopes.
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        operation_id="register",
        summary="Register a customer account",
        tags=TAGS,
        request=RegisterInput,
        responses={201: UserOutput, **problems(400, 413)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user = AccountService().register(**validated(RegisterInput, request.data))
        return Response(UserOutput(user).data, status=201)


class TokenObtainView(APIView):
    throttle_scope = "auth"
    # Anonymous, but a key is refused (403), as everywhere outside its scopes.
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        operation_id="obtain_token",
        summary="Exchange a username and password for JWTs",
        tags=TAGS,
        request=TokenObtainInput,
        responses={200: TokenPairOutput, **problems(400, 401)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user = AccountService().authenticate(
            **validated(TokenObtainInput, request.data)
        )
        # simplejwt reads only `id` (USER_ID_FIELD) of the user it is given.
        refresh = RefreshToken.for_user(user)  # type: ignore[type-var]
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshView(APIView):
    # Anonymous, but a key is refused (403), as everywhere outside its scopes.
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        operation_id="refresh_token",
        summary="Exchange a refresh token for a new access token",
        tags=TAGS,
        request=TokenRefreshInput,
        responses={200: AccessTokenOutput, **problems(400, 401)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenRefreshInput, request.data)
        try:
            access = RefreshToken(data["refresh"]).access_token
        except TokenError as exc:
            raise AuthenticationFailed(str(exc)) from exc
        return Response({"access": str(access)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="get_me",
        summary="Describe the authenticated user",
        tags=TAGS,
        responses={200: MeOutput, **problems(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutput(AccountService().get_me(actor=actor_of(request))).data)


KEY_TAGS = ["api-keys"]


class ApiKeyListView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        operation_id="list_api_keys",
        summary="List API keys, newest first (staff)",
        description="Every key, revoked ones too; never a secret.",
        tags=KEY_TAGS,
        parameters=[PageQuery],
        responses={200: ApiKeyPage, **problems(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        query = validated(PageQuery, request.query_params.dict())
        page = ApiKeyService().list_keys(actor=actor_of(request), **query)
        return Response(
            page_body(request, page, ApiKeyOutput(page.items, many=True).data)
        )

    @extend_schema(
        operation_id="create_api_key",
        summary="Make an API key that acts for you within its scopes (staff)",
        description="The answer holds the secret `key`, shown this once only.",
        tags=KEY_TAGS,
        request=ApiKeyCreateInput,
        responses={201: ApiKeyCreatedOutput, **problems(400, 401, 403, 413)},
    )
    def post(self, request: Request) -> Response:
        created = ApiKeyService().create_key(
            actor=actor_of(request), **validated(ApiKeyCreateInput, request.data)
        )
        body = {**ApiKeyOutput(created.record).data, "key": created.secret}
        return Response(body, status=201)


class ApiKeyDetailView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        operation_id="revoke_api_key",
        summary="Revoke an API key at once (staff)",
        description="A key already revoked, or unknown, is a 404.",
        tags=KEY_TAGS,
        responses={204: None, **problems(401, 403, 404)},
    )
    def delete(self, request: Request, key_id: int) -> Response:
        ApiKeyService().revoke_key(actor=actor_of(request), key_id=key_id)
        return Response(status=204)
