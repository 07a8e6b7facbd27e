"""Webhook endpoints: added, disabled, their secrets rotated, their addresses checked.

A secret is ``whsec_`` and 32 random bytes in base64, as the Standard Webhooks
specification has it. Rotating keeps the old secret signing beside the new one for
``WEBHOOK_SECRET_OVERLAP`` (each message then carries two signatures), so a partner can
switch at its own pace without losing a message.

Addresses are checked when an endpoint is added and again, after DNS resolution, by every
delivery (``delivery``): none may lead to a loopback, private, link-local or otherwise
internal address, unless ``NEWSROOM_WEBHOOKS_ALLOW_PRIVATE`` is set (development and
tests only; production refuses it).
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from requests_hardened.ip_filter import filter_host

from stories.models import WebhookEndpoint, WebhookMessage

from . import events

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_overlap() -> timedelta:
    return timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)


def signing_secrets(endpoint: WebhookEndpoint, now=None) -> list[str]:
    """The secrets a message is signed with now: the current one, and the previous one
    while its overlap lasts."""
    now = now or timezone.now()
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and now < endpoint.previous_secret_until
    ):
        found.append(endpoint.previous_secret)
    return found


def address_error(url: str) -> str | None:
    """Why deliveries to ``url`` would be refused, or ``None``: an http(s) address whose
    host resolves to a public address (any address with ALLOW_PRIVATE)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Give a full http:// or https:// address."
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "An address with a user name or password in it is refused: secrets travel in the signature."
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        filter_host(
            parts.hostname or "",
            parts.port or (443 if parts.scheme == "https" else 80),
            allow_loopback=False,
        )
    except requests.RequestException as error:
        if isinstance(error, requests.ConnectionError):
            return f"{parts.hostname} cannot be resolved."
        return f"{parts.hostname} leads to a private or internal address ({error}); deliveries go to public addresses only."
    return None


def endpoint_errors(url: str, event_types, contact: str) -> dict[str, str]:
    errors = {}
    problem = address_error(url.strip())
    if problem:
        errors["url"] = problem
    unknown = events.unknown_event_types(event_types)
    if unknown:
        errors["event_types"] = (
            f"Unknown event {', '.join(unknown)}; choose from {', '.join(events.EVENT_TYPES)}."
        )
    if contact.strip():
        try:
            validate_email(contact.strip())
        except ValidationError:
            errors["contact"] = "Give an email address (or leave it empty)."
    return errors


def add_endpoint(
    *, url: str, name: str = "", event_types=(), contact: str = "", user=None
) -> WebhookEndpoint:
    """A new active endpoint with a fresh secret (``endpoint.secret``, shown to the
    partner once)."""
    event_types = sorted(set(event_types))
    errors = endpoint_errors(url, event_types, contact)
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        name=name.strip() or urlsplit(url).hostname or url,
        url=url.strip(),
        contact=contact.strip(),
        event_types=event_types,
        secret=new_secret(),
    )
    _save(endpoint, user, "Endpoint added")
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, user=None) -> str:
    """A new secret; the old one keeps signing for ``secret_overlap()``."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_until = timezone.now() + secret_overlap()
        locked.secret = new_secret()
        _save(locked, user, "Signing secret rotated")
    endpoint.refresh_from_db()
    return locked.secret


def disable(endpoint: WebhookEndpoint, *, reason: str, user=None) -> bool:
    """Stop delivering to ``endpoint``; its pending messages are given up (they can be
    redelivered once it is enabled again). Returns whether it was active."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            return False
        locked.active = False
        locked.disabled_at = timezone.now()
        locked.disabled_reason = reason[:300]
        _save(locked, user, f"Disabled: {reason}"[:100])
        WebhookMessage.objects.filter(endpoint=locked, status=WebhookMessage.Status.PENDING).update(
            status=WebhookMessage.Status.FAILED,
            next_attempt_at=None,
            last_error=f"Endpoint disabled: {reason}"[:500],
        )
    endpoint.refresh_from_db()
    return True


def enable(endpoint: WebhookEndpoint, *, user=None) -> bool:
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.active:
            return False
        locked.active = True
        locked.disabled_at = None
        locked.disabled_reason = ""
        locked.failing_since = None
        _save(locked, user, "Enabled")
    endpoint.refresh_from_db()
    return True


def _save(endpoint: WebhookEndpoint, user, reason: str) -> None:
    endpoint._history_user = user
    endpoint._change_reason = reason
    try:
        endpoint.save()
    finally:
        for attribute in ("_change_reason", "_history_user"):
            endpoint.__dict__.pop(attribute, None)
