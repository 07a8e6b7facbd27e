"""Markdown to sanitised HTML: the only way body text reaches a page.

Markdown lets editors write raw HTML; nh3 (the Ammonia sanitiser) then keeps only the
tags a news story needs, so nothing an editor pastes can run script on a reader page.
"""

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "blockquote", "ul", "ol", "li",
    "strong", "em", "b", "i", "code", "pre", "a", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


#: Characters that start Markdown emphasis, code or links anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]])")
#: Line starts that Markdown reads as a heading, quote, list item or rule.
_BLOCK_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s|$)|\d+(?=[.)](?:\s|$))|=+\s*$|-+\s*$)")


def escape_markdown(text: str) -> str:
    """Plain text (wire copy, imports) as Markdown that renders as exactly that text.

    Escapes only what Markdown would otherwise read as markup, so the stored source stays
    readable for editors: inline markers get a backslash, "<" becomes "&lt;" (Markdown
    would pass it on as raw HTML, which the sanitiser then drops), and a line that would
    start a heading, quote, list or rule gets its first character escaped.
    """
    text = _INLINE.sub(r"\\\1", text).replace("<", "&lt;")
    return "\n".join(_BLOCK_START.sub(_escape_block_start, line) for line in text.split("\n"))


def _escape_block_start(match: re.Match) -> str:
    indent, marker = match.group(1), match.group(2)
    # "1." is escaped after the number ("1\."), every other marker before itself.
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"
