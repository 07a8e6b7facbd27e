"""The site's transparency log: every published version's hash, in publication order, as
a leaf of one append-only Merkle tree (RFC 9162, as in Certificate Transparency), with
signed tree heads and the proofs that let anyone outside check it.

``append`` runs inside the publishing transaction (``publishing._write_revision``): it
takes the log's lock, so leaf indexes are assigned one at a time and without gaps
(a publish that rolls back leaves no hole: the next one takes its index), stores the
leaf, the perfect subtrees it completes and a new signed tree head. It reads the
O(log n) nodes of the tree's frontier and writes on average three rows, so a publish
costs the same at ten leaves as at ten thousand (``bench/bench_log.py``).

The proofs (``inclusion_proofs``, ``consistency``) read the stored nodes they need in
one query. ``verify_log`` and ``verify_site`` re-derive everything from the leaves for
``manage.py verify_revisions``. The public JSON is built by ``stories/reader/record.py``
and described in docs/transparency.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from stories.models import ContentRemoval, LogLeaf, LogNode, Revision, Story, TreeHead

from . import merkle, signer, signing
from .integrity import verify_story
from .outside_verifier import Checkpoint

#: The key of the PostgreSQL advisory lock that serialises appends (any constant that no
#: other code uses: "NEWSLOG" in ASCII).
LOCK_KEY = 0x4E4557534C4F47


# -- appending ---------------------------------------------------------------------------


def append(revision: Revision) -> LogLeaf:
    """Append ``revision``'s hash as the next leaf and sign the new tree head. Call it
    inside the transaction that wrote the revision: both commit, or neither."""
    return append_many([revision])[0]


def append_many(revisions: Iterable[Revision]) -> list[LogLeaf]:
    """Append several versions in order, with one signed tree head at the end (bulk
    imports, and ``tests.factories.long_record``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("the transparency log is appended to inside a transaction only")
    _lock()
    size = _size()
    frontier = _read_nodes(merkle.frontier(size), router.db_for_write(LogNode))
    tree = merkle.CompactTree(size, frontier)
    now = timezone.now()
    leaves, nodes = [], []
    for revision in revisions:
        leaves.append(
            LogLeaf(
                index=tree.size,
                revision=revision,
                entry_hash=revision.content_hash,
                appended_at=now,
            )
        )
        completed = tree.append(merkle.leaf_hash(bytes.fromhex(revision.content_hash)))
        nodes += [
            LogNode(level=level, index=index, hash=value.hex())
            for (level, index), value in completed
        ]
    if not leaves:
        return []
    LogLeaf.objects.bulk_create(leaves)
    LogNode.objects.bulk_create(nodes)
    sign_head(tree.size, tree.root(), now, previous_size=size)
    return leaves


def resign() -> TreeHead | None:
    """Sign a new head for the log as it stands (``manage.py sign_tree_head``, hourly):
    the same size, a new time, so a verifier can tell a quiet log from a frozen one.
    ``None`` while the log is empty."""
    with transaction.atomic(using=router.db_for_write(TreeHead)):
        _lock()
        size = _size()
        if not size:
            return None
        tree = merkle.CompactTree(size, _read_nodes(merkle.frontier(size), _primary()))
        return sign_head(size, tree.root(), timezone.now(), previous_size=size)


@task()
def resign_in_worker() -> int:
    """``resign`` as background work (``manage.py sign_tree_head --enqueue``): the size
    signed, 0 for an empty log."""
    try:
        head = resign()
    finally:
        signer.announce_refusals()
    return head.size if head else 0


def _lock() -> None:
    """Serialise appends until the transaction ends. On PostgreSQL, a transaction-level
    advisory lock (the tables are append-only, so there is no row to lock); on SQLite
    every write transaction already holds the database's write lock (``IMMEDIATE``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _size() -> int:
    last = LogLeaf.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _read_nodes(keys: Iterable[merkle.Node], using: str) -> dict[merkle.Node, bytes]:
    """The stored nodes ``keys``, in one query on the database ``using``.

    Plain SQL on purpose: this runs inside every publish, and the ORM would compile one
    clause per node (a millisecond each on a laptop), which grows the cost of a publish
    with the log; the unique index on (level, index) serves each clause.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    database = connections[using]
    quote = database.ops.quote_name
    index = quote("index")
    condition = " OR ".join([f"(level = %s AND {index} = %s)"] * len(keys))
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT level, {index}, hash FROM {quote(LogNode._meta.db_table)} WHERE {condition}",
            [value for key in keys for value in key],
        )
        return {(level, position): bytes.fromhex(value) for level, position, value in cursor}


