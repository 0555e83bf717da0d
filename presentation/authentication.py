"""Bearer credentials: API keys, else simplejwt's tokens; users via the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from business import errors
from business.accounts import AccountService, ApiKeyService, is_api_key
from presentation.scopes import allows


@dataclass(frozen=True, slots=True)
class ApiUser:
    """The active user a token names: what the API needs, never a model instance."""

    id: int
    username: str
    is_staff: bool
    # Set when the credential was an API key: the user is the key's creator.
    api_key_id: int | None = None
    scopes: frozenset[str] = frozenset()
    is_active: ClassVar[bool] = True
    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    @property
    def pk(self) -> int:
        return self.id


class BearerAuthentication(JWTAuthentication):
    """simplejwt's access tokens; the user is looked up on every request.

    The lookup stays (a deactivated or deleted user's tokens stop working at
    once) but goes through the accounts service: one fixed statement instead of
    the ORM building and filling a whole user model.
    """

    def get_user(self, validated_token: Token) -> ApiUser:  # type: ignore[override]
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken(
                "Token contained no recognizable user identification"
            ) from exc
        user = AccountService().active_user(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        return ApiUser(id=user.id, username=user.username, is_staff=user.is_staff)


class BearerScheme(SimpleJWTScheme):
    """Document BearerAuthentication as simplejwt's bearer scheme."""

    target_class = "presentation.authentication.BearerAuthentication"


class ApiKeyAuthentication(BaseAuthentication):
    """API keys (`Bearer ork_live_…`), held to their scopes; other bearers pass on.

    Listed before the JWT class, which would refuse a key as a malformed token.
    The scope is checked here, the one step every view runs, so no view can
    forget it: a key outside its scopes is a 403 before the view's own checks.
    """

    def authenticate(self, request: Request) -> tuple[ApiUser, int] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        credential = parts[1].decode("latin-1")
        if not is_api_key(credential):
            return None
        try:
            holder = ApiKeyService().authenticate_key(key=credential)
        except errors.AuthenticationFailed as exc:
            raise AuthenticationFailed(exc.detail) from exc
        match = request._request.resolver_match
        route = match.url_name if match else None
        if not allows(holder.scopes, route, request.method or "GET"):
            raise PermissionDenied("This API key's scopes do not allow this operation.")
        user = ApiUser(
            id=holder.user_id,
            username=holder.username,
            is_staff=True,
            api_key_id=holder.key_id,
            scopes=holder.scopes,
        )
        return user, holder.key_id

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Document API keys as a bearer scheme of their own."""

    target_class = "presentation.authentication.ApiKeyAuthentication"
    name = "apiKey"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ork_live_<id>_<secret>",
            "description": "An API key (staff make them at /api/v1/api-keys/), "
            "limited to its scopes.",
        }
