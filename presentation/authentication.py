"""Bearer tokens (simplejwt), with the user read through the accounts service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from business.accounts import AccountService


@dataclass(frozen=True, slots=True)
class ApiUser:
    """The active user a token names: what the API needs, never a model instance."""

    id: int
    username: str
    is_staff: bool
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