def sign_head(size: int, root: bytes, at=None, *, previous_size: int) -> TreeHead:
    """Sign and store the tree head of ``size`` leaves (RFC 9162 TreeHeadDataV2, and the
    C2SP checkpoint), if the signer finds it extends the last head the key signed
    (``signer.NotAnExtension`` otherwise: nothing is signed). ``previous_size``: the
    log's size before this append."""
    timestamp = int((at or timezone.now()).timestamp() * 1000)
    # Heads are keyed by (size, time) and never go back in time: two signings within one
    # millisecond (a re-signing beside a publish) take the next one.
    newest = TreeHead.objects.order_by("-timestamp").values_list("timestamp", flat=True).first()
    if newest is not None:
        timestamp = max(timestamp, newest + 1)
    signed = signer.sign(
        size, root, timestamp, previous_size=previous_size, proof=_primary_consistency
    )
    return TreeHead.objects.create(
        size=size,
        root_hash=root.hex(),
        timestamp=signed.timestamp,
        signature=signed.signature,
        public_key=signing.public_key_hex(),
        origin=signed.origin,
        note_signature=signed.note_signature,
    )


def _primary() -> str:
    return router.db_for_write(LogNode)


def _primary_consistency(first: int, second: int) -> list[bytes]:
    """The consistency proof as the open transaction sees the log (its new nodes too)."""
    return _consistency_proof(first, second, _primary())


def _consistency_proof(first: int, second: int, using: str) -> list[bytes]:
    needed = merkle.nodes_needed(merkle.consistency_proof, first, second)
    node = merkle.reader(_read_nodes(needed, using))
    return merkle.consistency_proof(first, second, node)


# -- reading -----------------------------------------------------------------------------


def latest_head() -> TreeHead | None:
    """The newest head: the largest tree, most recently signed."""
    return TreeHead.objects.order_by("-size", "-timestamp").first()


def head_at(timestamp: int) -> TreeHead | None:
    """The head that was current at ``timestamp`` (ms): the newest signed by then."""
    return TreeHead.objects.filter(timestamp__lte=timestamp).order_by("-timestamp", "-size").first()


def head_data(head: TreeHead) -> dict:
    """A signed tree head as the public JSON gives it."""
    return {
        "tree_size": head.size,
        "timestamp": head.timestamp,
        "root_hash": head.root_hash,
        "signature": head.signature,
        "public_key": head.public_key,
        "origin": head.origin,
        "signature_algorithm": signing.ALGORITHM,
        "signed_data": "RFC 9162 TreeHeadDataV2 (section 4.10), TLS-encoded: uint64 "
        "timestamp, uint64 tree_size, root_hash with a one-byte length, empty extensions",
    }


def inclusion_proofs(indexes: Iterable[int], size: int) -> dict[int, list[str]]:
    """RFC 9162 inclusion proofs of leaves ``indexes`` in the tree of ``size`` leaves."""
    indexes = [index for index in indexes if 0 <= index < size]
    needed = set()
    for index in indexes:
        needed |= merkle.nodes_needed(merkle.inclusion_path, index, size)
    node = merkle.reader(_read_nodes(needed, router.db_for_read(LogNode)))
    return {
        index: [value.hex() for value in merkle.inclusion_path(index, size, node)]
        for index in indexes
    }


def consistency(first: int, second: int) -> list[str]:
    """RFC 9162 consistency proof between the trees of ``first`` and ``second`` leaves."""
    return [value.hex() for value in _consistency_proof(first, second, router.db_for_read(LogNode))]


# -- checking (manage.py verify_revisions) -------------------------------------------------


def verify_site() -> list[tuple[str, str]]:
    """Every problem in the public record, as (where, what): each story that has any
    version (whatever its pointer says), then the log."""
    removed = defaultdict(set)
    for story_id, number in ContentRemoval.objects.values_list(
        "revision__story_id", "revision__number"
    ):
        removed[story_id].add(number)
    problems = []
    stories = (
        Story.objects.filter(Q(revisions__isnull=False) | Q(latest_revision__isnull=False))
        .distinct()
        .order_by("slug")
    )
    for story in stories.iterator():
        problems += [
            (story.slug, problem) for problem in verify_story(story, removed=removed[story.pk])
        ]
    problems += [("log", problem) for problem in verify_log()]
    return problems


