"""Accounts data: users (Django's auth model) behind a repository."""
