"""Account endpoints: thin views over AccountService."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from business.accounts import AccountService
from business.errors import AuthenticationFailed
from presentation.accounts.serializers import (
    AccessTokenOutput,
    MeOutput,
    RegisterInput,
    TokenObtainInput,
    TokenPairOutput,
    TokenRefreshInput,
    UserOutput,
)
from presentation.actor import actor_of
from presentation.schema import problems, validated

TAGS = ["auth"]


class RegisterView(APIView):
    # Password guessing and sign-up spam: a stricter limit (THROTTLE_AUTH).
    throttle_scope = "auth"
    authentication_classes: list = []

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
    authentication_classes: list = []

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
    authentication_classes: list = []

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
