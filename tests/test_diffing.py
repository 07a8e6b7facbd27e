"""Word and paragraph diffs between two story snapshots (pure: no database)."""

import html
import re

from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from stories.content.diffing import (
    FieldDiff,
    ParagraphBlock,
    compare_snapshots,
    diff_body,
    split_paragraphs,
    word_diff_html,
)

SNAPSHOT = {
    "headline": "Storm closes coastal highway",
    "dek": "Crews expect the road to reopen Friday.",
    "byline": "By Maria Ortiz",
    "tagline": "Dev Patel of the Coastal Ledger contributed to this report.",
    "dateline": "PORT ELLIS",
    "section": "Local",
    "body": "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.",
    "image": "9f2c" * 16,
    "image_caption": "The highway at dawn.",
    "image_alt": "Water over a road.",
    "image_credit": "Ana Ruiz / Coastal Ledger",
}


def restore(markup: str, side: str) -> str:
    """The text one side of a word diff stands for: drop the other side's runs, unwrap."""
    drop, keep = ("del", "ins") if side == "new" else ("ins", "del")
    text = re.sub(rf"<{drop}>.*?</{drop}>", "", markup, flags=re.DOTALL)
    return html.unescape(text.replace(f"<{keep}>", "").replace(f"</{keep}>", ""))


