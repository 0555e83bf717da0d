"""The idempotency keys' table."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A client's key for one request, and the answer it got once finished."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # What the first attempt made (an order, a payment), committed with it: a
    # retry after a crash resumes from it instead of running the use case again.
    resource_id = models.BigIntegerField(null=True)
    # Null until presentation keeps an answer; then the stored answer.
    response_status = models.IntegerField(null=True)
    response_body = models.TextField(blank=True, default="")
    response_content_type = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "method", "path", "key"], name="idempotency_key_scope"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"
