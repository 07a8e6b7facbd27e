#!/usr/bin/env python3
"""Check a Newsroom site's public record from outside: nothing but Python 3.11+ and the
``cryptography`` package (``pip install cryptography``); no Django, no database.

    python outside_verifier.py https://news.example.com --public-key 77ea71...fad \\
        --state ~/.newsroom-verify/news.example.com.json [--story SLUG ...]

What it checks, against the site's JSON (docs/transparency.md in the Newsroom repository):

1. The latest tree head of the site's transparency log is signed by the public key you
   give (get it once from the site's ``/log/public-key.txt``, or better from the
   newsroom itself, and keep it: a new key is news).
2. With ``--state``, that this tree head is consistent with the one the previous run
   saw (RFC 9162 consistency proof): the log only ever grew; nothing in it was
   rewritten, reordered or removed. The state is updated only when everything passed.
3. Every version of each story (``--story``, else every story in the log): its hash is
   the SHA-256 of the payload published with it (what readers saw, the story's id and
   address, its number, the previous hash), versions are numbered 1..n and chained, and
   each hash is included in a signed tree head (RFC 9162 inclusion proof) consistent
   with the latest. Without ``--story`` the log's entries are read too, their root must
   be the signed one, and every entry must appear in its story's record. With a state
   file, no version seen before may have changed. From payload version 4 the payload is
   an envelope, and the version's content hashes to its ``content_sha256``.
4. Each version's picture: the original file at the record's ``picture_url`` has the
   SHA-256 the hash covers (``--no-pictures`` skips it; ``--max-picture-bytes``).
5. The site's checkpoint (/log/checkpoint, C2SP tlog-checkpoint): signed by the same key,
   consistent with the latest tree head, and cosigned by each ``--require-witness``.
6. With ``--max-age DURATION`` (``2h``): the latest tree head is no older. The site signs
   a fresh head hourly, so an older one means a log that stopped (froze).

A version whose content the site removed for a legal reason, or of a withdrawn story,
keeps its hash and its place in the log; it is reported (``NOTE``), and its chain, its
inclusion and (from payload version 4) the envelope its hash covers are still checked.

As a witness (``--witness-key FILE --witness-name NAME``; make a key with
``--new-witness-key FILE``), once everything passed it cosigns the site's checkpoint
(C2SP tlog-cosignature) if it extends the last one it cosigned (kept in the state file),
and sends the cosignature to the site, which publishes it beside its checkpoint.

It prints ``FAIL: ...`` for each problem and exits 1 if there was any; 2 if the site
could not be read or the arguments are wrong; 0 when the record is intact. Run it from
cron, e.g. hourly, and let cron mail you its output:

    0 * * * * python3 /opt/verify/outside_verifier.py https://news.example.com \\
        --public-key 77ea71...fad --state /var/lib/verify/news.json --max-age 2h --quiet
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

USER_AGENT = "newsroom-outside-verifier/1"


class Unreadable(Exception):
    """The site could not be read (network, HTTP error, not JSON): exit 2."""


class NotFound(Unreadable):
    """The site answered 404: for something the record should hold, a failure."""


# -- RFC 9162, section 2.1 ---------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(entries: list[bytes]) -> bytes:
    """MTH of all ``entries`` (2.1.1), with a stack of perfect subtrees."""
    if not entries:
        return hashlib.sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []  # (size, hash), sizes strictly decreasing
    for entry in entries:
        size, value = 1, leaf_hash(entry)
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, value = left_size + size, node_hash(left, value)
        stack.append((size, value))
    value = stack.pop()[1]
    while stack:
        value = node_hash(stack.pop()[1], value)
    return value


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162, 2.1.3.2: ``leaf`` (a leaf hash) is leaf ``index`` of the tree ``root``."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162, 2.1.4.2: the tree of ``first`` leaves is a prefix of that of ``second``."""
    if first == second:
        return first_root == second_root and not proof
    if not 0 < first < second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def tree_head_data(size: int, timestamp_ms: int, root: bytes) -> bytes:
    """What a tree head's signature covers: TreeHeadDataV2 (RFC 9162, 4.10), TLS-encoded."""
    return struct.pack(">QQB", timestamp_ms, size, len(root)) + root + b"\x00\x00"


