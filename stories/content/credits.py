"""Turn ordered credits into the sentences readers see.

Bylines ("By Maria Ortiz and Dev Patel") and contributor taglines ("Maria Ortiz and
Dev Patel of the Coastal Ledger contributed to this report.") are generated from
``Credit`` rows, never typed into the body. Pure functions over (name, affiliation)
pairs so the importer, the publishing snapshot and the templates agree on one form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
