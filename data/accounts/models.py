"""Accounts data beside Django's users: the API keys other systems call with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiKey(models.Model):
    """A key another system calls the API with; only its secret's hash is kept."""

    # Public: the key names it, so a presented key is found by it, then its secret
    # is compared in constant time.
    public_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    # PROTECT: a key's events name it, and a staff user who made keys is
    # deactivated (which stops the keys), never deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["-created_at", "-id"], name="api_key_newest")]

    def __str__(self) -> str:
        return f"{self.name} (ork_live_{self.public_id})"
