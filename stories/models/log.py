"""The site's transparency log (``stories.record.transparency``): each version's hash as
a leaf of an RFC 9162 Merkle tree, the tree's complete subtrees, and its signed heads.
All append-only."""

from __future__ import annotations

from django.db import models

from .base import AppendOnlyModel
from .versions import Revision


class LogLeaf(AppendOnlyModel):
    """One published version's hash, appended as leaf ``index`` of the site's Merkle tree
    (RFC 9162) in the transaction that published it. Append-only."""

    index = models.PositiveBigIntegerField(primary_key=True)
    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="log_leaf")
    entry_hash = models.CharField(
        max_length=64, help_text="The version's hash as appended: the leaf's data."
    )
    appended_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"leaf {self.index}"


class LogNode(AppendOnlyModel):
    """The root hash of a complete perfect subtree of the log: the ``2**level`` leaves from
    ``index * 2**level`` (level 0: the leaf hashes). Stored once complete, never changed,
    so an append or a proof reads O(log n) rows (stories/record/merkle.py)."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="unique_log_node"),
        ]

    def __str__(self):
        return f"node {self.level}/{self.index}"


class TreeHead(AppendOnlyModel):
    """A signed head of the log: its size, root hash and time, signed with the site's
    Ed25519 key over RFC 9162's TreeHeadDataV2 (``merkle.tree_head_data``). One per
    append; readers' verifiers keep the last one they checked. Append-only."""

    size = models.PositiveBigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.PositiveBigIntegerField(help_text="Milliseconds since the Unix epoch.")
    signature = models.CharField(max_length=128)
    public_key = models.CharField(max_length=64, help_text="The key that signed it, in hex.")

    class Meta:
        ordering = ["size"]

    def __str__(self):
        return f"tree head {self.size}"
