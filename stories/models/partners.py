"""Partners: who reads the API with a key of their own, and who is told of every new
version by webhook (``stories.partners`` is the one way to change these rows).

- ``PartnerKey``: a key for the read API (``stories.api``), for a higher rate limit.
  Only a hash of it is stored; the key itself is shown once, when it is made.
- ``WebhookEndpoint``: a partner's address, the events it wants, and the secret its
  messages are signed with (Standard Webhooks).
- ``WebhookMessage``: one event for one endpoint, with the ``webhook-id`` that stays the
  same across every attempt (the receiver's idempotency key); ``WebhookAttempt``: each
  try at delivering it, with its status code, time and error (the admin's delivery log).

Keys and endpoints keep an audit trail (who made, changed or revoked them) that never
holds a secret or a key's hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import history


class PartnerKey(models.Model):
    """A partner's key for the read API. Grants a higher rate limit, nothing else: the
    API serves published data only, to anyone."""

    name = models.CharField(
        max_length=200, help_text="The partner or app, e.g. “Coastal Ledger app”."
    )
    contact = models.EmailField(
        help_text="Who to write to about this key (rotation, abuse, changes)."
    )
    prefix = models.CharField(
        max_length=16, editable=False, help_text="The key's first characters, to recognise it."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = history(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "partner API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEndpoint(models.Model):
    """Where a partner wants to hear of new versions, and which events."""

    name = models.CharField(max_length=200, help_text="The partner, e.g. “Island Gazette”.")
    url = models.URLField(max_length=500, help_text="An https:// address that accepts POST.")
    contact = models.EmailField(
        blank=True, help_text="Told when the endpoint is disabled after failing for days."
    )
    event_types = models.JSONField(
        default=list,
        blank=True,
        help_text="The events wanted; none named means every event but minor edits.",
    )
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    #: The secret before the last rotation, still signing until ``previous_secret_until``.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The first failure since the last success: an endpoint failing for days is disabled.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    history = history(excluded_fields=["secret", "previous_secret", "failing_since"])

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.url})"


class WebhookMessage(models.Model):
    """One event for one endpoint: its body is fixed when the event happens, and every
    attempt sends it again with the same ``webhook-id``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook_id = models.CharField("webhook-id", max_length=40, unique=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: Attempts made (or claimed by a worker); the next one is number ``attempts + 1``.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_message_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_message_endpoint"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One try at delivering a message: what the endpoint answered, or why it could not."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self):
        return f"attempt {self.number} of {self.message_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
