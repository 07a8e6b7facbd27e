"""The plain-text story parser: samples, foot lines, errors and round-trip properties.

Pure tests: no database. The samples and their expectations live in fixtures/samples/
(copied verbatim from the shared samples, EXPECTED.md included).
"""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stories.content.credits import TAGLINE_SUFFIX, format_tagline, outlet_key
from stories.content.kinds import CreditRole, RevisionKind
from stories.interchange.plaintext import (
    HEADLINE_MAX_LENGTH,
    ParsedCredit,
    ParsedNote,
    ParsedStory,
    StoryFormatError,
    decode_story_bytes,
    parse_story,
)

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
CONTRIBUTED = CreditRole.CONTRIBUTED


def story_with_foot(*foot_lines: str) -> str:
    return "\n".join(["A headline", "", "The only paragraph.", *foot_lines]) + "\n"


def credit_pairs(story: ParsedStory) -> list[tuple[str, str]]:
    return [(credit.name, credit.affiliation) for credit in story.credits]


# The samples, as EXPECTED.md describes them ---------------------------------------------

EXPECTED = {
    "harbor-street-flooding.txt": {
        "headline": "Storm surge floods Harbor Street as council weighs a new sea wall",
        "paragraph_count": 8,
        "last_paragraph": (
            "As the Coastal Ledger reported last year, insurance claims from waterfront "
            "businesses have tripled since 2015."
        ),
        "credits": [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger")],
        "notes": [
            (
                RevisionKind.UPDATE,
                "This story has been updated to include comments from Council member Arturo Velez.",
            )
        ],
    },
    "library-expansion-budget.txt": {
        "headline": "Council approves budget for Eastside library expansion",
        "paragraph_count": 4,
        "last_paragraph": None,
        "credits": [("Lena Brooks", "Coastal Ledger"), ("Sam Whitfield", "Valley Courier")],
        "notes": [
            (
                RevisionKind.CORRECTION,
                "An earlier version of this story misstated the size of the children's wing. "
                "It is 4,000 square feet.",
            )
        ],
    },
    "ferry-schedule-change.txt": {
        "headline": "Island ferry cuts evening crossings for the winter",
        "paragraph_count": 4,
        "last_paragraph": None,
        "credits": [("Tomas Reyes", "the Island Gazette"), ("Ada Lindqvist", "the Coastal Ledger")],
        "notes": [
            (
                RevisionKind.CLARIFICATION,
                "This story has been updated to clarify that the water taxi would run only on "
                "weekends.",
            ),
            (
                RevisionKind.EDITORS_NOTE,
                "An earlier version of this story quoted a ferry employee who had not been "
                "authorized to speak to reporters; the quote has been removed.",
            ),
        ],
    },
}


def read_sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def test_every_sample_has_an_expectation():
    samples = {path.name for path in SAMPLES.glob("*.txt")}
    assert samples == set(EXPECTED)
    described = (SAMPLES / "EXPECTED.md").read_text(encoding="utf-8")
    for name in samples:
        assert f"## {name}" in described


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_as_expected(name):
    expected = EXPECTED[name]
    story = parse_story(read_sample(name))

    assert story.headline == expected["headline"]
    assert len(story.paragraphs) == expected["paragraph_count"]
    if expected["last_paragraph"] is not None:
        assert story.paragraphs[-1] == expected["last_paragraph"]
    assert credit_pairs(story) == expected["credits"]
    assert all(credit.role == CONTRIBUTED for credit in story.credits)
    assert [(note.kind, note.text) for note in story.notes] == expected["notes"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_foot_lines_are_not_body_text(name):
    story = parse_story(read_sample(name))
    for paragraph in story.paragraphs:
        assert "contributed to this report" not in paragraph
        assert not paragraph.startswith(("Contributing:", "Correction:", "Clarification:"))
        assert not paragraph.startswith(("Editor's note:", "(This story"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_tagline_round_trips_exactly(name):
    lines = read_sample(name).splitlines()
    taglines = [line for line in lines if line.endswith(TAGLINE_SUFFIX)]
    story = parse_story(read_sample(name))
    if not taglines:  # the "Contributing:" sample
        assert any(line.startswith("Contributing:") for line in lines)
        return
    (tagline,) = taglines
    assert format_tagline(credit_pairs(story)) == tagline


def test_sample_with_crlf_and_bom_parses_the_same():
    text = read_sample("harbor-street-flooding.txt")
    assert parse_story("\ufeff" + text.replace("\n", "\r\n")) == parse_story(text)
    assert parse_story(decode_story_bytes(b"\xef\xbb\xbf" + text.encode())) == parse_story(text)


def test_body_sentence_naming_an_outlet_is_body_text():
    story = parse_story(
        story_with_foot("As the Coastal Ledger reported last year, claims have tripled.")
    )
    assert story.paragraphs[-1] == "As the Coastal Ledger reported last year, claims have tripled."
    assert story.credits == ()


def test_blank_lines_and_surrounding_whitespace_are_dropped():
    story = parse_story("\n\n  Headline  \n\n  First.\n\n\nSecond.  \n   \n")
    assert story.headline == "Headline"
    assert story.paragraphs == ("First.", "Second.")


# Taglines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "pairs"),
    [
        ("Maria Ortiz of the Coastal Ledger contributed to this report.", [("Maria Ortiz", "the Coastal Ledger")]),
        (
            "Maria Ortiz, Dev Patel and Ines Marwood of the Coastal Ledger contributed to this report.",
            [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger"), ("Ines Marwood", "the Coastal Ledger")],
        ),
        (
            "Maria Ortiz and Dev Patel of the Coastal Ledger and Sam Whitfield of the Valley Courier contributed to this report.",
            [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger"), ("Sam Whitfield", "the Valley Courier")],
        ),
        (
            "Tomas Reyes of the Island Gazette, Ada Lindqvist of the Coastal Ledger and Sam Whitfield of Valley Courier contributed to this report.",
            [("Tomas Reyes", "the Island Gazette"), ("Ada Lindqvist", "the Coastal Ledger"), ("Sam Whitfield", "Valley Courier")],
        ),
        # An outlet with " of " in its name: names never contain " of ", so split at the first.
        ("Ana Ruiz of the Bank of England Gazette contributed to this report.", [("Ana Ruiz", "the Bank of England Gazette")]),
        # No outlet at all: names without affiliation.
        ("The Associated Press contributed to this report.", [("The Associated Press", "")]),
        ("Maria Ortiz and Dev Patel contributed to this report.", [("Maria Ortiz", ""), ("Dev Patel", "")]),
        # Synonym ending.
        ("Maria Ortiz of the Coastal Ledger contributed reporting.", [("Maria Ortiz", "the Coastal Ledger")]),
        # Not house style, still read: Oxford comma, stray whitespace.
        (
            "Maria Ortiz, Dev Patel, and Ines Marwood of the Coastal Ledger contributed to this report.",
            [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger"), ("Ines Marwood", "the Coastal Ledger")],
        ),
        (
            "  Maria   Ortiz  of the   Coastal\tLedger contributed  to this report. ",
            [("Maria Ortiz", "the Coastal Ledger")],
        ),
    ],
)  # fmt: skip
def test_contributed_taglines(line, pairs):
    story = parse_story(story_with_foot(line))
    assert credit_pairs(story) == pairs
    assert all(credit.role == CONTRIBUTED for credit in story.credits)
    assert story.paragraphs == ("The only paragraph.",)


@pytest.mark.parametrize(
    ("line", "pairs"),
    [
        # Last group: names after the last outlet belong to it (every group has an outlet).
        ("Ana Ruiz of the Times and Democrat contributed to this report.", [("Ana Ruiz", "the Times and Democrat")]),
        # Not last: the reading that re-renders to the line keeps the outlet whole
        # (reading "Courier" / "Oxford" as a name would need a different separator).
        (
            "Ana Ruiz of the Post and Courier, Bo Li of the Sun and Cy Oke of the Star contributed to this report.",
            [("Ana Ruiz", "the Post and Courier"), ("Bo Li", "the Sun"), ("Cy Oke", "the Star")],
        ),
        (
            "Ana Ruiz of Trinity College, Oxford and Bo Li of the Sun contributed to this report.",
            [("Ana Ruiz", "Trinity College, Oxford"), ("Bo Li", "the Sun")],
        ),
        # Truly ambiguous (both readings re-render to the line): shortest outlets win.
        (
            "Ana Ruiz of the Post and Courier and Bo Li of the Sun contributed to this report.",
            [("Ana Ruiz", "the Post"), ("Courier", "the Sun"), ("Bo Li", "the Sun")],
        ),
    ],
)  # fmt: skip
def test_outlets_containing_and_or_commas(line, pairs):
    story = parse_story(story_with_foot(line))
    assert credit_pairs(story) == pairs
    assert format_tagline(pairs) == line


@pytest.mark.parametrize("count", [3, 12, 13, 40])
def test_long_list_not_in_house_style_gets_the_shortest_outlets(count):
    names = [f"Reporter{chr(65 + i % 26)} Smith{i}" for i in range(count)]
    line = f"Ana Ruiz of the Post, {', '.join(names)}, and Bo Li of the Sun contributed reporting."
    pairs = credit_pairs(parse_story(story_with_foot(line)))
    assert pairs == [("Ana Ruiz", "the Post")] + [(name, "the Sun") for name in [*names, "Bo Li"]]


def test_contributing_line_with_and_without_affiliation():
    story = parse_story(
        story_with_foot("Contributing: Lena Brooks, Coastal Ledger; The Associated Press")
    )
    assert story.credits == (
        ParsedCredit("Lena Brooks", "Coastal Ledger", CONTRIBUTED),
        ParsedCredit("The Associated Press", "", CONTRIBUTED),
    )


def test_contributing_entry_with_several_names_and_messy_spacing():
    story = parse_story(
        story_with_foot(
            "contributing:  Lena Brooks and  Sam Whitfield ,  the Valley Courier ;Ada Li"
        )
    )
    assert credit_pairs(story) == [
        ("Lena Brooks", "the Valley Courier"),
        ("Sam Whitfield", "the Valley Courier"),
        ("Ada Li", ""),
    ]


def test_several_taglines_keep_their_order():
    story = parse_story(
        story_with_foot(
            "Maria Ortiz of the Coastal Ledger contributed to this report.",
            "Contributing: Lena Brooks, Valley Courier",
        )
    )
    assert credit_pairs(story) == [
        ("Maria Ortiz", "the Coastal Ledger"),
        ("Lena Brooks", "Valley Courier"),
    ]


# Notes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        ("(This story has been updated to add a map.)", RevisionKind.UPDATE, "This story has been updated to add a map."),
        ("Update: Council member Velez has responded.", RevisionKind.UPDATE, "Council member Velez has responded."),
        ("Correction: The vote was 7-2, not 6-3.", RevisionKind.CORRECTION, "The vote was 7-2, not 6-3."),
        ("Clarification: The wall would be 1.2 miles long.", RevisionKind.CLARIFICATION, "The wall would be 1.2 miles long."),
        ("Editor's note: The quote was removed.", RevisionKind.EDITORS_NOTE, "The quote was removed."),
        ("Editor\u2019s note: The quote was removed.", RevisionKind.EDITORS_NOTE, "The quote was removed."),
        ("EDITOR'S NOTE: The quote was removed.", RevisionKind.EDITORS_NOTE, "The quote was removed."),
        ("correction:   Spacing is trimmed.  ", RevisionKind.CORRECTION, "Spacing is trimmed."),
        # The label decides the kind, not the words after it.
        ("Correction: This story has been updated to fix a name.", RevisionKind.CORRECTION, "This story has been updated to fix a name."),
    ],
)  # fmt: skip
def test_notes(line, kind, text):
    story = parse_story(story_with_foot(line))
    assert story.notes == (ParsedNote(kind, text),)
    assert story.paragraphs == ("The only paragraph.",)


def test_foot_lines_are_recognised_anywhere_after_the_headline():
    text = "\n".join(
        [
            "Headline",
            "Correction: A name was misspelled.",
            "First paragraph.",
            "Maria Ortiz of the Coastal Ledger contributed to this report.",
            "Second paragraph.",
            "(This story has been updated.)",
        ]
    )
    story = parse_story(text)
    assert story.paragraphs == ("First paragraph.", "Second paragraph.")
    assert [note.kind for note in story.notes] == [RevisionKind.CORRECTION, RevisionKind.UPDATE]
    assert credit_pairs(story) == [("Maria Ortiz", "the Coastal Ledger")]


def test_a_headline_is_never_a_foot_line():
    story = parse_story("Correction: the headline\nBody.")
    assert story.headline == "Correction: the headline"
    assert story.notes == ()


# Errors -------------------------------------------------------------------------------


def assert_error(text: str, message: str):
    with pytest.raises(StoryFormatError) as caught:
        parse_story(text)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "\n\n \t\n", "\ufeff", "\r\n\r\n"])
def test_empty_text(text):
    assert_error(text, "the file is empty")


def test_binary_text():
    assert_error(
        "Headline\nBody\x00\x00", "line 2: looks like a binary file (contains a NUL character)"
    )
    assert_error("Headline\x01\nBody", "line 1: looks like a binary file (contains U+0001)")
    assert_error("Headline\nBody\x1b[0m", "line 2: looks like a binary file (contains U+001B)")


def test_text_controls_that_occur_in_text_files_are_allowed_and_line_breaks_normalised():
    """A vertical tab or form feed (Word's manual line break) is read as a space, and the
    noncharacters XML cannot carry are dropped: nothing a feed cannot carry is imported."""
    parsed = parse_story("Headline\tone\ufffe\nBody\x0cpage\x0b.\uffff\r\n")
    assert parsed.headline == "Headline\tone"
    assert parsed.paragraphs == ("Body page .",)


def test_headline_length():
    assert parse_story("x" * HEADLINE_MAX_LENGTH + "\nBody").headline == "x" * 200
    assert_error("x" * 312 + "\nBody", "headline is 312 characters; the maximum is 200")


def test_no_body_paragraphs():
    message = "the story has a headline but no body paragraphs"
    assert_error("Just a headline\n", message)
    assert_error(
        "Headline\n\nMaria Ortiz of the Coastal Ledger contributed to this report.\nCorrection: x",
        message,
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("contributed to this report.", "no names before 'contributed'"),
        ("of the Coastal Ledger contributed to this report.", "the name 'of the Coastal Ledger' has a dangling 'of'"),
        ("Maria Ortiz of contributed to this report.", "the name 'Maria Ortiz of' has a dangling 'of'"),
        ("Maria Ortiz and of the Coastal Ledger contributed to this report.", "the name 'of the Coastal Ledger' has a dangling 'of'"),
        ("Maria Ortiz, , Dev Patel of the Ledger contributed to this report.", "a name is empty"),
        ("Maria Ortiz of the Ledger and contributed to this report.", "the affiliation 'the Ledger and' has a dangling 'and'"),
        ("Contributing: ;", "an entry is empty"),
        ("Contributing:", "no contributors listed"),
        ("Contributing: Lena Brooks, Coastal Ledger;", "an entry is empty"),
        ("Contributing: , Coastal Ledger", "an entry has no name"),
        ("Contributing: Lena Brooks,", "no affiliation after the comma following 'Lena Brooks'"),
    ],
)  # fmt: skip
def test_unparseable_taglines(line, reason):
    assert_error(
        f"Headline\n\nBody.\n{line}",
        f"line 4: cannot parse contributor tagline '{line}' ({reason})",
    )


def test_long_unparseable_tagline_is_quoted_short():
    line = "Contributing: " + "Lena Brooks, Coastal Ledger; " * 5 + ";"
    with pytest.raises(
        StoryFormatError, match=r"^line 3: cannot parse contributor tagline"
    ) as caught:
        parse_story(f"Headline\nBody.\n{line}")
    assert "...'" in str(caught.value)
    assert len(str(caught.value)) < 160


def test_empty_note():
    assert_error(
        "Headline\nBody.\nCorrection:  ",
        "line 3: the note 'Correction:' has no text after its label",
    )


def test_story_format_error_is_a_value_error():
    assert issubclass(StoryFormatError, ValueError)


# Decoding -----------------------------------------------------------------------------


def test_decode_utf8_with_and_without_bom():
    assert decode_story_bytes("Café\n".encode()) == "Café\n"
    assert decode_story_bytes(b"\xef\xbb\xbfCaf\xc3\xa9") == "Café"


def test_decode_rejects_invalid_utf8_with_offset():
    with pytest.raises(StoryFormatError) as caught:
        decode_story_bytes(b"Headline\nCaf\xe9\n")
    assert str(caught.value) == "not UTF-8 text (invalid byte at offset 12)"


def test_decode_rejects_binary_and_utf16():
    with pytest.raises(StoryFormatError) as caught:
        decode_story_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert str(caught.value) == "looks like a binary file (NUL byte at offset 8)"
    with pytest.raises(StoryFormatError, match=r"^not UTF-8 text \(it looks like UTF-16"):
        decode_story_bytes("Headline".encode("utf-16"))


# Properties ---------------------------------------------------------------------------

# As many examples as the profile says (tests/conftest.py): 200 in CI, always the same
# ones; Hypothesis's default 100 locally, different ones on every run. Generating credit
# groups costs 10-20 ms an example, so a local run stops at 100 (a few seconds less
# each time), while the runs together still try far more than any fixed set.
PROPERTY_SETTINGS = settings(deadline=None)

_word = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
)
_name_word = st.one_of(
    _word,
    st.builds(lambda a, b: f"{a}-{b}", _word, _word),  # Lindqvist-Reyes
    st.builds(lambda w: f"O'{w}", _word),  # O'Brien
    st.builds(lambda w: f"{w}'s", _word),
)
names = st.lists(_name_word, min_size=1, max_size=3).map(" ".join)
outlets = st.builds(
    lambda the, words: the + " ".join(words),
    st.sampled_from(["", "the "]),
    st.lists(_word, min_size=1, max_size=3),
)


