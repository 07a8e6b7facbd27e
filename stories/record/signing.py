"""The site's Ed25519 key, which signs the heads of its transparency log.

The private key is ``settings.LOG_SIGNING_KEY`` (``NEWSROOM_LOG_SIGNING_KEY``: the 32-byte
seed in hex); its public key is published on the site (``/log/public-key.txt`` and in
every tree head) and printed by ``manage.py log_public_key``. Signatures and keys travel
as hex. ``cryptography`` does the signing.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

ALGORITHM = "Ed25519"


@lru_cache(maxsize=4)
def _private_key(seed_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.LOG_SIGNING_KEY)


def public_key_hex() -> str:
    """The public key readers' verifiers hold, as 64 hex characters."""
    raw = private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw.hex()


def sign(data: bytes) -> str:
    return private_key().sign(data).hex()


def is_valid(public_key: str, signature: str, data: bytes) -> bool:
    """Whether ``signature`` (hex) is ``public_key``'s (hex) signature of ``data``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), data)
    except (ValueError, InvalidSignature):
        return False
    return True
