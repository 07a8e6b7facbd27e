"""Markdown to sanitised HTML: the only way body text reaches a page.

Markdown lets editors write raw HTML; nh3 (the Ammonia sanitiser) then keeps only the
tags a news story needs, so nothing an editor pastes can run script on a reader page.
"""

import re
from html.parser import HTMLParser

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "blockquote", "ul", "ol", "li",
    "strong", "em", "b", "i", "code", "pre", "a", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
#: Elements the sanitiser drops with everything inside them (nh3's clean_content_tags).
DROPPED_WITH_CONTENT = {"script", "style"}


#: Python-Markdown's extensions: lists as editors mean them, and typographic quotes
#: ("smarty", quotes only: dashes and ellipses stay as typed). Editors type straight
#: quotes and keep them in the stored Markdown; readers get “curly” ones and apostrophes.
EXTENSIONS = ["sane_lists", "smarty"]
EXTENSION_CONFIGS = {
    "smarty": {"smart_dashes": False, "smart_ellipses": False, "smart_angled_quotes": False}
}


def _markdown_html(text: str) -> str:
    return markdown.markdown(
        text or "",
        extensions=EXTENSIONS,
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )


def render_markdown(text: str) -> str:
    html = _markdown_html(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _scheme(address: str | None) -> str:
    """An address's scheme, lower case ("" for a relative address)."""
    found = _SCHEME.match(address or "")
    return found.group(1).lower() if found else ""


class _Removals(HTMLParser):
    """Walks the HTML that Markdown makes of a body, before sanitising, and notes what
    ``render_markdown`` will leave out of it, in words an editor reads."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: dict[str, int] = {}
        self.link: tuple[str, list[str]] | None = None  # a dead link's address and text

    def note(self, what: str) -> None:
        self.found[what] = self.found.get(what, 0) + 1

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            if tag == "img":
                self.note("a picture in the text (a story's picture is its lead image)")
            elif tag in DROPPED_WITH_CONTENT:
                self.note(f"a <{tag}> element, with everything inside it")
            else:
                self.note(f"a <{tag}> element (the text inside it stays)")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.note(f"the {name} attribute of a <{tag}>")
            elif name == "href" and (scheme := _scheme(value)) and scheme not in URL_SCHEMES:
                self.link = (f"{scheme}:", [])

    def handle_data(self, data):
        if self.link is not None:
            self.link[1].append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self.link is not None:
            scheme, text = self.link
            words = " ".join("".join(text).split()) or "(no text)"
            self.note(f"the link on “{words}” (a {scheme} address): its text stays, unlinked")
            self.link = None


def removed_on_publication(text: str) -> list[str]:
    """What publishing will leave out of a body's Markdown (the stored text keeps it):
    elements and attributes the sanitiser does not allow, and links whose address is
    not a web or mail address. Editors are told when they save, not surprised later."""
    parser = _Removals()
    parser.feed(_markdown_html(text))
    parser.close()
    return [what if count == 1 else f"{what} (×{count})" for what, count in parser.found.items()]


#: Characters that start Markdown emphasis, code or links anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]])")
#: An ampersand that a browser could read as the start of a character reference.
_AMPERSAND = re.compile(r"&(?=[#A-Za-z])")
#: Line starts that Markdown reads as a heading, quote, list item or rule.
_BLOCK_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s|$)|\d+(?=[.)](?:\s|$))|=+\s*$|-+\s*$)")


def escape_markdown(text: str) -> str:
    """Plain text (wire copy, imports) as Markdown that renders as exactly that text.

    Escapes only what Markdown or HTML would otherwise read as markup, so the stored
    source stays readable for editors: inline markers get a backslash; "<" becomes "&lt;"
    (Markdown would pass it on as raw HTML, which the sanitiser then drops); "&" before a
    letter or "#" becomes "&amp;" (a browser would read "&#1" or "&copy" as a character);
    and a line that would start a heading, quote, list or rule has that marker escaped.
    """
    text = _AMPERSAND.sub("&amp;", text)
    text = _INLINE.sub(r"\\\1", text).replace("<", "&lt;")
    return "\n".join(_BLOCK_START.sub(_escape_block_start, line) for line in text.split("\n"))


def _escape_block_start(match: re.Match) -> str:
    indent, marker = match.group(1), match.group(2)
    # "1." is escaped after the number ("1\."); "=" has no backslash escape in Markdown,
    # so its first character becomes an entity; every other marker gets a backslash.
    if marker[0].isdigit():
        return f"{indent}{marker}\\"
    if marker[0] == "=":
        return f"{indent}&#61;{marker[1:]}"
    return f"{indent}\\{marker}"


#: Elements after which the text of sanitised HTML breaks (paragraphs, items, lines).
_BLOCKS = {"p", "br", "hr", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "pre"}


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self.parts.append("\n")


def html_text(html: str) -> str:
    """The text a reader sees in sanitised body HTML, one paragraph per line: what search
    snippets are cut from (stored once per revision, never recomputed per query)."""
    parser = _TextOf()
    parser.feed(html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
