"""Accounts: registration, authentication, the current user."""

from business.accounts.service import AccountService
from data.accounts.repository import UserRecord

__all__ = ["AccountService", "UserRecord"]