def payload_hash(payload: dict) -> str:
    """A version's hash: SHA-256 of its payload as canonical JSON (sorted keys, no
    spaces, UTF-8). From payload version 4 the same function hashes its ``content``,
    whose hash the payload carries as ``content_sha256``."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- C2SP signed notes, checkpoints and cosignatures -------------------------------------
#
# The formats transparency-log tooling and witnesses read (c2sp.org/signed-note,
# c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature): the site serves its newest tree
# head as a checkpoint at /log/checkpoint, signed with its Ed25519 key, and witnesses
# add their cosignatures beside it.

#: Signature types (c2sp.org/signed-note): an Ed25519 note signature, and a timestamped
#: Ed25519 checkpoint cosignature (c2sp.org/tlog-cosignature).
NOTE_ED25519 = 0x01
COSIGNATURE_ED25519 = 0x04
#: A note larger than this is refused before it is parsed (16 signatures fit easily).
NOTE_MAX_BYTES = 8192
NOTE_MAX_SIGNATURES = 32


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id(name: str, kind: int, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public_key).digest()[:4]


def valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no plus sign, nothing below U+0020."""
    return bool(name) and not any(c.isspace() or c == "+" or c < " " for c in name)


@dataclass(frozen=True)
class NoteKey:
    """A verifier key (vkey): name, signature type and Ed25519 public key."""

    name: str
    kind: int
    public_key: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public_key)

    @property
    def vkey(self) -> str:
        """``<name>+<hex key ID>+<base64(type || public key)>``."""
        return f"{self.name}+{self.id.hex()}+{b64(bytes([self.kind]) + self.public_key)}"

    @classmethod
    def parse(cls, text: str) -> NoteKey:
        """A vkey, checked: its key ID must be the one its name, type and key give."""
        name, _, rest = text.strip().partition("+")  # a key name has no plus sign
        hex_id, _, rest = rest.partition("+")  # base64 may have some
        try:
            material = base64.b64decode(rest, validate=True)
            given = bytes.fromhex(hex_id)
        except ValueError:
            raise ValueError(f"{text!r} is not a verifier key (name+hexid+base64)") from None
        if not valid_key_name(name) or len(given) != 4 or len(material) != 33:
            raise ValueError(f"{text!r} is not an Ed25519 verifier key (name+hexid+base64)")
        if material[0] not in (NOTE_ED25519, COSIGNATURE_ED25519):
            raise ValueError(f"{text!r}: signature type {material[0]:#04x} is not Ed25519")
        key = cls(name, material[0], material[1:])
        if key.id != given:
            raise ValueError(f"{text!r}: its key ID is not the one its name and key give")
        return key

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (ValueError, InvalidSignature):
            return False
        return True


