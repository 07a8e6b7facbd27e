"""The site's secrets and the log's names, read by the settings: the transparency log's
signing key (``NEWSROOM_LOG_SIGNING_KEY``), its signer's record and its origin, and the
key that chains the audit trail (``NEWSROOM_AUDIT_KEY``, stories/record/audit_chain.py),
made the same way as the signing key.

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
    return secret_key(
        value,
        variable=VARIABLE,
        what="signing key for the transparency log",
        why="readers' verifiers hold its public key",
        production=production,
        development_file=development_file,
    )


def secret_key(
    value: str, *, variable: str, what: str, why: str, production: bool, development_file: Path
) -> str:
    """A 32-byte secret as 64 hex characters from ``value`` (the environment ``variable``),
    else, outside production, from ``development_file`` (created with a new key if
    missing); lower-case hex. ``what`` names the key in messages ("signing key for the
    transparency log"), ``why`` says why it must not change lightly."""
    value = value.strip()
    source = variable
    if not value:
        if production:
            raise ImproperlyConfigured(
                f"{variable} must be set when DJANGO_ENV=production: the {what}, as 64 hex "
                "characters (generate one with: python -c 'import secrets; "
                f"print(secrets.token_hex(32))'; keep it secret and never change it lightly, "
                f"{why})."
            )
        value = _development_seed(development_file, variable=variable, what=what)
        source = str(development_file)
    if not _SEED.fullmatch(value):
        raise ImproperlyConfigured(
            f"{source} must hold 64 hexadecimal characters (the {what}), e.g. the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return value.lower()


def _development_seed(path: Path, *, variable: str, what: str) -> str:
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
        f"Newsroom: generated a development {what} in {path} (ignored by git). "
        f"Production needs {variable} (docs/settings.md).\n"
    )
    return seed


STATE_VARIABLE = "NEWSROOM_LOG_SIGNER_STATE"


def signer_state_path(value: str, *, production: bool, development_file: Path) -> Path:
    """Where the signer keeps its record of the last tree head it signed
    (stories/record/signer.py): ``value`` (the variable), else, outside production,
    ``development_file`` beside the generated key. Outside the database on purpose:
    whoever holds the database must not be able to move it."""
    value = value.strip()
    if value:
        return Path(value)
    if production:
        raise ImproperlyConfigured(
            f"{STATE_VARIABLE} must be set when DJANGO_ENV=production: the file where the "
            "transparency log's signer keeps the last tree head it signed, outside the database "
            "(e.g. /var/lib/newsroom/log-signer.json, on storage every app server shares; "
            "docs/transparency.md)."
        )
    return development_file


ORIGIN_VARIABLE = "NEWSROOM_LOG_ORIGIN"


def log_origin(value: str, publication_url: str) -> str:
    """The log's name in its checkpoints (C2SP tlog-checkpoint's origin line): ``value``,
    else the publication's host and path followed by ``/log`` (``localhost/log`` without
    one). No spaces and no plus sign: it is also the key name of the log's signature."""
    value = value.strip()
    if not value:
        address = publication_url.split("://", 1)[-1].rstrip("/") if publication_url else ""
        value = f"{address or 'localhost'}/log"
    if any(c.isspace() or c == "+" for c in value):
        raise ImproperlyConfigured(
            f"{ORIGIN_VARIABLE} must have no spaces and no plus sign (e.g. news.example.com/log), "
            f"not {value!r}."
        )
    return value
