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
   file, no version seen before may have changed.

A version whose content the site removed for a legal reason keeps its hash and its place
in the log; it is reported (``NOTE``) and its chain and inclusion are still checked.

It prints ``FAIL: ...`` for each problem and exits 1 if there was any; 2 if the site
could not be read or the arguments are wrong; 0 when the record is intact. Run it from
cron, e.g. hourly, and let cron mail you its output:

    0 * * * * python3 /opt/verify/outside_verifier.py https://news.example.com \\
        --public-key 77ea71...fad --state /var/lib/verify/news.json --quiet
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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
    spaces, UTF-8)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: int = 0
    #: Consistency already proved this run: older size -> (its root, the verdict).
    _consistent: dict[int, tuple[bytes, bool]] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    # -- reading the site --

    def get(self, path: str):
        url = urllib.parse.urljoin(self.site.rstrip("/") + "/", path.lstrip("/"))
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            problem = NotFound if error.code == 404 else Unreadable
            raise problem(f"{url} answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise Unreadable(f"{url} could not be read: {error}") from None
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
        if "removed" in version:
            removed = version["removed"]
            day = str(removed.get("at", ""))[:10]  # the date of an ISO 8601 time
            self.notes.append(f"{where}: content removed on {day}: {removed.get('note')}")
        else:
            payload = version.get("payload", {})
            if payload_hash(payload) != digest:
                self.fail(f"{where}: its content does not match its hash")
            expected = {
                "story": story_id,
                "slug": slug,
                "number": number,
                "previous_hash": previous,
            }
            for name, value in expected.items():
                if payload.get(name) != value:
                    self.fail(
                        f"{where}: its hash covers {name} {payload.get(name)!r}, not {value!r}"
                    )
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
    check = Check(args.site, args.public_key.strip().lower(), timeout=args.timeout)
    state = load_state(args.state, check) if args.state else {}
    try:
        latest = check.signed(check.get("/log/tree-head.json"), "the latest tree head")
        if latest is not None:
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
    parser.add_argument("site", help="The site's address, e.g. https://news.example.com")
    parser.add_argument("--public-key", required=True, help="The site's Ed25519 public key (hex).")
    parser.add_argument("--story", action="append", help="Check this story only (repeatable).")
    parser.add_argument("--state", help="A JSON file kept between runs (the last tree head seen).")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per request.")
    parser.add_argument("--quiet", action="store_true", help="Print nothing when all is well.")
    args = parser.parse_args(argv)
    try:
        bytes.fromhex(args.public_key)
    except ValueError:
        parser.error("--public-key must be hexadecimal (64 characters)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
