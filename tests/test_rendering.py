"""Markdown rendering and the escaping that keeps plain text plain."""

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from stories.content.rendering import escape_markdown, removed_on_publication, render_markdown


def visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def test_markdown_is_rendered_and_sanitised():
    rendered = render_markdown(
        "A *b* [link](https://example.org)\n\n<script>x()</script>[bad](javascript:x())"
    )
    assert "<em>b</em>" in rendered
    assert 'href="https://example.org"' in rendered
    assert "<script" not in rendered and "javascript:" not in rendered


def test_wire_copy_that_looks_like_markup_stays_text():
    lines = [
        "- five injured",
        "# 1 in the league",
        "1. First",
        "> quoted",
        "a *b* c_d_",
        "x <b>y</b>",
        "---",
    ]
    for line in lines:
        assert visible_text(render_markdown(escape_markdown(line))) == line
    assert escape_markdown("Ferry fares rise 5% from April.") == "Ferry fares rise 5% from April."


PLAIN_LINE = st.text(
    alphabet=st.sampled_from(list("abc XY19#>-+*_`[]()<>!&;.=\\")), min_size=1, max_size=40
).map(lambda text: " ".join(text.split()))


@given(PLAIN_LINE.filter(bool))
def test_escaped_plain_text_renders_as_itself(line):
    assert visible_text(render_markdown(escape_markdown(line))) == line


def test_a_line_of_equals_signs_is_not_a_heading_underline():
    assert render_markdown(escape_markdown("Vote count\n===")) == "<p>Vote count\n===</p>"
    assert visible_text(render_markdown(escape_markdown("="))) == "="


def test_text_that_looks_like_a_character_reference_stays_text():
    for line in ("AT&T", "&#1", "&copy 2024", "R&amp;D"):
        assert visible_text(render_markdown(escape_markdown(line))) == line


# -- what publishing leaves out, said before it does ------------------------------------------


def test_what_publication_removes_is_listed_in_words():
    body = (
        "Read [the statement](javascript:alert(1)) and the [report](https://example.org).\n\n"
        "<iframe src='https://video.example'>The video</iframe>\n\n"
        "<script>track()</script> <script>again()</script>\n\n"
        '<p onclick="steal()">Tap here.</p>\n\n'
        "![Harbor](https://example.org/harbor.jpg)"
    )

    assert removed_on_publication(body) == [
        "the link on “the statement” (a javascript: address): its text stays, unlinked",
        "a <iframe> element (the text inside it stays)",
        "a <script> element, with everything inside it (×2)",
        "the onclick attribute of a <p>",
        "a picture in the text (a story's picture is its lead image)",
    ]


def test_a_body_publication_keeps_whole_needs_no_warning():
    body = "Plain *text*, a [link](https://example.org), a [mail](mailto:desk@example.org).\n\n> A quote."

    assert removed_on_publication(body) == []


def test_the_rendered_body_has_typographic_quotes_the_markdown_keeps_straight_ones():
    text = "\"We put sandbags out at six,\" said Odile Fenn. It's the fish market's 'worst' night -- since 1990's...\n\nShe said `\"raw\"`."

    html = render_markdown(text)

    assert (
        "<p>“We put sandbags out at six,” said Odile Fenn. It’s the fish market’s ‘worst’" in html
    )
    # Dashes and ellipses stay as typed; code keeps its straight quotes.
    assert "night -- since 1990’s...</p>" in html
    assert '<code>"raw"</code>' in html
