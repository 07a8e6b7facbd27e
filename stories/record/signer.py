"""The site's key signs only extensions of what it signed.

Whoever holds the database can rewrite a version, recompute every hash downstream (the
leaves, the stored subtrees) and delete the tree heads that no longer match: the log is
then consistent again, and the next publish would have the key sign a head over the
rewritten tree. So the signer keeps its own record of the last head it signed outside
the database, in a file beside the key (``settings.LOG_SIGNER_STATE``), and before it
signs a new head it checks an RFC 9162 consistency proof from that head to the new tree,
with the outside verifier's own algorithm (C2SP tlog-checkpoint puts it as a rule: "a
log MUST not sign any checkpoint which is inconsistent with any checkpoint it previously
signed"). The proof comes from the database; it convinces only if the database's tree
really extends the signed one.

A tree that is not an extension is refused, loudly: nothing is signed, ``NotAnExtension``
is raised (the publish fails and its transaction rolls back), the refusal is logged and
written into the record, where ``/health/ready/`` reports it until an operator
acknowledges it (``manage.py log_signer --acknowledge``), and everyone who may publish
is emailed (``announce_refusals``, through django-tasks, once no transaction can roll the
email back).

The record is a small JSON file: ``{"head": {"size", "root_hash", "timestamp"},
"refusals": [...]}``. A head joins it once the transaction that stored it commits
(``transaction.on_commit``): a publish that rolls back signed nothing anyone can see, and
must not leave the signer expecting a head the database never had. Writes take an
exclusive lock on a file beside it and only ever move the head forward, so app servers
that share the file (they must: docs/transparency.md) keep one record.

Without a record (a new site, or one upgraded from before the record existed) a log
that is still empty may start; one that already has entries is adopted only outside
production (``LOG_SIGNER_TRUST_ON_FIRST_USE``), where a laptop's new, empty database
may also start a new log. In production an operator adopts the log once, after
checking it: ``manage.py log_signer --adopt``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django_tasks import task

from stories.roles import PUBLISH_STORY

from . import merkle, signing
from .outside_verifier import Checkpoint, verify_consistency

logger = logging.getLogger(__name__)

#: ``proof(first, second)``: the RFC 9162 consistency proof between two sizes of the log.
ProofReader = Callable[[int, int], list[bytes]]


@dataclass(frozen=True)
class Head:
    size: int
    root: bytes
    timestamp: int  # milliseconds since the epoch

    def to_json(self) -> dict:
        return {"size": self.size, "root_hash": self.root.hex(), "timestamp": self.timestamp}

    @classmethod
    def from_json(cls, data: dict) -> Head:
        return cls(int(data["size"]), bytes.fromhex(data["root_hash"]), int(data["timestamp"]))

    @property
    def signed_at(self) -> str:
        return iso_time(self.timestamp)


def iso_time(timestamp: int) -> str:
    """A head's time (ms since the epoch) as readers write it: ISO 8601, UTC, seconds."""
    return datetime.fromtimestamp(timestamp / 1000, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Signature:
    """What the signer made for one head: its time, the RFC 9162 signature, and the
    checkpoint's origin and note signature."""

    timestamp: int
    signature: str
    origin: str
    note_signature: str


class NotAnExtension(Exception):
    """The tree to sign does not extend the last head the key signed: nothing was signed."""


class SignerRecordUnreadable(Exception):
    """The signer's record exists but cannot be read: nothing is signed until it can."""


# -- the record --------------------------------------------------------------------------


def state_path() -> Path:
    return Path(settings.LOG_SIGNER_STATE)


@dataclass
class Record:
    head: Head | None
    refusals: list[dict]

    def to_json(self) -> dict:
        return {
            "head": self.head.to_json() if self.head else None,
            "refusals": self.refusals,
        }


@contextmanager
def _locked_record(write: bool = True):
    """The record, under an exclusive lock on ``<state>.lock``; written back (aside, then
    moved into place) when the block ends without an error, if ``write``."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            record = _read(path)
            yield record
            if write:
                _write(path, record)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(path: Path) -> Record:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Record(None, [])
    except (OSError, ValueError) as error:
        raise SignerRecordUnreadable(
            f"the signer's record {path} cannot be read: {error}"
        ) from None
    try:
        head = Head.from_json(data["head"]) if data.get("head") else None
        return Record(head, list(data.get("refusals", [])))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise SignerRecordUnreadable(f"the signer's record {path} is malformed") from None


def _write(path: Path, record: Record) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
    ) as file:
        json.dump(record.to_json(), file, indent=1, sort_keys=True)
    os.chmod(file.name, 0o600)
    os.replace(file.name, path)


def read_record() -> Record:
    with _locked_record(write=False) as record:
        return record


def last_signed() -> Head | None:
    """The last head the key signed, as the signer recorded it (``None``: no record)."""
    return read_record().head


def remember(head: Head, *, replace: bool = False) -> None:
    """Record ``head`` as the last one signed, if it is newer than the recorded one
    (``replace``: whatever it is, for a new log or an operator's adoption)."""
    with _locked_record() as record:
        last = record.head
        if replace or last is None or (head.size, head.timestamp) > (last.size, last.timestamp):
            record.head = head


# -- signing ---------------------------------------------------------------------------


def sign(size: int, root: bytes, timestamp: int, *, previous_size: int, proof: ProofReader):
    """Sign the head of ``size`` leaves with root ``root`` if it extends the last head
    the key signed; raise ``NotAnExtension`` otherwise. ``previous_size`` is the log's
    size before this append (``size`` for a re-signing). Call it inside the transaction
    that stores the head: the record moves once that commits."""
    pending = _pending()
    try:
        last = pending or read_record().head
    except SignerRecordUnreadable as error:
        logger.critical("the transparency log's key refused to sign: %s", error)
        raise NotAnExtension(str(error)) from None
    starting = (
        pending is None
        and previous_size == 0
        and (last is None or settings.LOG_SIGNER_TRUST_ON_FIRST_USE)
    )
    adopting = last is None and settings.LOG_SIGNER_TRUST_ON_FIRST_USE
    if not (starting or adopting):
        problem = _not_an_extension(last, size, root, proof)
        if problem:
            refuse(problem, size=size, root=root, last=last)
    if last is not None and not starting:
        timestamp = max(timestamp, last.timestamp + 1)  # heads never go back in time
    head = Head(size, root, timestamp)
    if last is None or starting:
        logger.log(
            logging.INFO if previous_size == 0 else logging.WARNING,
            "the transparency log's signer starts a record at %s entries (%s)",
            size,
            "a new log" if previous_size == 0 else "adopted on first use",
        )
    replace = last is not None and starting

    def record_once_committed():
        remember(head, replace=replace)

    # robust: a record that cannot be written is logged, not an error after the commit.
    transaction.on_commit(record_once_committed, robust=True)
    if replace:
        connection.newsroom_signer_pending = (head, record_once_committed)
    origin = settings.LOG_ORIGIN
    return Signature(
        timestamp=timestamp,
        signature=signing.sign(merkle.tree_head_data(size, timestamp, root)),
        origin=origin,
        note_signature=signing.sign(Checkpoint(origin, size, root).text.encode()),
    )


def _pending() -> Head | None:
    """The first head of a new log, signed earlier in the transaction under way over a
    record of an older one (a laptop's database deleted and made anew): the record is
    replaced only once the transaction commits, so a second publish in the same
    transaction (an import, the demo's loader) must extend this head, not the old log's.
    Forgotten once the transaction commits or rolls back (its callback is then no longer
    waiting)."""
    pending = getattr(connection, "newsroom_signer_pending", None)
    if pending is None:
        return None
    head, callback = pending
    waiting = connection.in_atomic_block and any(
        entry[1] is callback for entry in connection.run_on_commit
    )
    if not waiting:
        connection.newsroom_signer_pending = None
        return None
    return head


def _not_an_extension(last: Head | None, size: int, root: bytes, proof: ProofReader) -> str:
    if last is None:
        return (
            f"the signer has no record of the heads its key signed ({state_path()}) and the log "
            "already has entries: check the log and adopt it with manage.py log_signer --adopt"
        )
    signed = f"the head of {last.size} entries the key signed at {last.signed_at}"
    if size < last.size:
        return f"the log has {size} entries, fewer than {signed}: entries were removed"
    if size == last.size:
        return (
            "" if root == last.root else f"the log is another tree than {signed}: it was rewritten"
        )
    try:
        steps = proof(last.size, size)
    except LookupError as error:
        return f"no consistency proof from {signed} to {size} entries ({error})"
    if not verify_consistency(last.size, size, last.root, root, steps):
        return f"the log of {size} entries does not extend {signed}: it was rewritten"
    return ""


def refuse(problem: str, *, size: int, root: bytes, last: Head | None):
    """Log the refusal, write it into the record (for /health/ready/ and the desk's
    email) and raise ``NotAnExtension``."""
    global _unannounced
    logger.critical("the transparency log's key refused to sign: %s", problem)
    with _locked_record() as record:
        record.refusals.append(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "problem": problem,
                "size": size,
                "root_hash": root.hex(),
                "signed": last.to_json() if last else None,
                "announced": False,
                "acknowledged": False,
            }
        )
    _unannounced = True
    raise NotAnExtension(problem)


# -- telling people ---------------------------------------------------------------------

#: Whether this process refused since it last announced (spares every request a file read).
_unannounced = False


def unacknowledged_refusals() -> list[dict]:
    """Refusals no operator has acknowledged yet: ``/health/ready/`` reports them."""
    return [refusal for refusal in read_record().refusals if not refusal.get("acknowledged")]


def acknowledge() -> int:
    """An operator has looked into the refusals: health is no longer degraded by them
    (they stay in the record as evidence). Returns how many were acknowledged."""
    with _locked_record() as record:
        pending = [refusal for refusal in record.refusals if not refusal.get("acknowledged")]
        for refusal in pending:
            refusal["acknowledged"] = True
    return len(pending)


def announce_refusals() -> int:
    """Enqueue the desk's email for each refusal not announced yet; returns how many.

    Call it outside any transaction (the enqueued task is a row that a rollback would
    take back): ``publishing`` does once the refused publish has rolled back, and so does
    the end of every request and ``manage.py sign_tree_head``.
    """
    global _unannounced
    if connection.in_atomic_block:
        return 0
    with _locked_record() as record:
        pending = [refusal for refusal in record.refusals if not refusal.get("announced")]
        for refusal in pending:
            alert_desk.enqueue(refusal)
            refusal["announced"] = True
    _unannounced = False
    return len(pending)


def announce_pending(**kwargs) -> None:
    """``request_finished`` receiver: announce what this process refused during the
    request, after its transactions are over."""
    if _unannounced:
        try:
            announce_refusals()
        except Exception:  # the refusal is logged and recorded; the next call retries
            logger.exception("could not announce the log signer's refusal")


@task()
def alert_desk(refusal: dict) -> int:
    """Email everyone who may publish (and ``NEWSROOM_LOG_ALERT_EMAIL``) that the key
    refused to sign the log; returns how many addresses it was sent to."""
    from django.contrib.auth import get_user_model
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    publishers = get_user_model().objects.with_perm(
        PUBLISH_STORY, include_superusers=True, backend="django.contrib.auth.backends.ModelBackend"
    )
    addresses = sorted(
        {
            email
            for email in publishers.filter(is_active=True).values_list("email", flat=True)
            if email
        }
        | set(settings.LOG_ALERT_EMAILS)
    )
    if not addresses:
        logger.error("nobody to tell that the log's key refused to sign: no publisher has an email")
        return 0
    body = render_to_string(
        "emails/log_refused.txt",
        {"refusal": refusal, "publication": settings.PUBLICATION_NAME, "state": state_path()},
    )
    EmailMessage(
        subject=f"The transparency log's key refused to sign: {settings.PUBLICATION_NAME}",
        body=body,
        bcc=addresses,
    ).send()
    return len(addresses)
