"""RFC 9162's own definitions (section 2.1), transcribed as brute-force recursions over
the whole list of leaves: the reference the log's code and the outside verifier are
tested against."""

import hashlib

MAX_LEAVES = 40


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]), 2.1.1."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + reference_mth(entries[:k]) + reference_mth(entries[k:]))


def reference_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), 2.1.3.1."""
    n = len(entries)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return reference_path(m, entries[:k]) + [reference_mth(entries[k:])]
    return reference_path(m - k, entries[k:]) + [reference_mth(entries[:k])]


def reference_subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), 2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if b else [reference_mth(entries)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return reference_subproof(m, entries[:k], b) + [reference_mth(entries[k:])]
    return reference_subproof(m - k, entries[k:], False) + [reference_mth(entries[:k])]


def entries(n: int) -> list[bytes]:
    return [sha256(f"version {i}".encode()) for i in range(n)]


def stored_nodes(leaves: list[bytes]) -> dict:
    """Every perfect subtree of the tree, computed the RFC's way: what the log stores."""
    nodes = {}
    level = 0
    while (1 << level) <= len(leaves):
        width = 1 << level
        for index in range(len(leaves) // width):
            nodes[(level, index)] = reference_mth(leaves[index * width : (index + 1) * width])
        level += 1
    return nodes
