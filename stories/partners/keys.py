"""Partner keys for the read API: made here, shown once, stored as a hash, revoked.

A key is 32 random bytes (``secrets.token_urlsafe``) behind the ``nrk_`` prefix. Only its
SHA-256 is stored: a fast hash is right for a random secret of that length (a password
hash's slowness protects guessable secrets; nothing guesses 256 random bits), and it
lets a request's key be found by one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from stories.models import PartnerKey

PREFIX = "nrk_"
#: How often a key's "last used" time is written (not on every request).
LAST_USED_PRECISION = timedelta(minutes=10)


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def key_errors(name: str, contact: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Name the partner or app this key is for."
    try:
        validate_email(contact.strip())
    except ValidationError:
        errors["contact"] = "Give an email address to write to about this key."
    return errors


def create_key(
    *, name: str, contact: str, user=None, raw: str | None = None
) -> tuple[PartnerKey, str]:
    """A new key for ``name``: the row, and the key itself, which is never stored and
    cannot be shown again. ``raw`` gives the key (the demo's known one); by default it
    is random."""
    errors = key_errors(name, contact)
    if raw is not None and not raw.startswith(PREFIX):
        errors["key"] = f"A key starts with {PREFIX}."
    if errors:
        raise ValidationError(errors)
    raw = raw or PREFIX + secrets.token_urlsafe(32)
    key = PartnerKey(
        name=name.strip(),
        contact=contact.strip(),
        prefix=raw[: len(PREFIX) + 6],
        key_hash=key_hash(raw),
        created_by=user,
    )
    key._history_user = user
    key._change_reason = "Key created"
    key.save()
    return key, raw


def revoke(key: PartnerKey, *, user=None) -> bool:
    """Revoke ``key`` at once; returns whether it was active."""
    with transaction.atomic():
        locked = PartnerKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked._history_user = user
        locked._change_reason = "Key revoked"
        locked.save()
    key.revoked_at = locked.revoked_at
    return True


def authenticate(raw: str) -> PartnerKey | None:
    """The active key ``raw`` names, else ``None`` (unknown, malformed or revoked)."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    key = PartnerKey.objects.filter(key_hash=key_hash(raw), revoked_at__isnull=True).first()
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
            # A plain UPDATE: a key's use is not an audited change.
            PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