@dataclass(frozen=True)
class Note:
    """A signed note: its text (ending in a newline) and its signature lines, each as
    (key name, the decoded signature: 4-byte key ID then the signature proper)."""

    text: str
    signatures: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, data: bytes) -> Note:
        """Parse and check the format (c2sp.org/signed-note); ``ValueError`` says why not."""
        if len(data) > NOTE_MAX_BYTES:
            raise ValueError(f"a note is at most {NOTE_MAX_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("a note is UTF-8 text") from None
        if any(c < " " and c != "\n" for c in text):
            raise ValueError("a note holds no control characters but newlines")
        body, separator, signatures = text.rpartition("\n\n")
        if not separator or not signatures.endswith("\n"):
            raise ValueError("a note is text, a blank line, then signature lines")
        lines = signatures[:-1].split("\n")
        if len(lines) > NOTE_MAX_SIGNATURES:
            raise ValueError(f"a note has at most {NOTE_MAX_SIGNATURES} signatures")
        parsed = []
        for line in lines:
            dash, _, rest = line.partition(" ")
            name, _, encoded = rest.partition(" ")
            try:
                signature = base64.b64decode(encoded, validate=True)
            except ValueError:
                signature = b""
            if dash != "\u2014" or not valid_key_name(name) or len(signature) < 5:
                raise ValueError(f"{line[:80]!r} is not a signature line (— name base64)")
            parsed.append((name, signature))
        return cls(body + "\n", tuple(parsed))

    def signatures_by(self, key: NoteKey) -> list[bytes]:
        """The signatures (without their key ID) whose name and key ID are ``key``'s."""
        return [sig[4:] for name, sig in self.signatures if name == key.name and sig[:4] == key.id]

    def signed_by(self, key: NoteKey) -> bool:
        """An Ed25519 note signature by ``key`` over the text (c2sp.org/signed-note)."""
        signatures = self.signatures_by(key)
        message = self.text.encode("utf-8")
        return bool(signatures) and all(key.verify(sig, message) for sig in signatures)


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    """``— <key name> base64(key ID || signature)`` and a newline."""
    return f"\u2014 {name} {b64(key_id + signature)}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A tree head as a checkpoint's text (c2sp.org/tlog-checkpoint): origin, size and
    base64 root hash, one a line."""

    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise ValueError("a checkpoint is at least three non-empty lines")
        origin, size, root = lines[:3]
        if not (size.isascii() and size.isdigit()) or (size != "0" and size.startswith("0")):
            raise ValueError(f"the tree size {size[:30]!r} is not a decimal number")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except ValueError:
            root_hash = b""
        if len(root_hash) != 32:
            raise ValueError("the root hash is not 32 bytes in base64")
        return cls(origin, int(size), root_hash)


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature signs (c2sp.org/tlog-cosignature): a header line, the
    time line, then the checkpoint's text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosignature(private_key, key: NoteKey, checkpoint_text: str, timestamp: int) -> str:
    """A cosignature line over ``checkpoint_text`` at ``timestamp`` (POSIX seconds)."""
    signed = private_key.sign(cosigned_message(checkpoint_text, timestamp))
    return signature_line(key.name, key.id, struct.pack(">Q", timestamp) + signed)


def valid_cosignatures(note: Note, key: NoteKey) -> list[tuple[int, bytes]]:
    """(time, Ed25519 signature) of each of ``key``'s cosignatures of the note's
    checkpoint that verifies; those that do not are left out."""
    valid = []
    for signature in note.signatures_by(key):
        if len(signature) != 8 + 64:
            continue
        (timestamp,) = struct.unpack(">Q", signature[:8])
        message = cosigned_message(note.text, timestamp)
        if timestamp < 2**63 and key.verify(signature[8:], message):
            valid.append((timestamp, signature[8:]))
    return valid


# -- the check ---------------------------------------------------------------------------


@dataclass
class Head:
    size: int
    root: bytes
    timestamp: int
    signature: str

    @classmethod
    def from_json(cls, data: dict) -> Head:
        return cls(
            int(data["tree_size"]),
            bytes.fromhex(data["root_hash"]),
            int(data["timestamp"]),
            data["signature"],
        )

    def to_json(self) -> dict:
        return {
            "tree_size": self.size,
            "root_hash": self.root.hex(),
            "timestamp": self.timestamp,
            "signature": self.signature,
        }


@dataclass
class Check:
    site: str
    public_key: str
    timeout: float = 30.0
    #: Fetch each version's picture and compare its SHA-256 (``--no-pictures``: don't).
    pictures: bool = True
    picture_limit: int = 25 * 2**20
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: int = 0
    #: Pictures already checked this run: address -> the SHA-256 of what it served.
    _pictures: dict[str, str | None] = field(default_factory=dict)
    #: Consistency already proved this run: older size -> (its root, the verdict).
    _consistent: dict[int, tuple[bytes, bool]] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    # -- reading the site --

    def url(self, path: str) -> str:
        return urllib.parse.urljoin(self.site.rstrip("/") + "/", path.lstrip("/"))

    def fetch(self, url: str, *, limit: int = 50 * 2**20, data: bytes | None = None) -> bytes:
        """The body at ``url`` (at most ``limit`` bytes), or ``Unreadable``/``NotFound``;
        with ``data``, POSTed as plain text."""
        headers = {"User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(limit + 1)
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            problem = NotFound if error.code == 404 else Unreadable
            raise problem(f"{url} answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise Unreadable(f"{url} could not be read: {error}") from None
        if len(body) > limit:
            raise Unreadable(f"{url} is larger than {limit} bytes")
        return body

    def get(self, path: str):
        url = self.url(path)
        body = self.fetch(url)
        try:
            return json.loads(body)
        except ValueError:
            raise Unreadable(f"{url} did not answer JSON") from None

    # -- tree heads --

    def signed(self, data: dict, where: str) -> Head | None:
        """The tree head in ``data`` if the given public key signed it."""
        try:
            head = Head.from_json(data)
        except (KeyError, ValueError, TypeError):
            self.fail(f"{where}: the tree head is malformed")
            return None
        if data.get("public_key", self.public_key) != self.public_key:
            self.fail(f"{where}: the tree head is signed by another key ({data['public_key']})")
            return None
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            message = tree_head_data(head.size, head.timestamp, head.root)
            key.verify(bytes.fromhex(head.signature), message)
        except (ValueError, InvalidSignature):
            self.fail(f"{where}: the tree head's signature does not verify with the public key")
            return None
        return head

    def consistent(self, older: Head, newer: Head, what: str) -> bool:
        """Whether ``older`` is a prefix of ``newer`` (fetching the proof)."""
        if older.size > newer.size:
            self.fail(f"{what}: the log shrank from {older.size} entries to {newer.size}")
            return False
        if older.size == newer.size:
            if older.root != newer.root:
                self.fail(f"{what}: two different trees of {older.size} entries (a fork)")
                return False
            return True
        known = self._consistent.get(older.size)
        if known is not None and known[0] == older.root:
            return known[1]
        data = self.get(f"/log/consistency/{older.size}/{newer.size}.json")
        proof = [bytes.fromhex(value) for value in data.get("proof", [])]
        ok = verify_consistency(older.size, newer.size, older.root, newer.root, proof)
        if not ok:
            self.fail(
                f"{what}: the log of {newer.size} entries does not extend the one of "
                f"{older.size} entries (it was rewritten)"
            )
        self._consistent[older.size] = (older.root, ok)
        return ok

    # -- stories --

    def check_story(self, slug: str, latest: Head, entries: dict | None, state: dict) -> None:
        seen = state.get(slug)
        path = f"/stories/{urllib.parse.quote(slug)}/record.json"
        expected_number, previous_hash, hashes, story_id = 1, "", [], None
        while path:
            try:
                data = self.get(path)
            except NotFound as error:
                self.fail(f"{slug}: its record cannot be read ({error})")
                return
            story = data.get("story", {})
            story_id = story_id or story.get("id")
            if story.get("slug") != slug or story.get("id") != story_id:
                self.fail(f"{slug}: its record names another story ({story})")
                return
            head = self.signed(data.get("tree_head", {}), f"{slug}'s record")
            if head is None or not self.consistent(head, latest, f"{slug}'s record"):
                return
            for version in data.get("versions", []):
                hashes.append(version.get("hash"))
                self.check_version(slug, story_id, version, expected_number, previous_hash, head)
                if entries is not None:
                    self.check_entry(slug, story_id, version, entries)
                previous_hash = version.get("hash", "")
                expected_number += 1
                self.versions += 1
            path = data.get("next")
        if expected_number - 1 != story.get("versions"):
            self.fail(
                f"{slug}: its record lists {expected_number - 1} versions of {story.get('versions')}"
            )
        if seen:
            if seen.get("id") != story_id:
                self.fail(f"{slug}: the story's id changed from {seen.get('id')} to {story_id}")
            for number, (before, now) in enumerate(
                zip(seen.get("hashes", []), hashes, strict=False), start=1
            ):
                if before != now:
                    self.fail(f"{slug} version {number}: changed since the last check")
            if len(hashes) < len(seen.get("hashes", [])):
                self.fail(
                    f"{slug}: versions seen before are gone ({len(hashes)} of {len(seen['hashes'])})"
                )
        state[slug] = {"id": story_id, "hashes": hashes}

    def check_version(
        self, slug: str, story_id: str, version: dict, number: int, previous: str, head: Head
    ) -> None:
        where = f"{slug} version {version.get('number')}"
        if version.get("number") != number:
            self.fail(
                f"{slug}: version {number} is missing (the record goes on at {version.get('number')})"
            )
        if version.get("previous_hash") != previous:
            self.fail(f"{where}: not chained to the version before it")
        digest = version.get("hash", "")
        payload = version.get("payload")
        if "removed" in version:
            removed = version["removed"]
            day = str(removed.get("at", ""))[:10]  # the date of an ISO 8601 time
            self.notes.append(f"{where}: content removed on {day}: {removed.get('note')}")
        elif "withdrawn" in version:
            withdrawn = version["withdrawn"] or {}
            self.notes.append(
                f"{where}: content withdrawn on {withdrawn.get('at')} ({withdrawn.get('note')}); "
                + (
                    "what its hash covers besides the text verifies"
                    if payload is not None
                    else f"its hash (payload version {version.get('hash_version')}) needs the text"
                )
            )
        if payload is not None:
            self.check_payload(where, story_id, slug, number, previous, version)
        elif "removed" not in version and "withdrawn" not in version:
            self.fail(f"{where}: its content does not match its hash (no payload)")
        index = version.get("leaf_index")
        if index is None:
            self.fail(f"{where}: not in the transparency log")
            return
        try:
            proof = [bytes.fromhex(value) for value in version.get("inclusion_proof") or []]
            leaf = leaf_hash(bytes.fromhex(digest))
        except ValueError:
            self.fail(f"{where}: its hash or proof is malformed")
            return
        if not verify_inclusion(index, head.size, leaf, proof, head.root):
            self.fail(
                f"{where}: its hash is not leaf {index} of the signed tree of {head.size} entries"
            )

    def check_payload(
        self, where: str, story_id: str, slug: str, number: int, previous: str, version: dict
    ) -> None:
        """The payload hashes to the version's hash and names its story, place and chain;
        from payload version 4, the content hashes to the payload's ``content_sha256``."""
        payload = version["payload"]
        if not isinstance(payload, dict) or payload_hash(payload) != version.get("hash"):
            self.fail(f"{where}: its content does not match its hash")
            return
        expected = {"story": story_id, "slug": slug, "number": number, "previous_hash": previous}
        for name, value in expected.items():
            if payload.get(name) != value:
                self.fail(f"{where}: its hash covers {name} {payload.get(name)!r}, not {value!r}")
        content = payload
        if "content_sha256" in payload:
            content = version.get("content")
            if content is None:
                if "withdrawn" not in version:
                    self.fail(f"{where}: its content is missing from the record")
                return
            if not isinstance(content, dict) or payload_hash(content) != payload["content_sha256"]:
                self.fail(f"{where}: its content does not match its hash")
                return
        image = content.get("image")
        if image and self.pictures:
            self.check_picture(where, image, version.get("picture_url"))

    def check_picture(self, where: str, image: dict, url: str | None) -> None:
        """The original file readers were shown has the SHA-256 the hash covers."""
        if not isinstance(url, str) or not url.startswith(("https://", "http://", "/")):
            self.fail(f"{where}: the record gives no address for its picture")
            return
        url = self.url(url)
        if url not in self._pictures:
            try:
                body = self.fetch(url, limit=self.picture_limit)
                self._pictures[url] = hashlib.sha256(body).hexdigest()
            except Unreadable as error:
                self._pictures[url] = None
                self.fail(f"{where}: its picture could not be read ({error})")
        served = self._pictures[url]
        if served is not None and served != image.get("sha256"):
            self.fail(
                f"{where}: its picture {url} is not the one its hash covers (SHA-256 {served})"
            )

    def check_entry(self, slug: str, story_id: str, version: dict, entries: dict) -> None:
        """The log's entry at the version's leaf names this version (whole-site checks)."""
        index = version.get("leaf_index")
        if index is None:
            return  # reported already: not in the log
        where = f"{slug} version {version.get('number')}"
        entry = entries.pop(index, None)
        if entry is None:
            self.fail(f"{where}: leaf {index} is not among the log's entries")
            return
        expected = (story_id, slug, version.get("number"), version.get("hash"))
        if (entry["story"], entry["slug"], entry["number"], entry["hash"]) != expected:
            self.fail(
                f"{where}: the log's entry {index} is {entry['slug']} version "
                f"{entry['number']}, hash {entry['hash'][:12]}"
            )


def read_entries(check: Check, head: Head) -> dict[int, dict]:
    """Every entry of the log up to ``head``, checked against its signed root."""
    entries: dict[int, dict] = {}
    path = "/log/entries.json?start=0"
    while path and len(entries) < head.size:
        data = check.get(path)
        for entry in data.get("entries", []):
            if entry.get("index") == len(entries) and len(entries) < head.size:
                entries[len(entries)] = entry
        path = data.get("next")
    hashes = [bytes.fromhex(entries[index]["hash"]) for index in sorted(entries)]
    if len(entries) != head.size or root_of(hashes) != head.root:
        check.fail(
            f"the log's {len(entries)} entries do not make the signed tree of {head.size} entries"
        )
    return entries


def run(args) -> int:
    check = Check(
        args.site,
        args.public_key.strip().lower(),
        timeout=args.timeout,
        pictures=not args.no_pictures,
        picture_limit=args.max_picture_bytes,
    )
    state = load_state(args.state, check) if args.state else {}
    witness = load_witness(args.witness_key, args.witness_name) if args.witness_key else None
    try:
        latest = check.signed(check.get("/log/tree-head.json"), "the latest tree head")
        if latest is not None:
            if args.max_age is not None:
                check_age(check, latest, args.max_age)
            if state.get("tree_head"):
                before = check.signed(state["tree_head"], "the tree head in the state file")
                if before is not None:
                    check.consistent(before, latest, "since the last check")
            entries = None if args.story else read_entries(check, latest)
            slugs = args.story or sorted({entry["slug"] for entry in entries.values()})
            known = state.setdefault("stories", {})
            for slug in slugs:
                check.check_story(slug, latest, entries, known)
            if entries:
                for index, entry in sorted(entries.items()):
                    check.fail(f"the log's entry {index} ({entry}) is in no story's record")
            served = read_checkpoint(check, latest, args.require_witness or [])
            if witness is not None and served is not None and not check.failures:
                cosign(check, witness, served, state)
    except Unreadable as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    for note in check.notes:
        print(f"NOTE: {note}")
    for failure in check.failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if check.failures:
        print(
            f"{len(check.failures)} problem(s) found in {args.site}'s public record.",
            file=sys.stderr,
        )
        return 1
    if args.state:
        state.update(site=args.site, public_key=check.public_key, tree_head=latest.to_json())
        state["checked_at"] = datetime.now(UTC).isoformat()
        save_state(args.state, state)
    if not args.quiet:
        print(
            f"OK: {check.versions} versions checked against the signed tree of {latest.size} "
            f"entries (root {latest.root.hex()})."
        )
    return 0


def check_age(check: Check, latest: Head, max_age: float) -> None:
    """A site signs a fresh head on a schedule even when nothing is published: an old
    newest head means a log that stopped (froze), or one shown stale to this reader."""
    age = time.time() - latest.timestamp / 1000
    if age > max_age:
        signed = datetime.fromtimestamp(latest.timestamp / 1000, UTC).isoformat(timespec="seconds")
        check.fail(
            f"the newest tree head was signed at {signed}, {age / 3600:.1f} hours ago: older than "
            f"--max-age ({max_age / 3600:g} hours); the log may be frozen"
        )


@dataclass(frozen=True)
class Served:
    """The site's checkpoint as served (the signed note) and what it says."""

    body: str
    note: Note
    checkpoint: Checkpoint

    @property
    def head(self) -> Head:
        return Head(self.checkpoint.size, self.checkpoint.root, 0, "")


def read_checkpoint(check: Check, latest: Head, required: list[NoteKey]) -> Served | None:
    """The site's checkpoint (/log/checkpoint), signed by its key under its origin's name,
    consistent with the latest tree head, and cosigned by each ``required`` witness."""
    try:
        body = check.fetch(check.url("/log/checkpoint"), limit=NOTE_MAX_BYTES)
    except NotFound as error:
        if required:
            check.fail(f"the site serves no checkpoint to check its witnesses on ({error})")
        else:
            check.notes.append(f"the site serves no checkpoint yet ({error})")
        return None
    try:
        note = Note.parse(body)
        checkpoint = Checkpoint.parse(note.text)
    except ValueError as error:
        check.fail(f"the checkpoint is malformed: {error}")
        return None
    key = NoteKey(checkpoint.origin, NOTE_ED25519, bytes.fromhex(check.public_key))
    if not note.signed_by(key):
        check.fail(f"the checkpoint is not signed by the public key (as {checkpoint.origin})")
        return None
    served = Served(body.decode("utf-8"), note, checkpoint)
    if served.head.size <= latest.size:
        check.consistent(served.head, latest, "the checkpoint")
    else:
        check.consistent(latest, served.head, "the checkpoint")
    for witness in required:
        if not valid_cosignatures(note, witness):
            check.fail(f"the checkpoint carries no valid cosignature by the witness {witness.name}")
    return served


def cosign(check: Check, witness: tuple, served: Served, state: dict) -> None:
    """Act as a witness: cosign the site's checkpoint if it extends the last checkpoint
    this witness cosigned (c2sp.org/tlog-cosignature), and send the cosignature to the
    site, which publishes it beside its checkpoint."""
    private_key, key = witness
    kept = state.get("witness", {})
    if kept.get("vkey") not in (None, key.vkey):
        check.fail(f"the state file's witness is {kept.get('vkey')}, not {key.vkey}")
        return
    last = kept.get("cosigned")
    if last:
        before = Head(int(last["tree_size"]), bytes.fromhex(last["root_hash"]), 0, "")
        if not check.consistent(before, served.head, "since this witness last cosigned"):
            return
    timestamp = int(time.time())
    line = cosignature(private_key, key, served.note.text, timestamp)
    try:
        answer = check.fetch(
            check.url("/log/cosignatures"), data=(served.body + line).encode(), limit=4096
        )
        check.notes.append(
            f"cosigned the checkpoint of {served.checkpoint.size} entries as {key.name}; "
            f"the site says: {answer.decode('utf-8', 'replace').strip()}"
        )
    except Unreadable as error:
        check.notes.append(f"cosigned, but the site did not take the cosignature: {error}")
    state["witness"] = {
        "vkey": key.vkey,
        "cosigned": {
            "tree_size": served.checkpoint.size,
            "root_hash": served.checkpoint.root.hex(),
            "timestamp": timestamp,
            "line": line,
        },
    }


def load_witness(path: str, name: str | None):
    """The witness's Ed25519 private key (its seed, 64 hex characters, in ``path``) and
    its cosignature key."""
    if not name or not valid_key_name(name):
        raise SystemExit("ERROR: a witness needs --witness-name (no spaces, no plus sign)")
    try:
        with open(path, encoding="ascii") as file:
            seed = bytes.fromhex(file.read().strip())
        private_key = Ed25519PrivateKey.from_private_bytes(seed)
    except (OSError, ValueError) as error:
        message = f"ERROR: {path} does not hold a witness key (64 hex characters): {error}"
        raise SystemExit(message) from None
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private_key, NoteKey(name, COSIGNATURE_ED25519, public)


def new_witness_key(path: str, name: str | None) -> int:
    """Make a witness key in ``path`` (readable by its owner only) and print its vkey,
    which the site names in NEWSROOM_LOG_WITNESSES."""
    if not name or not valid_key_name(name):
        raise SystemExit("ERROR: a witness needs --witness-name (no spaces, no plus sign)")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(os.urandom(32).hex() + "\n")
    print(load_witness(path, name)[1].vkey)
    return 0


def duration(text: str) -> float:
    """``90s``, ``45m``, ``2h``, ``1d`` or a number of seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (90s, 45m, 2h, 1d)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a duration is more than zero")
    return value


def verifier_key(text: str) -> NoteKey:
    try:
        key = NoteKey.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if key.kind != COSIGNATURE_ED25519:
        raise argparse.ArgumentTypeError(f"{text}: a witness's vkey has signature type 0x04")
    return key


def load_state(path: str, check: Check) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            state = json.load(file)
    except FileNotFoundError:
        return {}
    except ValueError:
        raise SystemExit(f"ERROR: the state file {path} is not JSON") from None
    if state.get("site") not in (None, check.site) or state.get("public_key") not in (
        None,
        check.public_key,
    ):
        raise SystemExit(f"ERROR: the state file {path} is for another site or key")
    return state


def save_state(path: str, state: dict) -> None:
    """Written aside and moved into place, so a crash never leaves half a state."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as file:
        json.dump(state, file, indent=1, sort_keys=True)
    os.replace(file.name, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a Newsroom site's public record: hashes, signed transparency log, consistency."
    )
    parser.add_argument("site", nargs="?", help="The site's address, e.g. https://news.example.com")
    parser.add_argument("--public-key", help="The site's Ed25519 public key (hex): required.")
    parser.add_argument("--story", action="append", help="Check this story only (repeatable).")
    parser.add_argument("--state", help="A JSON file kept between runs (the last tree head seen).")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per request.")
    parser.add_argument("--quiet", action="store_true", help="Print nothing when all is well.")
    parser.add_argument(
        "--max-age",
        type=duration,
        help="Fail when the newest tree head is older than this (e.g. 2h): a frozen log.",
    )
    parser.add_argument(
        "--no-pictures", action="store_true", help="Do not fetch pictures to check their hash."
    )
    parser.add_argument(
        "--max-picture-bytes",
        type=int,
        default=25 * 2**20,
        help="The largest picture fetched (default 25 MB).",
    )
    parser.add_argument(
        "--require-witness",
        action="append",
        type=verifier_key,
        metavar="VKEY",
        help="Fail unless the checkpoint carries this witness's cosignature (repeatable).",
    )
    parser.add_argument(
        "--witness-key",
        metavar="FILE",
        help="Act as a witness: cosign the checkpoint with this key once all is well.",
    )
    parser.add_argument("--witness-name", help="The witness's key name, e.g. watchdog.example/w1.")
    parser.add_argument(
        "--new-witness-key",
        metavar="FILE",
        help="Make a witness key in FILE, print its vkey and exit (with --witness-name).",
    )
    args = parser.parse_args(argv)
    if args.new_witness_key:
        return new_witness_key(args.new_witness_key, args.witness_name)
    if not args.site or not args.public_key:
        parser.error("give the site's address and its --public-key")
    try:
        bytes.fromhex(args.public_key)
    except ValueError:
        parser.error("--public-key must be hexadecimal (64 characters)")
    if args.witness_key and not args.state:
        parser.error("--witness-key needs --state: a witness remembers what it cosigned")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