def body(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def kinds(blocks: list[ParagraphBlock]) -> list[str]:
    return [block.kind for block in blocks]


def by_name(diffs: list[FieldDiff]) -> dict[str, FieldDiff]:
    return {diff.name: diff for diff in diffs}


# --- word_diff_html -------------------------------------------------------------------


def test_word_insert():
    assert word_diff_html("the cat sat", "the black cat sat") == "the <ins>black </ins>cat sat"


def test_word_delete():
    assert word_diff_html("the black cat sat", "the cat sat") == "the <del>black </del>cat sat"


def test_word_replace():
    assert word_diff_html("the cat sat", "the dog sat") == "the <del>cat</del><ins>dog</ins> sat"


def test_changed_figure_is_one_replaced_word():
    assert (
        word_diff_html("The mayor said 1,200 homes", "The mayor said 1,250 homes")
        == "The mayor said <del>1,200</del><ins>1,250</ins> homes"
    )


def test_words_are_never_cut_in_two():
    # diff-match-patch's character-level clean-up would give "The ca<del>t sa</del>...".
    assert (
        word_diff_html("The cat sat on a mat", "The cart sit on a mat")
        == "The <del>cat sat</del><ins>cart sit</ins> on a mat"
    )


def test_identical_text_is_plain_escaped_text():
    result = word_diff_html("Tom & Jerry", "Tom & Jerry")
    assert result == "Tom &amp; Jerry"
    assert isinstance(result, SafeString)


def test_empty_sides():
    assert word_diff_html("", "") == ""
    assert word_diff_html("", "New dek") == "<ins>New dek</ins>"
    assert word_diff_html("Old dek", "") == "<del>Old dek</del>"


def test_everything_is_escaped():
    result = word_diff_html("Safe <b>text</b>", 'Safe <script>alert("x")</script> & more')
    assert isinstance(result, SafeString)
    assert "<script>" not in result and "<b>" not in result
    assert "&lt;" in result and "script&gt;" in result and "&amp; more" in result
    # The only markup left is the diff's own.
    assert "<" not in re.sub(r"</?(ins|del)>", "", result)
    assert restore(result, "new") == 'Safe <script>alert("x")</script> & more'
    assert restore(result, "old") == "Safe <b>text</b>"


def test_text_that_looks_like_diff_markup_is_escaped_too():
    result = word_diff_html("a <del>b</del>", "a <ins>c</ins>")
    assert restore(result, "old") == "a <del>b</del>"
    assert restore(result, "new") == "a <ins>c</ins>"


TOKENS = [
    "the",
    "cat",
    "Cat",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    ",",
    ".",
    "'",
    "don't",
    "3.5",
    "1,200",
    "<",
    ">",
    "&",
    "&amp;",
    '"',
    "é",
    "e\u0301",
    "<del>",
    "</ins>",
    "\u00a0",
]
texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_word_diff_is_lossless(a, b):
    result = word_diff_html(a, b)
    assert restore(result, "new") == b
    assert restore(result, "old") == a
    assert "<del></del>" not in result and "<ins></ins>" not in result


# --- split_paragraphs -----------------------------------------------------------------


def test_split_paragraphs():
    source = "  One\r\nstill one.\r\n\r\n\r\nTwo. \n \t\nThree\n\n\n"
    assert split_paragraphs(source) == ["One\nstill one.", "Two.", "Three"]
    assert split_paragraphs("") == []
    assert split_paragraphs("\n\n  \n") == []


# --- diff_body ------------------------------------------------------------------------


def test_unchanged_body_is_one_collapsed_block():
    blocks = diff_body(body("A.", "B.", "C."), body("A.", "B.", "C."))
    assert blocks == [ParagraphBlock("collapsed", count=3)]


def test_line_endings_and_extra_blank_lines_are_not_changes():
    assert kinds(diff_body("A.\n\nB.", "A.\r\n\r\n\r\nB.\r\n")) == ["collapsed"]


def test_empty_bodies():
    assert diff_body("", "") == []
    assert kinds(diff_body("", body("A.", "B."))) == ["inserted", "inserted"]
    assert kinds(diff_body(body("A.", "B."), "")) == ["deleted", "deleted"]


def test_changed_paragraph_with_context_and_collapsed_runs():
    old = [f"Paragraph {n}." for n in range(1, 11)]
    new = list(old)
    new[4] = "Paragraph five, rewritten."  # the 5th of 10
    blocks = diff_body(body(*old), body(*new), context=1)
    assert kinds(blocks) == ["collapsed", "equal", "changed", "equal", "collapsed"]
    assert [b.count for b in blocks if b.kind == "collapsed"] == [3, 4]
    assert blocks[1].html == "Paragraph 4."
    assert blocks[2].html == "Paragraph <del>5</del><ins>five, rewritten</ins>."
    assert blocks[3].html == "Paragraph 6."


def test_context_size():
    old = [f"Paragraph {n}." for n in range(1, 11)]
    new = [*old[:4], "New paragraph.", *old[4:]]
    blocks = diff_body(body(*old), body(*new), context=2)
    assert kinds(blocks) == [
        "collapsed",
        "equal",
        "equal",
        "inserted",
        "equal",
        "equal",
        "collapsed",
    ]
    assert [b.count for b in blocks if b.kind == "collapsed"] == [2, 4]
    assert blocks[3].html == "<ins>New paragraph.</ins>"

    zero = diff_body(body(*old), body(*new), context=0)
    assert kinds(zero) == ["collapsed", "inserted", "collapsed"]
    assert [b.count for b in zero if b.kind == "collapsed"] == [4, 6]


def test_short_unchanged_run_between_changes_is_kept_whole():
    old = body("A.", "B.", "C.", "D.", "E.")
    new = body("A!", "B.", "C.", "D!", "E.")
    assert kinds(diff_body(old, new, context=1)) == [
        "changed",
        "equal",
        "equal",
        "changed",
        "equal",
    ]
    # With no context the two unchanged paragraphs in between collapse.
    blocks = diff_body(old, new, context=0)
    assert kinds(blocks) == ["changed", "collapsed", "changed", "collapsed"]
    assert [b.count for b in blocks if b.kind == "collapsed"] == [2, 1]


def test_moved_paragraph_is_deleted_then_inserted():
    old = body("Alpha.", "Bravo.", "Charlie.", "Delta.", "Echo.")
    new = body("Bravo.", "Charlie.", "Delta.", "Alpha.", "Echo.")
    blocks = diff_body(old, new, context=5)
    assert [(b.kind, b.html) for b in blocks] == [
        ("deleted", "<del>Alpha.</del>"),
        ("equal", "Bravo."),
        ("equal", "Charlie."),
        ("equal", "Delta."),
        ("inserted", "<ins>Alpha.</ins>"),
        ("equal", "Echo."),
    ]


def test_moved_paragraph_is_not_paired_with_an_edited_neighbour():
    old = body("Moved.", "Kept as is.", "Old wording here.", "End.")
    new = body("Kept as is.", "Moved.", "New wording here.", "End.")
    blocks = diff_body(old, new, context=5)
    changed = [b.html for b in blocks if b.kind == "changed"]
    assert changed == ["<del>Old</del><ins>New</ins> wording here."]
    assert ("deleted", "<del>Moved.</del>") in [(b.kind, b.html) for b in blocks]
    assert ("inserted", "<ins>Moved.</ins>") in [(b.kind, b.html) for b in blocks]


def test_replaced_run_pairs_in_order_and_leftovers_stay_inserted():
    old = body("Intro.", "One fish.", "Two fish.", "Outro.")
    new = body("Intro.", "One dog.", "Two dogs.", "Three dogs.", "Outro.")
    blocks = diff_body(old, new, context=1)
    assert [(b.kind, b.html) for b in blocks] == [
        ("equal", "Intro."),
        ("changed", "One <del>fish</del><ins>dog</ins>."),
        ("changed", "Two <del>fish</del><ins>dogs</ins>."),
        ("inserted", "<ins>Three dogs.</ins>"),
        ("equal", "Outro."),
    ]


def test_added_paragraph_among_edited_ones_does_not_shift_the_pairing():
    # Every paragraph is edited and one is added in the middle: each edited paragraph
    # must be paired with its own old version, not with its old neighbour.
    old = [f"Paragraph {n} tells part {n} of the long story." for n in range(1, 7)]
    new = [text.replace("tells", "told") for text in old]
    new.insert(2, "A brand new paragraph about something else entirely.")
    blocks = diff_body(body(*old), body(*new), context=1)
    assert kinds(blocks) == [
        "changed",
        "changed",
        "inserted",
        "changed",
        "changed",
        "changed",
        "changed",
    ]
    changed = [b.html for b in blocks if b.kind == "changed"]
    assert changed == [
        f"Paragraph {n} <del>tells</del><ins>told</ins> part {n} of the long story."
        for n in range(1, 7)
    ]


def test_removed_paragraph_among_edited_ones_does_not_shift_the_pairing():
    old = [f"Paragraph {n} tells part {n} of the long story." for n in range(1, 6)]
    new = [text.replace("long", "short") for text in old]
    del new[1]
    blocks = diff_body(body(*old), body(*new), context=1)
    assert [(b.kind, restore(b.html, "old")) for b in blocks] == [
        ("changed", old[0]),
        ("deleted", old[1]),
        ("changed", old[2]),
        ("changed", old[3]),
        ("changed", old[4]),
    ]


def test_edited_and_moved_paragraph_is_deleted_then_inserted():
    old = [f"Paragraph {n} tells part {n} of the long story." for n in range(1, 6)]
    new = [text.replace("tells", "told") for text in old]
    new.insert(3, new.pop(0))  # the first paragraph, edited, now comes fourth
    blocks = diff_body(body(*old), body(*new), context=1)
    assert kinds(blocks) == ["deleted", "changed", "changed", "changed", "inserted", "changed"]
    assert restore(blocks[0].html, "old") == old[0]
    assert restore(blocks[4].html, "new") == new[3]


def test_body_html_is_escaped():
    blocks = diff_body(body("<script>x()</script>", "Same."), body("<b>bold</b>", "Same."))
    assert all("<script>" not in b.html and "<b>" not in b.html for b in blocks)
    assert blocks[0].kind == "changed"


PARAGRAPHS = ["Alpha beta.", "Alpha gamma.", "Gamma <delta> & co.", "Epsilon.", "Zeta eta theta."]
bodies = st.lists(st.sampled_from(PARAGRAPHS), max_size=12).map("\n\n".join)


@settings(max_examples=200, deadline=None)
@given(bodies, bodies, st.integers(min_value=0, max_value=3))
def test_body_blocks_account_for_every_paragraph(old, new, context):
    old_ps, new_ps = split_paragraphs(old), split_paragraphs(new)
    blocks = diff_body(old, new, context=context)
    everything = diff_body(old, new, context=len(old_ps) + len(new_ps))
    if old_ps == new_ps:
        assert blocks == ([ParagraphBlock("collapsed", count=len(old_ps))] if old_ps else [])
        return
    # With enough context nothing is hidden and both versions can be read back in order.
    assert "collapsed" not in kinds(everything)
    new_side = [restore(b.html, "new") for b in everything if b.kind != "deleted"]
    old_side = [restore(b.html, "old") for b in everything if b.kind != "inserted"]
    assert new_side == new_ps
    assert old_side == old_ps
    # Less context hides unchanged paragraphs only, and counts every one it hides.
    changes = [b for b in everything if b.kind != "equal"]
    assert [b for b in blocks if b.kind not in ("equal", "collapsed")] == changes
    unchanged = len(everything) - len(changes)
    shown = sum(1 for b in blocks if b.kind == "equal")
    assert shown + sum(b.count for b in blocks if b.kind == "collapsed") == unchanged
    assert all(b.count >= 1 for b in blocks)
    assert "collapsed collapsed" not in " ".join(kinds(blocks))


# --- compare_snapshots ----------------------------------------------------------------


def test_field_order_and_labels():
    diffs = compare_snapshots(SNAPSHOT, SNAPSHOT)
    assert [(d.name, d.label) for d in diffs] == [
        ("headline", "Headline"),
        ("dek", "Summary"),
        ("credits", "Credits"),
        ("dateline", "Dateline"),
        ("section", "Section"),
        ("image", "Photo"),
        ("image_caption", "Photo caption"),
        ("image_alt", "Photo alt text"),
        ("image_credit", "Photo credit"),
        ("body", "Body"),
    ]


def test_identical_snapshots_have_no_changes():
    diffs = compare_snapshots(SNAPSHOT, dict(SNAPSHOT))
    assert not diffs.has_changes and diffs.changed == []
    assert not any(d.changed for d in diffs)
    assert by_name(diffs)["body"].blocks == [ParagraphBlock("collapsed", count=3)]


def test_headline_only_change():
    new = {**SNAPSHOT, "headline": "Storm closes coastal highway for a week"}
    diffs = by_name(compare_snapshots(SNAPSHOT, new))
    assert [name for name, d in diffs.items() if d.changed] == ["headline"]
    assert diffs["headline"].html == "Storm closes coastal highway<ins> for a week</ins>"
    assert diffs["body"].blocks == [ParagraphBlock("collapsed", count=3)]
    assert diffs["dek"].html == "Crews expect the road to reopen Friday."
    assert any(diff.changed for diff in diffs.values())


def test_credits_compare_byline_and_tagline_together():
    new = {**SNAPSHOT, "byline": "By Maria Ortiz and Dev Patel", "tagline": ""}
    credits = by_name(compare_snapshots(SNAPSHOT, new))["credits"]
    assert credits.changed
    assert restore(credits.html, "old") == f"{SNAPSHOT['byline']}\n{SNAPSHOT['tagline']}"
    assert restore(credits.html, "new") == "By Maria Ortiz and Dev Patel"


def test_body_change_is_reported_on_body_only():
    new = {
        **SNAPSHOT,
        "body": "First paragraph.\n\nSecond paragraph, corrected.\n\nThird paragraph.",
    }
    diffs = by_name(compare_snapshots(SNAPSHOT, new))
    assert [name for name, d in diffs.items() if d.changed] == ["body"]
    assert kinds(diffs["body"].blocks) == ["equal", "changed", "equal"]
    assert diffs["body"].blocks[1].html == "Second paragraph<ins>, corrected</ins>."


def test_missing_keys_and_empty_snapshots():
    assert not compare_snapshots({}, {}).has_changes
    assert all(d.html == "" and d.blocks == [] for d in compare_snapshots({}, {}))
    assert not compare_snapshots({"headline": "H"}, {"headline": "H", "dek": ""}).has_changes
    diffs = by_name(compare_snapshots({}, SNAPSHOT))
    assert all(d.changed for d in diffs.values())
    assert diffs["section"].html == "<ins>Local</ins>"
    assert kinds(diffs["body"].blocks) == ["inserted"] * 3


# --- the template partial -------------------------------------------------------------


def render_partial(old, new) -> str:
    from django.template.loader import render_to_string

    return render_to_string("includes/diff.html", {"diffs": compare_snapshots(old, new)})


def test_partial_shows_changed_fields_escaped_and_collapsed_counts():
    paragraphs = [f"Paragraph {n}." for n in range(1, 9)]
    new_paragraphs = [*paragraphs[:3], "Paragraph <script>alert(1)</script>.", *paragraphs[4:]]
    old = {**SNAPSHOT, "body": body(*paragraphs)}
    new = {**old, "headline": "Storm <em>closes</em> highway", "body": body(*new_paragraphs)}
    page = render_partial(old, new)
    assert "<script>" not in page and "<em>" not in page
    assert "&lt;script&gt;" in page and "&lt;em&gt;" in page
    assert "Headline" in page and "Body" in page
    assert "2 unchanged paragraphs" in page and "3 unchanged paragraphs" in page
    assert "No differences." not in page


def test_partial_says_no_differences():
    page = render_partial(SNAPSHOT, SNAPSHOT)
    assert "No differences." in page
    assert "<ins>" not in page and "<del>" not in page
