"""The log's newest head as a C2SP checkpoint, and the witnesses' cosignatures of it.

Transparency-log tooling and witnesses read checkpoints (c2sp.org/tlog-checkpoint): a
signed note (c2sp.org/signed-note) whose text is the log's origin, its size and its
base64 root hash, signed by the log's key (the same Ed25519 key as the tree heads, under
the key name ``settings.LOG_ORIGIN``). Each head is signed as a checkpoint when it is
signed at all (``signer.sign``); ``/log/checkpoint`` serves the newest, followed by the
cosignatures witnesses sent for exactly that checkpoint (c2sp.org/tlog-cosignature),
so a reader can require heads that others have seen.

Witnesses send their cosignatures to ``POST /log/cosignatures``. The signature is the
authentication: only the witnesses the site names (``NEWSROOM_LOG_WITNESSES``, their
verifier keys) are accepted, and only for checkpoints the site signed. Formats are
parsed by the outside verifier's own code (``outside_verifier``: a witness and the site
read the same bytes the same way), which the tests check against the specifications'
examples.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from stories.models import Cosignature, TreeHead

from . import signing
from .outside_verifier import (
    COSIGNATURE_ED25519,
    NOTE_ED25519,
    Checkpoint,
    Note,
    NoteKey,
    signature_line,
    valid_cosignatures,
)

#: A cosignature dated further ahead than this (clocks drift) is refused.
FUTURE_SKEW_SECONDS = 300


class CosignatureRefused(Exception):
    """A submission that is not accepted, with the HTTP status that says why
    (c2sp.org/tlog-witness's choices where they fit): 400 malformed, 403 no known
    witness's valid cosignature, 404 another log, 409 a checkpoint the site never signed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def log_key(origin: str | None = None) -> NoteKey:
    """The log's note key: its origin as the key name, the site's Ed25519 public key."""
    return NoteKey(
        origin or settings.LOG_ORIGIN, NOTE_ED25519, bytes.fromhex(signing.public_key_hex())
    )


def witnesses() -> list[NoteKey]:
    """The witnesses whose cosignatures the site accepts (``NEWSROOM_LOG_WITNESSES``)."""
    return _parsed_witnesses(tuple(settings.LOG_WITNESSES))


@lru_cache(maxsize=4)
def _parsed_witnesses(vkeys: tuple[str, ...]) -> list[NoteKey]:
    keys = [NoteKey.parse(vkey) for vkey in vkeys]
    for key in keys:
        if key.kind != COSIGNATURE_ED25519:
            raise ValueError(f"{key.vkey}: a witness's key has signature type 0x04 (cosignature)")
    return keys


def witness_problems() -> list[str]:
    """What is wrong with ``NEWSROOM_LOG_WITNESSES`` (the system check reports it)."""
    problems = []
    for vkey in settings.LOG_WITNESSES:
        try:
            _parsed_witnesses((vkey,))
        except ValueError as error:
            problems.append(str(error))
    return problems


def checkpoint(head: TreeHead) -> Checkpoint:
    return Checkpoint(head.origin, head.size, bytes.fromhex(head.root_hash))


def checkpoint_note(head: TreeHead) -> str:
    """The head as a signed note: the checkpoint, the log's signature, then the newest
    cosignature of each witness for exactly this checkpoint."""
    key = log_key(head.origin)
    lines = [signature_line(key.name, key.id, bytes.fromhex(head.note_signature))]
    newest = {}
    for row in Cosignature.objects.filter(size=head.size, root_hash=head.root_hash).order_by(
        "timestamp"
    ):
        newest[(row.witness, row.key_id)] = row
    for (name, key_id), row in sorted(newest.items()):
        signed = struct.pack(">Q", row.timestamp) + bytes.fromhex(row.signature)
        lines.append(signature_line(name, bytes.fromhex(key_id), signed))
    return f"{checkpoint(head).text}\n{''.join(lines)}"


def accept(data: bytes) -> list[Cosignature]:
    """Store the known witnesses' valid cosignatures in a cosigned checkpoint (the note
    as the witness returns it); ``CosignatureRefused`` says why nothing was stored."""
    try:
        note = Note.parse(data)
        cosigned = Checkpoint.parse(note.text)
    except ValueError as error:
        raise CosignatureRefused(400, f"Not a cosigned checkpoint: {error}.") from None
    if note.text != cosigned.text:
        raise CosignatureRefused(
            400, "Not a cosigned checkpoint: this log's have no extension lines."
        )
    if cosigned.origin != settings.LOG_ORIGIN:
        raise CosignatureRefused(404, f"This site's log is {settings.LOG_ORIGIN}, not that one.")
    root_hash = cosigned.root.hex()
    if not TreeHead.objects.filter(size=cosigned.size, root_hash=root_hash).exists():
        raise CosignatureRefused(409, "This log never signed that checkpoint.")
    now = timezone.now()
    latest = int(now.timestamp()) + FUTURE_SKEW_SECONDS
    found = []
    for witness in witnesses():
        for timestamp, signature in valid_cosignatures(note, witness):
            if timestamp <= latest:
                found.append((witness, timestamp, signature))
    if not found:
        raise CosignatureRefused(
            403, "No valid cosignature by a witness this site names (NEWSROOM_LOG_WITNESSES)."
        )
    stored = []
    for witness, timestamp, signature in found:
        row, created = Cosignature.objects.get_or_create(
            witness=witness.name,
            key_id=witness.id.hex(),
            size=cosigned.size,
            timestamp=timestamp,
            defaults={"root_hash": root_hash, "signature": signature.hex(), "received_at": now},
        )
        if created:
            stored.append(row)
    return stored
