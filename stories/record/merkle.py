"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1, over stored
perfect subtrees, so that appending a leaf costs O(log n) whatever the tree's size.

Why written here rather than taken from a library: pymerkle 7 (the maintained Python
Merkle-tree library) hashes leaves and nodes as RFC 9162 does, but it recomputes a root
from every leaf in the range (O(n) per root, softened by an in-process cache), its
storage interface stores leaves only, and its proofs come in its own format (a path with
direction bits and its own consistency encoding), not RFC 9162's PATH and PROOF lists
that an outsider's verifier checks with the RFC's algorithms. What a newsroom needs is
small: MTH, PATH and PROOF as the RFC defines them, computed from the hashes of the
perfect subtrees the database keeps. Those few functions are here; the tests check
them against a brute-force transcription of the RFC's definitions.

Storage model: a *node* ``(level, index)`` is the root of the perfect subtree of
``2**level`` leaves that starts at leaf ``index * 2**level``. Level 0 is the leaf hashes.
A node is stored once its subtree is complete and never changes after that. Every hash
these functions need is named as such a node; ``nodes_needed`` lists them so a caller
can read them all in one query, then pass them as a mapping.

Hashes are bytes here (32 of them); the database and the JSON use their hex form.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping

Node = tuple[int, int]
#: How the functions below read a stored node: ``node(level, index) -> bytes``.
NodeReader = Callable[[int, int], bytes]

#: MTH({}) = SHA-256() (RFC 9162, 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """k, the largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def _is_power_of_two(size: int) -> bool:
    return size & (size - 1) == 0


# -- MTH, PATH and PROOF over stored perfect subtrees ---------------------------------
#
# Every range [start, end) the RFC's recursions visit starts at a multiple of the
# largest power of two not above its length, so a range whose length is a power of two
# is exactly one stored node.


def subtree_hash(start: int, end: int, node: NodeReader) -> bytes:
    """MTH(D[start:end])."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if _is_power_of_two(size):
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = split_point(size)
    return node_hash(subtree_hash(start, start + k, node), subtree_hash(start + k, end, node))


def root(size: int, node: NodeReader) -> bytes:
    """MTH(D[0:size]), the root hash of the tree of the first ``size`` leaves."""
    return subtree_hash(0, size, node)


def inclusion_path(index: int, size: int, node: NodeReader) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162, 2.1.3.1): the audit path of leaf ``index``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    # The RFC's recursion, unrolled: it appends the sibling after the inner path.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, node))
            start += k
    path.reverse()
    return path


def consistency_proof(first: int, second: int, node: NodeReader) -> list[bytes]:
    """PROOF(first, D[0:second]) (RFC 9162, 2.1.4.1), for 0 < first <= second."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} leaves to {second}")
    return _subproof(first, 0, second, True, node)


def _subproof(m: int, start: int, end: int, whole: bool, node: NodeReader) -> list[bytes]:
    """SUBPROOF(m - start, D[start:end], whole)."""
    if m == end:
        return [] if whole else [subtree_hash(start, end, node)]
    k = split_point(end - start)
    if m - start <= k:
        return _subproof(m, start, start + k, whole, node) + [subtree_hash(start + k, end, node)]
    return _subproof(m, start + k, end, False, node) + [subtree_hash(start, start + k, node)]


def nodes_needed(compute: Callable[..., object], *args) -> set[Node]:
    """The stored nodes ``compute(*args, node)`` reads, found by running it on zeros.

    Which nodes PATH and PROOF read depends on the sizes only, never on the hashes, so a
    caller can read them in one query and then run ``compute`` on the real ones.
    """
    needed: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        needed.add((level, index))
        return bytes(32)

    compute(*args, record)
    return needed


def reader(nodes: Mapping[Node, bytes]) -> NodeReader:
    """A ``NodeReader`` over nodes already read."""

    def node(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LookupError(f"node ({level}, {index}) of the log is missing") from None

    return node


# -- appending ---------------------------------------------------------------------------


def append_nodes(index: int, leaf: bytes, node: NodeReader) -> list[tuple[Node, bytes]]:
    """The nodes that appending ``leaf`` as leaf ``index`` completes: the leaf itself and
    each perfect subtree it closes (O(log n); on average two).

    It reads the left siblings on the way up, which are stored nodes of the tree as it
    was (``nodes_needed(append_nodes, index, leaf)`` names them).
    """
    completed = [((0, index), leaf)]
    level, position, value = 0, index, leaf
    while position & 1:  # a right child: its left sibling is complete, so is the parent
        value = node_hash(node(level, position - 1), value)
        level, position = level + 1, position >> 1
        completed.append(((level, position), value))
    return completed


def frontier(size: int) -> list[Node]:
    """The perfect subtrees that make up a tree of ``size`` leaves, left to right (the
    nodes ``root(size)`` reads): one per set bit of ``size``."""
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


class CompactTree:
    """A tree held as its frontier only (at most log2(n) hashes): for appending many
    leaves in one go (a migration, a bulk import), yielding every node to store."""

    def __init__(self, size: int = 0, nodes: Mapping[Node, bytes] | None = None):
        self.size = size
        self.nodes: dict[Node, bytes] = {key: (nodes or {})[key] for key in frontier(size)}

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        completed = append_nodes(self.size, leaf, reader(self.nodes))
        self.size += 1
        self.nodes.update(completed)
        self.nodes = {key: self.nodes[key] for key in frontier(self.size)}
        return completed

    def root(self) -> bytes:
        return root(self.size, reader(self.nodes))


# -- signed tree heads -------------------------------------------------------------------


def tree_head_data(size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    """The bytes a tree head's signature covers: RFC 9162's ``TreeHeadDataV2`` (section
    4.10), TLS-encoded: uint64 timestamp (ms since the epoch), uint64 tree_size, the root
    hash with a one-byte length, and an empty two-byte-length extensions list."""
    return struct.pack(">QQB", timestamp_ms, size, len(root_hash)) + root_hash + b"\x00\x00"