@st.composite
def credit_groups(draw, outlet_strategy=outlets):
    """(name, outlet) pairs, grouped so that neighbouring groups name different outlets.

    format_tagline merges neighbours from the same outlet under one spelling, so pairs
    that differ only in "the" or case between neighbours are not recoverable by design.
    """
    groups = draw(st.lists(st.lists(names, min_size=1, max_size=3), min_size=1, max_size=3))
    pairs, previous = [], None
    for members in groups:
        outlet = draw(outlet_strategy.filter(lambda o, taken=previous: outlet_key(o) != taken))
        previous = outlet_key(outlet)
        pairs.extend((name, outlet) for name in members)
    return pairs


@PROPERTY_SETTINGS
@given(credit_groups())
def test_format_tagline_round_trips_through_the_parser(pairs):
    tagline = format_tagline(pairs)
    story = parse_story(story_with_foot(tagline))
    assert credit_pairs(story) == pairs
    assert all(credit.role == CONTRIBUTED for credit in story.credits)
    assert story.paragraphs == ("The only paragraph.",)


@PROPERTY_SETTINGS
@given(credit_groups())
def test_contributing_line_round_trips_through_the_parser(pairs):
    line = "Contributing: " + "; ".join(f"{name}, {outlet}" for name, outlet in pairs)
    assert credit_pairs(parse_story(story_with_foot(line))) == pairs


