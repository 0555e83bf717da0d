"""Accounts: registration, authentication, the current user, API keys."""

from business.accounts.api_keys import (
    ApiKeyService,
    CreatedApiKey,
    KeyHolder,
    is_api_key,
    key_prefix,
)
from business.accounts.service import AccountService
from data.accounts.api_keys import ApiKeyRecord
from data.accounts.repository import UserRecord
from data.accounts.scopes import Scope

__all__ = [
    "AccountService",
    "ApiKeyRecord",
    "ApiKeyService",
    "CreatedApiKey",
    "KeyHolder",
    "Scope",
    "UserRecord",
    "is_api_key",
    "key_prefix",
]
