"""Turn ordered credits into the sentences readers see.

Bylines ("By Maria Ortiz and Dev Patel") and contributor taglines ("Maria Ortiz and
Dev Patel of the Coastal Ledger contributed to this report.") are generated from
``Credit`` rows, never typed into the body. Pure functions over (name, affiliation)
pairs so the importer, the publishing snapshot and the templates agree on one form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby

TAGLINE_SUFFIX = "contributed to this report."


def outlet_key(affiliation: str) -> str:
    """Compare outlets ignoring case and a leading "the" ("the Coastal Ledger" == "Coastal Ledger")."""
    key = " ".join(affiliation.split()).casefold()
    return key[4:] if key.startswith("the ") else key


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C": the newsroom style has no Oxford comma."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def format_byline(names: Iterable[str]) -> str:
    names = list(names)
    return f"By {join_names(names)}" if names else ""


def format_tagline(credits: Iterable[tuple[str, str]]) -> str:
    """Render (name, affiliation) pairs, in order, as one "... contributed to this report." line.

    Consecutive contributors from the same outlet share one "of <outlet>"; the outlet is
    written as it was credited on the last of them.
    """
    groups = []
    for _, members in groupby(credits, key=lambda credit: outlet_key(credit[1])):
        members = list(members)
        names = join_names([name for name, _ in members])
        affiliation = members[-1][1].strip()
        groups.append(f"{names} of {affiliation}" if affiliation else names)
    if not groups:
        return ""
    return f"{join_names(groups)} {TAGLINE_SUFFIX}"


def format_photo_credit(credits: Iterable[tuple[str, str]]) -> str:
    """The credit under a picture, from its photographers' (name, affiliation) pairs:
    "Ana Ruiz / Coastal Ledger", "Ana Ruiz and Ben Cho / Coastal Ledger",
    "Ana Ruiz / Coastal Ledger; Tom Reyes / Island Gazette". The outlet is named as on a
    photo desk, without a leading "the"; a staff photographer's name stands alone."""
    groups = []
    for _, members in groupby(credits, key=lambda credit: outlet_key(credit[1])):
        members = list(members)
        names = join_names([name for name, _ in members])
        outlet = " ".join(members[-1][1].split())
        if outlet[:4].casefold() == "the ":
            outlet = outlet[4:]
        groups.append(f"{names} / {outlet}" if outlet else names)
    return "; ".join(groups)


# -- where the names stand in a credit line as published ---------------------------------

#: Marks around each name while a line is written again to find where its names stand:
#: Unicode noncharacters, which no name is expected to hold (if one does, the line
#: written again differs from the stored one and the names are looked for instead).
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
_MARKED_NAME = re.compile(f"{_OPEN}(\\d+):(.*?){_CLOSE}", re.DOTALL)

#: A name's place in a line: (start, end, index of the credit it names).
NameSpan = tuple[int, int, int]


def byline_spans(byline: str, names: Sequence[str]) -> list[NameSpan]:
    """Where each of the byline credits' ``names`` stands in ``byline`` as stored."""
    return _spans(byline, names, lambda marked: format_byline(marked))


def tagline_spans(tagline: str, credits: Sequence[tuple[str, str]]) -> list[NameSpan]:
    """Where each contributed-reporting credit's name stands in ``tagline`` as stored,
    from the (name, affiliation) pairs it was written from."""
    affiliations = [affiliation for _, affiliation in credits]
    return _spans(
        tagline,
        [name for name, _ in credits],
        lambda marked: format_tagline(zip(marked, affiliations, strict=True)),
    )


def _spans(text: str, names: Sequence[str], write: Callable[[list[str]], str]) -> list[NameSpan]:
    """The names' places in ``text``: exactly, by writing the line again with each name
    marked, when that gives ``text`` back; else each name looked for after the one before.

    ``text`` itself is never changed: readers are shown the line as stored, the line its
    version's hash covers, whatever later changes to how lines are written.
    """
    marked = write([f"{_OPEN}{index}:{name}{_CLOSE}" for index, name in enumerate(names)])
    spans, plain, position = [], [], 0
    for match in _MARKED_NAME.finditer(marked):
        plain.append(marked[position : match.start()])
        start = sum(map(len, plain))
        plain.append(match.group(2))
        spans.append((start, start + len(match.group(2)), int(match.group(1))))
        position = match.end()
    plain.append(marked[position:])
    if "".join(plain) == text:
        return spans
    spans, cursor = [], 0
    for index, name in enumerate(names):
        start = text.find(name, cursor) if name else -1
        if start >= 0:
            spans.append((start, start + len(name), index))
            cursor = start + len(name)
    return spans
