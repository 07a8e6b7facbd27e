"""Word-level differences between two versions of a story.

Readers compare any two published revisions on the public history page, and editors
compare the working copy with what is live; both pages hand two plain snapshot mappings
to :func:`compare_snapshots`. The module is pure (no database, no request, no settings)
so views, the admin and commands can all call it and tests need no fixtures.

Text is compared a word at a time with diff-match-patch's "line mode" trick applied to
words: every distinct token (a word, a run of whitespace, or one punctuation mark)
becomes one character, the encoded strings are diffed, and the result is decoded back.
The body is first aligned a paragraph at a time the same way, so a moved paragraph shows
as deleted at its old place and inserted at its new one, and long unchanged stretches
collapse. Every piece of text is HTML-escaped here: callers never mark anything safe.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Literal

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = [
    "DIFF_TIMEOUT",
    "FieldDiff",
    "ParagraphBlock",
    "compare_snapshots",
    "diff_snapshot",
    "diff_body",
    "image_changes",
    "picture_change",
    "SnapshotDiff",
    "split_paragraphs",
    "word_diff_html",
]

#: Seconds diff-match-patch may spend before settling for a coarser (still exact) diff,
#: so a pathological pair of texts cannot hang a page. One comparison of two snapshots
#: shares one such budget across all its fields and paragraphs.
DIFF_TIMEOUT = 1.0

#: A word (letters/digits, keeping "don't", "3.5", "1,200", "10:30" and "well-known"
#: whole, so a changed figure reads as one replaced word), a run of whitespace, or a
#: single other character. Every character matches one alternative, so joining the
#: tokens always gives the text back: the diff is lossless.
_TOKEN_RE = re.compile(r"\w+(?:[-'\u2019.,:]\w+)*|\s+|[^\w\s]")

#: Blank line: a line break, optional spaces or tabs, another line break.
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")

#: diff-match-patch's operation codes.
_DELETE = diff_match_patch.DIFF_DELETE
_EQUAL = diff_match_patch.DIFF_EQUAL
_INSERT = diff_match_patch.DIFF_INSERT

BlockKind = Literal["equal", "changed", "inserted", "deleted", "collapsed"]
#: Block kinds that mean the body differs.
_CHANGE_KINDS = frozenset({"changed", "inserted", "deleted"})

#: (snapshot key, label readers see) for the one-line fields, in page order. "credits" is
#: not a snapshot key: it is the byline and the tagline, compared together.
_LINE_FIELDS = (
    ("headline", "Headline"),
    ("dek", "Summary"),
    ("credits", "Credits"),
    ("dateline", "Dateline"),
    ("section", "Section"),
)
#: (snapshot key, label readers see) of the lead image's text, after the picture itself.
_IMAGE_TEXT_FIELDS = (
    ("image_caption", "Photo caption"),
    ("image_alt", "Photo alt text"),
    ("image_credit", "Photo credit"),
)
#: What a history entry says of each change of the lead image.
_IMAGE_CHANGE_LABELS = {
    "image_caption": "Caption changed",
    "image_alt": "Alt text changed",
    "image_credit": "Photo credit changed",
}


class _TokenDiffMatchPatch(diff_match_patch):
    """diff-match-patch whose semantic clean-up runs on encoded tokens, not characters.

    Run on decoded text, ``diff_cleanupSemantic`` factors out common characters and cuts
    words in two ("The ca<del>t</del><ins>rt</ins>"); run on the encoded string it merges
    and splits whole tokens only. Its lossless pass, which slides edits onto word
    boundaries by looking at character classes, is meaningless on encoded characters and
    not needed (every edit already sits on a token boundary), so it is skipped.
    """

    def diff_cleanupSemanticLossless(self, diffs):  # diff-match-patch's own name
        return None


_DMP = _TokenDiffMatchPatch()
_DMP.Diff_Timeout = DIFF_TIMEOUT


class _Encoder:
    """Map each distinct item (token or paragraph) to one character, like linesToChars."""

    #: One item per Unicode code point, as diff-match-patch's own linesToChars allows.
    MAX_ITEMS = 0x110000

    def __init__(self) -> None:
        self.items: list[str] = []
        self._codes: dict[str, str] = {}

    def encode(self, items: list[str]) -> str:
        chars = []
        for index, item in enumerate(items):
            code = self._codes.get(item)
            if code is None:
                if len(self.items) == self.MAX_ITEMS - 1:
                    # Out of code points: the rest becomes one last item, as in
                    # linesToChars. Coarser, still lossless; unreachable for real stories.
                    item = "".join(items[index:])
                    code = self._codes.get(item)
                    if code is None:
                        code = self._add(item)
                    chars.append(code)
                    break
                code = self._add(item)
            chars.append(code)
        return "".join(chars)

    def _add(self, item: str) -> str:
        code = chr(len(self.items))
        self.items.append(item)
        self._codes[item] = code
        return code


def _deadline() -> float:
    return time.time() + DIFF_TIMEOUT


def _word_diffs(old: str, new: str, deadline: float) -> list[tuple[int, str]]:
    encoder = _Encoder()
    old_chars = encoder.encode(_TOKEN_RE.findall(old))
    new_chars = encoder.encode(_TOKEN_RE.findall(new))
    diffs = _DMP.diff_main(old_chars, new_chars, False, deadline)
    _DMP.diff_cleanupSemantic(diffs)
    _DMP.diff_charsToLines(diffs, encoder.items)
    return [(op, text) for op, text in diffs if text]


def _render(diffs: Iterable[tuple[int, str]]) -> SafeString:
    parts = []
    for op, text in diffs:
        text = escape(text)
        if op == _DELETE:
            parts.append(f"<del>{text}</del>")
        elif op == _INSERT:
            parts.append(f"<ins>{text}</ins>")
        else:
            parts.append(text)
    return mark_safe("".join(parts))  # every piece was escaped just above


def _word_diff_html(old: str, new: str, deadline: float) -> SafeString:
    return _render(_word_diffs(old, new, deadline))


def word_diff_html(old: str, new: str) -> SafeString:
    """HTML of ``new`` against ``old``: removed words in ``<del>``, added ones in ``<ins>``.

    Lossless (drop the ``<del>`` runs and unwrap the ``<ins>`` ones to get ``new`` back)
    and fully escaped, so it can go straight into a page without ``|safe`` worries.
    """
    return _word_diff_html(old or "", new or "", _deadline())


def split_paragraphs(body: str) -> list[str]:
    """Paragraphs of Markdown source (separated by blank lines), stripped, none empty.

    Line endings are normalised first, so re-saving a body from another platform or
    adding blank lines between paragraphs is not reported as a change.
    """
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in _BLANK_LINE_RE.split(body) if part.strip()]


@dataclass(frozen=True)
class ParagraphBlock:
    """One row of a body comparison, ready for the template.

    ``kind`` says how the paragraph changed ("equal" paragraphs are context around a
    change); ``html`` is the escaped paragraph source, or its word diff for "changed"
    (wrapped whole in ``<del>``/``<ins>`` for "deleted"/"inserted", so the markup alone
    carries the meaning); ``count`` is how many unchanged paragraphs a "collapsed" block
    hides (1 for every other kind, which stands for one paragraph).
    """

    kind: BlockKind
    html: SafeString = SafeString("")
    count: int = 1

    @property
    def is_collapsed(self) -> bool:
        return self.kind == "collapsed"


def _paragraph_diffs(
    old: list[str], new: list[str], deadline: float
) -> list[tuple[int, list[str]]]:
    encoder = _Encoder()
    old_chars = encoder.encode(old)
    new_chars = encoder.encode(new)
    # Raw alignment, no semantic clean-up: it would trade unchanged paragraphs for
    # bigger delete/insert runs, and every unchanged paragraph should stay unchanged.
    diffs = _DMP.diff_main(old_chars, new_chars, False, deadline)
    return [(op, [encoder.items[ord(char)] for char in chars]) for op, chars in diffs]


#: How alike two paragraphs must be (Dice coefficient of their sets of words and
#: punctuation) to count as one edited paragraph rather than one removed and one added.
_SIMILARITY = 0.5
#: Most paragraph pairs compared for similarity in one run of changed paragraphs; beyond
#: it, only pairs near the same position are compared, so the cost stays bounded.
_MAX_COMPARISONS = 20_000


def _signature(text: str) -> frozenset[str]:
    return frozenset(token for token in _TOKEN_RE.findall(text) if not token.isspace())


def _similar_pairs(
    deleted: list[str], inserted: list[str], deadline: float
) -> list[tuple[int, int]]:
    """Index pairs (deleted, inserted) of paragraphs that are edits of each other, in order.

    Each inserted paragraph is encoded as the character of the deleted paragraph it most
    resembles (or a character of its own), and diff-match-patch aligns the two strings:
    its equalities are the longest in-order chain of similar pairs.
    """
    count = len(deleted) + len(inserted)
    if not deleted or not inserted or count >= _Encoder.MAX_ITEMS:
        return []
    old_signatures = [_signature(text) for text in deleted]
    band = max(len(deleted), len(inserted))
    if len(deleted) * len(inserted) > _MAX_COMPARISONS:
        band = max(1, _MAX_COMPARISONS // max(len(deleted), len(inserted)) // 2)
    new_chars = []
    for j, text in enumerate(inserted):
        signature = _signature(text)
        best, best_score = len(deleted) + j, _SIMILARITY  # its own character by default
        for i in range(max(0, j - band), min(len(deleted), j + band + 1)):
            other = old_signatures[i]
            total = len(signature) + len(other)
            score = 2 * len(signature & other) / total if total else 1.0
            if score >= best_score and (best >= len(deleted) or score > best_score):
                best, best_score = i, score
        new_chars.append(chr(best))
    old_chars = "".join(chr(i) for i in range(len(deleted)))
    pairs = []
    i = j = 0
    for op, chars in _DMP.diff_main(old_chars, "".join(new_chars), False, deadline):
        if op == _EQUAL:
            pairs.extend((i + k, j + k) for k in range(len(chars)))
        if op != _INSERT:
            i += len(chars)
        if op != _DELETE:
            j += len(chars)
    return pairs


def _change_blocks(
    deleted: list[str], inserted: list[str], moved: set[str], deadline: float
) -> list[ParagraphBlock]:
    """Blocks for one run of deleted and inserted paragraphs between unchanged ones.

    Deleted and inserted paragraphs are paired one-to-one, in order, as "changed" (an
    edited paragraph); leftovers stay deleted or inserted. Pairs of similar paragraphs
    are found first (:func:`_similar_pairs`), so one added or removed paragraph inside a
    run of edited ones does not shift every later pairing by one; the rest are paired in
    order between them. A paragraph that was moved (its exact text is deleted somewhere
    and inserted somewhere else) is never paired: showing it as rewritten into its
    neighbour would be misleading.
    """
    old_free = [i for i, text in enumerate(deleted) if text not in moved]
    new_free = [j for j, text in enumerate(inserted) if text not in moved]
    anchors = _similar_pairs(
        [deleted[i] for i in old_free], [inserted[j] for j in new_free], deadline
    )
    partner: dict[int, int] = {}  # inserted index -> deleted index, increasing together
    old_start = new_start = 0
    for old_end, new_end in [*anchors, (len(old_free), len(new_free))]:
        # Between two similar pairs, whatever is left on both sides pairs up in order.
        gap = zip(new_free[new_start:new_end], old_free[old_start:old_end], strict=False)
        partner.update(gap)
        if old_end < len(old_free):
            partner[new_free[new_end]] = old_free[old_end]
        old_start, new_start = old_end + 1, new_end + 1

    blocks: list[ParagraphBlock] = []
    next_old = 0
    for j, text in enumerate(inserted):
        i = partner.get(j)
        if i is None:
            blocks.append(ParagraphBlock("inserted", _word_diff_html("", text, deadline)))
            continue
        # Old paragraphs before this one's partner were deleted before it.
        blocks.extend(
            ParagraphBlock("deleted", _word_diff_html(deleted[k], "", deadline))
            for k in range(next_old, i)
        )
        blocks.append(ParagraphBlock("changed", _word_diff_html(deleted[i], text, deadline)))
        next_old = i + 1
    blocks.extend(
        ParagraphBlock("deleted", _word_diff_html(deleted[k], "", deadline))
        for k in range(next_old, len(deleted))
    )
    return blocks


def _diff_body(old_body: str, new_body: str, context: int, deadline: float) -> list[ParagraphBlock]:
    if context < 0:
        raise ValueError(f"context must be 0 or more, not {context}")
    diffs = _paragraph_diffs(split_paragraphs(old_body), split_paragraphs(new_body), deadline)
    moved = {p for op, ps in diffs if op == _DELETE for p in ps} & {
        p for op, ps in diffs if op == _INSERT for p in ps
    }

    # The comparison in order: unchanged paragraphs as str, changes as blocks.
    rows: list[str | ParagraphBlock] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, paragraphs in [*diffs, (_EQUAL, [])]:
        if op == _DELETE:
            deleted.extend(paragraphs)
        elif op == _INSERT:
            inserted.extend(paragraphs)
        else:
            rows.extend(_change_blocks(deleted, inserted, moved, deadline))
            deleted, inserted = [], []
            rows.extend(paragraphs)

    # Keep ``context`` unchanged paragraphs next to each change; collapse the rest.
    runs = [
        (unchanged, list(run)) for unchanged, run in groupby(rows, key=lambda r: isinstance(r, str))
    ]
    blocks: list[ParagraphBlock] = []
    for index, (unchanged, run) in enumerate(runs):
        if not unchanged:
            blocks.extend(run)
            continue
        keep_head = context if index > 0 else 0  # follows a change
        keep_tail = context if index < len(runs) - 1 else 0  # precedes a change
        hidden = len(run) - keep_head - keep_tail
        if hidden <= 0:
            blocks.extend(ParagraphBlock("equal", escape(p)) for p in run)
            continue
        blocks.extend(ParagraphBlock("equal", escape(p)) for p in run[:keep_head])
        blocks.append(ParagraphBlock("collapsed", count=hidden))
        blocks.extend(ParagraphBlock("equal", escape(p)) for p in run[len(run) - keep_tail :])
    return blocks


def diff_body(old_body: str, new_body: str, context: int = 1) -> list[ParagraphBlock]:
    """Compare two Markdown bodies paragraph by paragraph, then word by word.

    Unchanged paragraphs are shown only as ``context`` paragraphs of context around
    each change; longer unchanged runs become one "collapsed" block, and an unchanged
    body is a single collapsed block (no blocks at all when it is empty), so a
    one-word correction in a long story is easy to find.
    """
    return _diff_body(old_body, new_body, context, _deadline())


@dataclass(frozen=True)
class FieldDiff:
    """The comparison of one field, as a reader sees it.

    One-line fields carry their word diff in ``html``; the body carries ``blocks``.
    ``changed`` lets a page skip or mute fields that did not change.
    """

    name: str
    label: str
    changed: bool
    html: SafeString = SafeString("")
    blocks: list[ParagraphBlock] = field(default_factory=list)

    @property
    def is_body(self) -> bool:
        return self.name == "body"

    @property
    def is_image(self) -> bool:
        """The picture itself: pages show the two pictures side by side."""
        return self.name == "image"


class SnapshotDiff(list):
    """The ``FieldDiff`` of every field, in page order, with what pages ask of them."""

    @property
    def changed(self) -> list[FieldDiff]:
        return [diff for diff in self if diff.changed]

    @property
    def unchanged(self) -> list[FieldDiff]:
        return [diff for diff in self if not diff.changed]

    @property
    def has_changes(self) -> bool:
        """Whether any field differs: pages say "No differences." instead of an empty diff."""
        return any(diff.changed for diff in self)


def _value(snapshot: Mapping, key: str) -> str:
    value = snapshot.get(key)
    return "" if value is None else str(value)


def _line_value(snapshot: Mapping, name: str) -> str:
    if name == "credits":
        parts = (_value(snapshot, "byline"), _value(snapshot, "tagline"))
        return "\n".join(part for part in parts if part)
    return _value(snapshot, name)


def picture_change(old_sha256: str, new_sha256: str) -> str:
    """ "Photo added", "Photo removed", "Photo replaced", or "" when it is the same
    picture (same content hash: a re-crop is a new picture)."""
    if old_sha256 == new_sha256:
        return ""
    if not old_sha256:
        return "Photo added"
    return "Photo replaced" if new_sha256 else "Photo removed"


def image_changes(old: Mapping | None, new: Mapping | None) -> list[str]:
    """What a new version changed of the lead image, as a history entry says it:
    "Photo replaced", "Caption changed", "Alt text changed"... (``old`` and ``new``
    are ``image`` snapshots, or ``None``; empty when nothing changed)."""
    old, new = old or {}, new or {}
    picture = picture_change(old.get("sha256", ""), new.get("sha256", ""))
    if picture and (not old or not new):
        return [picture]  # added or removed: its texts came or went with it
    changes = [picture] if picture else []
    for name, label in _IMAGE_CHANGE_LABELS.items():
        key = name.removeprefix("image_")
        if old.get(key, "") != new.get(key, ""):
            changes.append(label)
    return changes


def diff_snapshot(content) -> dict:
    """What two versions are compared on, from a mapping of revision fields (a revision,
    a publishing snapshot of the working copy, a reader's plain version) whose ``image``
    is an ``image_snapshot``."""
    image = content.get("image") or {}
    return {
        "image": image.get("sha256", ""),
        "image_alt": image.get("alt", ""),
        "image_caption": image.get("caption", ""),
        "image_credit": image.get("credit", ""),
        "headline": content.get("headline", ""),
        "dek": content.get("dek", ""),
        "body": content.get("body", ""),
        "byline": content.get("byline", ""),
        "tagline": content.get("tagline", ""),
        "dateline": content.get("dateline", ""),
        "section": content.get("section_name", ""),
    }


def compare_snapshots(old: Mapping, new: Mapping, context: int = 1) -> SnapshotDiff:
    """Compare two revision snapshots field by field, in the order a story page shows them.

    Headline, Summary (dek), Credits (byline and tagline together, since readers see
    them as one credit), Dateline, Section, the lead image (Photo: added, replaced or
    removed, by its content hash; then its caption, alt text and credit), then Body. Missing keys count as empty, so
    snapshots from older revisions compare cleanly with newer ones.
    """
    deadline = _deadline()
    diffs = []
    for name, label in _LINE_FIELDS:
        before, after = _line_value(old, name), _line_value(new, name)
        diffs.append(
            FieldDiff(name, label, before != after, _word_diff_html(before, after, deadline))
        )
    picture = picture_change(_value(old, "image"), _value(new, "image"))
    diffs.append(FieldDiff("image", "Photo", bool(picture), escape(picture)))
    for name, label in _IMAGE_TEXT_FIELDS:
        before, after = _value(old, name), _value(new, name)
        diffs.append(
            FieldDiff(name, label, before != after, _word_diff_html(before, after, deadline))
        )
    blocks = _diff_body(_value(old, "body"), _value(new, "body"), context, deadline)
    changed = any(block.kind in _CHANGE_KINDS for block in blocks)
    diffs.append(FieldDiff("body", "Body", changed, blocks=blocks))
    return SnapshotDiff(diffs)
