"""Parse the plain-text story format newsrooms exchange into structured data.

The format (see ``fixtures/samples/``)::

    Headline on the first non-empty line

    One paragraph per non-empty line.
    ...
    Maria Ortiz and Dev Patel of the Coastal Ledger contributed to this report.
    (This story has been updated to include comments from ...)

Some lines are data, not body text, and are recognised by their *form* wherever they
stand after the headline (their position does not matter):

* contributor taglines: a line ending in "contributed to this report." (or the synonym
  "contributed reporting.") or starting with "Contributing:";
* notes: "Correction: ...", "Clarification: ...", "Editor's note: ...", "Update: ..."
  (the label decides the kind, not the words after it) and
  "(This story has been updated ...)".

Everything else after the headline is a body paragraph, including sentences that merely
name an outlet ("As the Coastal Ledger reported last year, ...").

Reading a "... contributed to this report." list
-------------------------------------------------
The list is what ``stories.content.credits.format_tagline`` writes: groups "names of outlet"
joined as "G1, G2 and G3", the names inside a group joined the same way. The parser

1. splits the list into segments at every ", ", " and " (and ", and ");
2. reads each segment containing " of " as "last name of outlet", split at its first
   " of " (so "the Bank of England" stays whole), and starts a new group there; the
   segments before it are the other names of that group. Names therefore never contain
   " of ", ", " or " and ";
3. lets an outlet run on over the separators that follow it, up to the next segment
   containing " of ", only when needed, because outlet names may contain " and " or ", "
   ("the Times and Democrat"):
   - every group must have an outlet, so names left after the last outlet belong to it
     ("A of the Times and Democrat" is A of "the Times and Democrat", not two people);
   - among the readings, those extending outlets over the fewest separators are tried
     first, and the first one that ``format_tagline`` renders back to exactly the line
     wins ("A of the Post and Courier, B of Y and C of Z" keeps "the Post and Courier":
     reading "Courier" as a name would re-render as "A of the Post and Courier and B of
     Y and C of Z");
   - when no reading re-renders exactly (a line not in house style, e.g. with an Oxford
     comma), the reading with the shortest outlets is used.

So any line ``format_tagline`` writes re-renders to itself and parses back to exactly its
pairs, provided names contain no " of ", " and " or ", " and outlets no " of " after an
" and " or ", " ("the Post and Courier of Charleston" would be read as a name "Courier"
of "Charleston"). A line with no " of " at all credits names without affiliation ("The
Associated Press contributed to this report."). Lines that are truly ambiguous, where
two readings re-render to the same line, get the shortest outlets: "A of the Post and
Courier and B of Y" is A (the Post); Courier and B (Y).

"Contributing: Lena Brooks, Coastal Ledger; Sam Whitfield" lists entries separated by
";", each "name, affiliation" split at the first comma; the affiliation may be left out,
and "A and B, X" credits both A and B to X.

This module is pure: text in, frozen dataclasses out. No database, no file I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from stories.content.credits import TAGLINE_SUFFIX, format_tagline
from stories.content.kinds import CreditRole, RevisionKind
from stories.content.text import clean_text

__all__ = [
    "HEADLINE_MAX_LENGTH",
    "ParsedCredit",
    "ParsedNote",
    "ParsedStory",
    "StoryFormatError",
    "decode_story_bytes",
    "parse_story",
]

HEADLINE_MAX_LENGTH = 200


class StoryFormatError(ValueError):
    """The text is not a story in the plain-text format; the message says why, in one line."""


@dataclass(frozen=True)
class ParsedCredit:
    name: str
    affiliation: str
    role: str = CreditRole.CONTRIBUTED.value


@dataclass(frozen=True)
class ParsedNote:
    kind: str
    text: str


@dataclass(frozen=True)
class ParsedStory:
    headline: str
    paragraphs: tuple[str, ...]
    credits: tuple[ParsedCredit, ...] = ()
    notes: tuple[ParsedNote, ...] = ()


# Control characters that do not occur in text files (tab, line feed, vertical tab, form
# feed and carriage return do). Their presence means binary data, not a story.
_BINARY_CHARACTER = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

_NOTE_LABEL = re.compile(
    r"(?P<label>correction|clarification|update|editor(?:['\u2019]s|s['\u2019]?)\s+note)"
    r"\s*:\s*(?P<text>.*)",
    re.IGNORECASE,
)
_NOTE_KINDS = {
    "correction": RevisionKind.CORRECTION.value,
    "clarification": RevisionKind.CLARIFICATION.value,
    "update": RevisionKind.UPDATE.value,
}
_PARENTHESISED_UPDATE = re.compile(
    r"\(\s*(?P<text>this\s+(?:story|article)\s+(?:has\s+been|was)\s+updated\b.*?)\s*\)",
    re.IGNORECASE,
)

# Matched against a line whose whitespace has been collapsed to single spaces.
_TAGLINE_END = re.compile(r"(?:^| )contributed (?:to this report|reporting)\.$", re.IGNORECASE)
_CONTRIBUTING = re.compile(r"contributing\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(r"(, ?and |,? and | ?, ?)")  # ", and " | " and " | ","
_OF = " of "
_DANGLING_WORDS = {"and", "of"}

# Above this many separators an outlet could run on over, readings are not searched (there
# are 2**n of them); the reading with the shortest outlets is used directly.
_MAX_SEARCHED_SEPARATORS = 12

_QUOTE_LIMIT = 80


class _Unreadable(Exception):
    """Internal: a foot line has the form of a tagline or note but cannot be read."""


def decode_story_bytes(data: bytes) -> str:
    """Decode a story file's bytes as UTF-8 (a leading byte-order mark is dropped)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StoryFormatError("not UTF-8 text (it looks like UTF-16; save it as UTF-8)")
    nul = data.find(b"\x00")
    if nul != -1:
        raise StoryFormatError(f"looks like a binary file (NUL byte at offset {nul})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StoryFormatError(f"not UTF-8 text (invalid byte at offset {error.start})") from None


def parse_story(text: str) -> ParsedStory:
    """Read a plain-text story: headline, body paragraphs, credits and notes."""
    lines = _split_lines(text)
    numbered = [(number, line.strip()) for number, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise StoryFormatError("the file is empty")

    _, headline = numbered[0]
    if len(headline) > HEADLINE_MAX_LENGTH:
        raise StoryFormatError(
            f"headline is {len(headline)} characters; the maximum is {HEADLINE_MAX_LENGTH}"
        )

    paragraphs: list[str] = []
    credits: list[ParsedCredit] = []
    notes: list[ParsedNote] = []
    for number, line in numbered[1:]:
        try:
            note = _read_note(line)
            if note is not None:
                notes.append(note)
                continue
            pairs = _read_tagline(line)
        except _Unreadable as problem:
            raise StoryFormatError(f"line {number}: {problem}") from None
        if pairs is not None:
            credits.extend(ParsedCredit(name, affiliation) for name, affiliation in pairs)
        else:
            paragraphs.append(line)

    if not paragraphs:
        raise StoryFormatError("the story has a headline but no body paragraphs")
    return ParsedStory(headline, tuple(paragraphs), tuple(credits), tuple(notes))


def _split_lines(text: str) -> list[str]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        found = _BINARY_CHARACTER.search(line)
        if found:
            character = found.group()
            what = "a NUL character" if character == "\x00" else f"U+{ord(character):04X}"
            raise StoryFormatError(f"line {number}: looks like a binary file (contains {what})")
    # A pasted line break (vertical tab, form feed) is a space; U+FFFE and U+FFFF go:
    # nothing XML cannot carry is imported (stories.content.text).
    return [clean_text(line) for line in lines]


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _quote(line: str) -> str:
    if len(line) > _QUOTE_LIMIT:
        line = line[: _QUOTE_LIMIT - 3] + "..."
    return f"'{line}'"


# Notes ---------------------------------------------------------------------------------


def _read_note(line: str) -> ParsedNote | None:
    """A note if the line has a note's form, else None."""
    found = _PARENTHESISED_UPDATE.fullmatch(line)
    if found:
        return ParsedNote(RevisionKind.UPDATE.value, found["text"])
    found = _NOTE_LABEL.match(line)
    if not found:
        return None
    label = found["label"]
    kind = _NOTE_KINDS.get(label.lower(), RevisionKind.EDITORS_NOTE.value)
    if not found["text"].strip():
        raise _Unreadable(f"the note {_quote(label + ':')} has no text after its label")
    return ParsedNote(kind, found["text"].strip())


# Taglines ------------------------------------------------------------------------------


def _read_tagline(line: str) -> list[tuple[str, str]] | None:
    """(name, affiliation) pairs if the line has a tagline's form, else None."""
    collapsed = _collapse(line)
    contributing = _CONTRIBUTING.match(collapsed)
    ending = _TAGLINE_END.search(collapsed)
    if not contributing and not ending:
        return None
    try:
        if contributing:
            return _read_contributing(collapsed[contributing.end() :])
        return _read_contributed(collapsed[: ending.start()].strip())
    except _Unreadable as problem:
        raise _Unreadable(f"cannot parse contributor tagline {_quote(line)} ({problem})") from None


def _read_contributing(entries: str) -> list[tuple[str, str]]:
    """ "Lena Brooks, Coastal Ledger; Sam Whitfield, Valley Courier; The Associated Press" """
    if not entries.strip():
        raise _Unreadable("no contributors listed")
    pairs = []
    for entry in entries.split(";"):
        names, comma, affiliation = entry.partition(",")
        names, affiliation = names.strip(), affiliation.strip()
        if not names:
            raise _Unreadable("an entry has no name" if entry.strip() else "an entry is empty")
        if comma and not affiliation:
            raise _Unreadable(f"no affiliation after the comma following {_quote(names)}")
        _check_words(affiliation, "affiliation")
        for name in re.split(r" and ", names):
            _check_words(name, "name")
            pairs.append((name, affiliation))
    return pairs


def _read_contributed(listed: str) -> list[tuple[str, str]]:
    """The list before "contributed to this report.", read as described in the module doc."""
    if not listed:
        raise _Unreadable("no names before 'contributed'")
    parts = _SEPARATOR.split(listed)
    segments, separators = parts[0::2], parts[1::2]
    groups = _choose_reading(listed, segments, separators)
    pairs = []
    for names, outlet in groups:
        _check_words(outlet, "affiliation")
        for name in names:
            _check_words(name, "name")
            pairs.append((name, outlet))
    return pairs


def _choose_reading(
    listed: str, segments: list[str], separators: list[str]
) -> list[tuple[list[str], str]]:
    with_outlet = [index for index, segment in enumerate(segments) if _OF in segment]
    if not with_outlet:
        return [(segments, "")]  # names without affiliation
    # Separator i stands between segments i and i + 1; only those after the first outlet
    # can be inside an outlet. Names after the last outlet always belong to it.
    shortest = frozenset(range(with_outlet[-1], len(separators)))
    optional = [
        index for index in range(with_outlet[0], len(separators)) if _OF not in segments[index + 1]
    ]
    if len(optional) <= _MAX_SEARCHED_SEPARATORS:
        expected = f"{listed} {TAGLINE_SUFFIX}"
        for count in range(len(optional) + 1):
            for inside in combinations(optional, count):
                groups = _read_groups(segments, separators, frozenset(inside))
                if groups is not None and _render(groups) == expected:
                    return groups
    return _read_groups(segments, separators, shortest)


def _read_groups(
    segments: list[str], separators: list[str], inside_outlet: frozenset[int]
) -> list[tuple[list[str], str]] | None:
    """Group the segments, continuing an outlet over the separators in ``inside_outlet``.

    None if the reading is impossible (a separator continues an outlet that has not
    started, or runs it on into a segment with " of ", which starts a group) or leaves
    names without an outlet after the last one.
    """
    groups: list[tuple[list[str], str]] = []
    names: list[str] = []
    outlet: str | None = None
    for index, segment in enumerate(segments):
        if index - 1 in inside_outlet:
            if outlet is None or _OF in segment:
                return None
            outlet += separators[index - 1] + segment
            continue
        if outlet is not None:
            groups.append((names, outlet))
            names, outlet = [], None
        name, of, rest = segment.partition(_OF)
        names.append(name)
        if of:
            outlet = rest
    if outlet is None:
        return None
    groups.append((names, outlet))
    return groups


def _render(groups: list[tuple[list[str], str]]) -> str:
    return format_tagline((name, outlet) for names, outlet in groups for name in names)


def _check_words(value: str, what: str) -> None:
    """Reject empty names and names or outlets cut off at a dangling "and" / "of"."""
    if what == "name" and not value:
        raise _Unreadable("a name is empty")
    words = value.split()
    if words and (words[0] in _DANGLING_WORDS or words[-1] in _DANGLING_WORDS):
        dangling = words[0] if words[0] in _DANGLING_WORDS else words[-1]
        raise _Unreadable(f"the {what} {_quote(value)} has a dangling '{dangling}'")