def verify_log(*, check_signer: bool = True) -> list[str]:
    """Problems in the transparency log, checked as an auditor would: a version missing
    from it or out of order, a leaf that is not the version's hash, stored nodes or tree
    heads that the leaves do not produce (every stored head must be a prefix of the
    current tree), a signature that does not verify, leaves no signed head covers, heads
    that shrink as time goes on, and a newest head that is not the last one the signer
    recorded signing (outside the database). Streams the log: O(log n) memory."""
    problems = _versions_not_logged_in_order()
    signed = None
    try:
        signed = signer.read_record().head if check_signer else None
    except signer.SignerRecordUnreadable as error:
        problems.append(str(error))
    signed_root = None
    tree = merkle.CompactTree()
    recomputed = defaultdict(hashlib.sha256)  # per level: the nodes the leaves give
    heads = TreeHead.objects.order_by("size", "timestamp").iterator()
    head = next(heads, None)
    covered = 0
    leaves = LogLeaf.objects.order_by("index").values_list(
        "index", "entry_hash", "revision__content_hash", "revision__story__slug", "revision__number"
    )
    for index, entry, content_hash, slug, number in leaves.iterator():
        if index != tree.size:
            problems.append(f"leaf {tree.size} is missing: the leaves go on at {index}")
            break
        if entry != content_hash:
            problems.append(f"leaf {index} is not the hash of {slug} version {number}")
        for (level, position), value in tree.append(merkle.leaf_hash(bytes.fromhex(entry))):
            recomputed[level].update(position.to_bytes(8, "big") + value)
        if signed is not None and tree.size == signed.size:
            signed_root = tree.root()
        while head is not None and head.size <= tree.size:
            problems += _head_problems(head, tree)
            covered = head.size
            head = next(heads, None)
    if head is not None:
        problems.append(f"tree head {head.size} is larger than the log ({tree.size} leaves)")
    elif covered < tree.size:
        problems.append(
            f"leaves {covered} to {tree.size - 1} are covered by no signed tree head"
            if tree.size - covered > 1
            else f"leaf {covered} is covered by no signed tree head"
        )
    stored = defaultdict(hashlib.sha256)  # per level: the nodes stored
    for level, position, value in (
        LogNode.objects.order_by("level", "index").values_list("level", "index", "hash").iterator()
    ):
        stored[level].update(position.to_bytes(8, "big") + bytes.fromhex(value))
    for level in sorted(set(stored) | set(recomputed)):
        if stored[level].digest() != recomputed[level].digest():
            problems.append(f"the stored nodes of level {level} are not what the leaves give")
    problems += _shrinking_heads()
    if check_signer:
        problems += _signer_problems(signed, signed_root, tree.size)
    return problems


def _head_problems(head: TreeHead, tree: merkle.CompactTree) -> list[str]:
    if head.size != tree.size:
        return [f"tree head {head.size} has no leaves of its own"]
    problems = []
    root = tree.root()
    if head.root_hash != root.hex():
        problems.append(f"tree head {head.size}: its root is not the tree of its leaves")
    data = merkle.tree_head_data(head.size, head.timestamp, bytes.fromhex(head.root_hash))
    if not signing.is_valid(head.public_key, head.signature, data):
        problems.append(f"tree head {head.size}: the signature does not verify")
    elif head.public_key != signing.public_key_hex():
        problems.append(f"tree head {head.size}: signed by another key ({head.public_key})")
    elif head.note_signature and not signing.is_valid(
        head.public_key,
        head.note_signature,
        Checkpoint(head.origin, head.size, bytes.fromhex(head.root_hash)).text.encode(),
    ):
        problems.append(f"tree head {head.size}: its checkpoint's signature does not verify")
    return problems


def _shrinking_heads() -> list[str]:
    """Heads in the order they were signed: a tree never has fewer leaves than before."""
    problems, largest = [], None
    rows = TreeHead.objects.order_by("timestamp", "size").values_list("size", "timestamp")
    for size, timestamp in rows.iterator():
        if largest is not None and size < largest[0]:
            problems.append(
                f"tree head {size} signed at {signer.iso_time(timestamp)} is smaller than "
                f"tree head {largest[0]} signed before it, at {signer.iso_time(largest[1])}"
            )
        else:
            largest = (size, timestamp)
    return problems


def _signer_problems(signed: signer.Head | None, root: bytes | None, size: int) -> list[str]:
    """The database's newest head must be the last one the signer recorded signing."""
    if signed is None:
        if size and not settings.LOG_SIGNER_TRUST_ON_FIRST_USE:
            return [
                f"the signer has no record of the heads it signed ({signer.state_path()}): "
                "nothing outside the database vouches for this log"
            ]
        return []
    what = f"the last head the signer signed ({signed.size} entries at {signed.signed_at})"
    if size < signed.size:
        return [f"the log has {size} entries, fewer than {what}: entries were removed"]
    if root != signed.root:
        return [f"the log's first {signed.size} entries are not {what}: the log was rewritten"]
    if not TreeHead.objects.filter(
        size=signed.size, timestamp=signed.timestamp, root_hash=signed.root.hex()
    ).exists():
        return [f"{what} is not in the database: tree heads were deleted"]
    newest = latest_head()
    if (newest.size, newest.timestamp) < (signed.size, signed.timestamp):
        return [f"the newest head in the database is older than {what}"]
    return []


def _versions_not_logged_in_order() -> list[str]:
    problems = []
    rows = (
        Revision.objects.order_by("story__slug", "number")
        .values_list("story__slug", "number", "log_leaf__index")
        .iterator()
    )
    story, previous = None, None
    for slug, number, index in rows:
        if slug != story:
            story, previous = slug, None
        if index is None:
            problems.append(f"{slug} version {number} is not in the transparency log")
            continue
        if previous is not None and index < previous:
            problems.append(f"{slug} version {number} was logged before the version it follows")
        previous = index
    return problems