_outlets_with_and = st.builds(
    lambda first, second: f"{first} and {second}", outlets, st.lists(_word, min_size=1, max_size=2).map(" ".join)
)  # fmt: skip


@PROPERTY_SETTINGS
@given(credit_groups(outlet_strategy=st.one_of(outlets, _outlets_with_and)))
def test_taglines_with_and_in_outlets_re_render_exactly(pairs):
    tagline = format_tagline(pairs)
    parsed = credit_pairs(parse_story(story_with_foot(tagline)))
    assert format_tagline(parsed) == tagline
    # Names after the last outlet belong to it, so the last outlet is always read whole.
    assert parsed[-1][1] == pairs[-1][1]


@PROPERTY_SETTINGS
@given(st.text())
def test_parse_story_returns_a_story_or_a_story_format_error(text):
    try:
        story = parse_story(text)
    except StoryFormatError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(story, ParsedStory)
        assert story.paragraphs
        assert len(story.headline) <= HEADLINE_MAX_LENGTH


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.one_of(
            st.text(),
            st.sampled_from(["contributed to this report.", "Contributing:", " of ", " and ", ", ", ";"]),
        ),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_parse_story_on_tagline_like_noise(text):
    try:
        story = parse_story("Headline\nBody\n" + text)
    except StoryFormatError:
        return
    assert story.paragraphs[0] == "Body"


@PROPERTY_SETTINGS
@given(st.binary())
def test_decode_story_bytes_returns_text_or_a_story_format_error(data):
    try:
        decoded = decode_story_bytes(data)
    except StoryFormatError:
        return
    assert isinstance(decoded, str)
