"""The transparency log's signing key, read by the settings (``NEWSROOM_LOG_SIGNING_KEY``).

The site signs each head of its transparency log with an Ed25519 key (stories/record/signing.py).
The key is the private key's 32-byte seed as 64 hex characters; any
``python -c 'import secrets; print(secrets.token_hex(32))'`` is one. Production refuses to
start without it. On a laptop, a key is generated once into a file that git ignores, and
the first process that does so says where.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

VARIABLE = "NEWSROOM_LOG_SIGNING_KEY"
_SEED = re.compile(r"[0-9a-fA-F]{64}")


def signing_key_seed(value: str, *, production: bool, development_file: Path) -> str:
    """The seed from ``value`` (the variable), else, outside production, from
    ``development_file`` (created with a new key if missing); lower-case hex."""
    value = value.strip()
    source = VARIABLE
    if not value:
        if production:
            raise ImproperlyConfigured(
                f"{VARIABLE} must be set when DJANGO_ENV=production: the Ed25519 key that signs "
                "the transparency log, as 64 hex characters (generate one with: python -c "
                "'import secrets; print(secrets.token_hex(32))'; keep it secret and never change "
                "it lightly, readers' verifiers hold its public key)."
            )
        value = _development_seed(development_file)
        source = str(development_file)
    if not _SEED.fullmatch(value):
        raise ImproperlyConfigured(
            f"{source} must hold 64 hexadecimal characters (the Ed25519 signing key's 32-byte "
            "seed), e.g. the output of python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return value.lower()


def _development_seed(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    seed = secrets.token_hex(32)
    # Written aside, then linked into place: of several processes starting at once (test
    # workers, runserver's reloader) exactly one creates the file, and all read the same.
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(seed + "\n", encoding="ascii")
    temporary.chmod(0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        temporary.unlink()
    sys.stderr.write(
        f"Newsroom: generated a development signing key for the transparency log in {path} "
        f"(ignored by git). Production needs {VARIABLE} (docs/settings.md).\n"
    )
    return seed
