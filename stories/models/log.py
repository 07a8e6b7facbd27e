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
    Ed25519 key over RFC 9162's TreeHeadDataV2 (``merkle.tree_head_data``), and as a
    C2SP checkpoint (``origin`` and ``note_signature``: the same head in the format
    transparency-log tooling and witnesses read). One per append, and one per re-signing
    of the same size on a schedule (``manage.py sign_tree_head``), so a quiet log and a
    frozen one look different: heads are keyed by size and time, kept for ever.
    Append-only."""

    size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.PositiveBigIntegerField(help_text="Milliseconds since the Unix epoch.")
    signature = models.CharField(max_length=128)
    public_key = models.CharField(max_length=64, help_text="The key that signed it, in hex.")
    origin = models.CharField(
        max_length=255, blank=True, help_text="The checkpoint's origin line (its log's name)."
    )
    note_signature = models.CharField(
        max_length=128,
        blank=True,
        help_text="Ed25519 signature of the checkpoint's text, in hex (none before checkpoints).",
    )

    class Meta:
        ordering = ["timestamp", "size"]
        constraints = [
            models.UniqueConstraint(fields=["size", "timestamp"], name="unique_tree_head"),
        ]
        indexes = [
            # The head current at a given time, and the list of heads newest first.
            models.Index(fields=["timestamp", "size"], name="tree_head_time"),
        ]

    def __str__(self):
        return f"tree head {self.size} at {self.timestamp}"


class Cosignature(AppendOnlyModel):
    """A witness's cosignature of one of the log's checkpoints (C2SP tlog-cosignature):
    the witness checked that the checkpoint extends the last one it cosigned. Served
    beside the checkpoint, so readers can require heads that others have seen.
    Append-only."""

    size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    witness = models.CharField(max_length=255, help_text="The witness's key name.")
    key_id = models.CharField(max_length=8, help_text="The witness key's ID, in hex.")
    timestamp = models.PositiveBigIntegerField(help_text="When it cosigned: POSIX seconds.")
    signature = models.CharField(max_length=128, help_text="The Ed25519 signature, in hex.")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["size", "timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["witness", "key_id", "size", "timestamp"], name="unique_cosignature"
            ),
        ]

    def __str__(self):
        return f"cosignature of {self.size} by {self.witness}"
