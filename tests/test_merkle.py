"""stories.record.merkle against RFC 9162's own definitions (section 2.1), transcribed below as
brute-force recursions over the whole list of leaves."""

import pytest

from stories.record import merkle
from tests.rfc9162 import (
    MAX_LEAVES,
    entries,
    reference_mth,
    reference_path,
    reference_subproof,
    sha256,
    stored_nodes,
)

ALL = entries(MAX_LEAVES)
NODES = stored_nodes(ALL)
NODE = merkle.reader(NODES)


@pytest.mark.parametrize("size", range(0, MAX_LEAVES + 1))
def test_root_is_the_rfc_merkle_tree_hash(size):
    assert merkle.root(size, NODE) == reference_mth(ALL[:size])


def test_leaf_and_node_hashes_are_domain_separated():
    assert merkle.leaf_hash(b"x") == sha256(b"\x00x")
    assert merkle.node_hash(b"a", b"b") == sha256(b"\x01ab")
    assert sha256(b"") == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, MAX_LEAVES + 1))
def test_inclusion_paths_are_the_rfc_paths(size):
    for index in range(size):
        assert merkle.inclusion_path(index, size, NODE) == reference_path(index, ALL[:size])


@pytest.mark.parametrize("second", range(1, MAX_LEAVES + 1))
def test_consistency_proofs_are_the_rfc_proofs(second):
    for first in range(1, second + 1):
        expected = reference_subproof(first, ALL[:second], True)
        assert merkle.consistency_proof(first, second, NODE) == expected


def test_proofs_read_only_a_logarithmic_number_of_stored_nodes():
    size = 1_000_003
    path_nodes = merkle.nodes_needed(merkle.inclusion_path, 123_457, size)
    proof_nodes = merkle.nodes_needed(merkle.consistency_proof, 654_321, size)
    root_nodes = merkle.nodes_needed(merkle.root, size)
    assert root_nodes == set(merkle.frontier(size))
    assert max(len(path_nodes), len(proof_nodes), len(root_nodes)) <= 2 * size.bit_length()


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="leaf 5 is not in a tree of 5 leaves"):
        merkle.inclusion_path(5, 5, NODE)
    with pytest.raises(ValueError, match="no consistency proof from 0 leaves to 3"):
        merkle.consistency_proof(0, 3, NODE)
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, 3, NODE)
    with pytest.raises(LookupError, match="node \\(0, 99\\) of the log is missing"):
        NODE(0, 99)


def test_appending_stores_exactly_the_perfect_subtrees_each_leaf_completes():
    stored: dict = {}
    tree = merkle.CompactTree()
    for index, entry in enumerate(ALL):
        leaf = merkle.leaf_hash(entry)
        needed = merkle.nodes_needed(merkle.append_nodes, index, leaf)
        assert needed <= set(merkle.frontier(index))  # only the tree as it was
        completed = merkle.append_nodes(index, leaf, merkle.reader(stored))
        assert completed == tree.append(leaf)
        stored.update(completed)
        assert len(completed) <= index.bit_length() + 1
        assert merkle.root(index + 1, merkle.reader(stored)) == reference_mth(ALL[: index + 1])
        assert tree.root() == reference_mth(ALL[: index + 1])
        assert len(tree.nodes) == bin(index + 1).count("1")
    assert stored == NODES


def test_a_compact_tree_resumes_from_a_stored_frontier():
    tree = merkle.CompactTree(21, NODES)
    for entry in ALL[21:]:
        tree.append(merkle.leaf_hash(entry))
    assert tree.root() == reference_mth(ALL)


def test_tree_head_data_is_rfc_9162_tree_head_data_v2():
    root = bytes(range(32))
    data = merkle.tree_head_data(7, 1_700_000_000_123, root)
    assert data == (
        (1_700_000_000_123).to_bytes(8, "big")
        + (7).to_bytes(8, "big")
        + bytes([32])
        + root
        + b"\x00\x00"
    )
