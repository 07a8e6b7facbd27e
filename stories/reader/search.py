"""Full-text search over what readers can see: the live version of every live story.

Only published revisions are searched, and of each story only its latest one
(``Revision.objects.live()``), so a draft, an unpublished edit of the working copy, an
earlier version's wording or a withdrawn story can never be found. The view
(``views.search_page``) is a thin wrapper over ``search()``.

On PostgreSQL each revision carries a stored ``tsvector`` of its headline (weight A),
dek (B) and body (C), computed once when it is written, with a GIN index (migration
``0003_revision_search_index``): queries match and rank on it with ``ts_rank`` and
highlight the page's hits with ``ts_headline``. Elsewhere (SQLite on a laptop) every
word of the query must appear in one of those fields; results come newest first, with a
snippet around the first hit.

Snippets are cut from ``Revision.body_text``, the plain text of the sanitised body stored
when the version was published, and from its first ``SNIPPET_SOURCE_CHARS`` characters
only: no Markdown is stripped at query time and ``ts_headline`` never reads a whole long
body, so the cost of a search does not grow with the length of the stories it finds.
Uncached searches are rate-limited per client (``views.search_page``).

Highlighting: the database (or this module) marks hits with two Unicode noncharacters,
the text is escaped, and only then are the marks turned into ``<mark>`` tags, so the
highlight tags are the only HTML a result can contain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left
from django.http import Http404
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from stories.models import Revision

from .pages import CARD_FIELDS, Listing, StoryCard, story_card

#: Longest query searched; longer ones are cut (at a word) and the reader told so.
MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 10
#: PostgreSQL text search configuration (stemming, stop words) of queries and highlights.
#: The stored documents are built with it too: changing it needs a migration.
SEARCH_CONFIG = "english"
#: The SQLite fallback matches at most this many words (each one is a LIKE scan).
MAX_FALLBACK_TERMS = 10
#: Characters of body text shown around the first hit by the fallback.
SNIPPET_LENGTH = 240
#: Characters of a body's text that snippets are cut from (ts_headline's input).
SNIPPET_SOURCE_CHARS = 4000

_START, _STOP = "\ufdd0", "\ufdd1"
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)


@dataclass
class SearchResults:
    """What the search page shows: the query as searched, messages for the reader, and
    one page of hits (``listing`` is ``None`` when nothing was searched)."""

    query: str
    messages: list[str] = field(default_factory=list)
    listing: Listing | None = None

    @property
    def hits(self) -> list[StoryCard]:
        return self.listing.cards if self.listing is not None else []

    @property
    def total(self) -> int:
        return self.listing.count if self.listing is not None else 0


# -- the query -------------------------------------------------------------------------


def clean_query(raw: str) -> tuple[str, list[str]]:
    """The query as it will be searched, and what to tell the reader about it.

    Control characters (which PostgreSQL refuses in text) are dropped, whitespace is
    collapsed, and a query longer than ``MAX_QUERY_LENGTH`` is cut at a word.
    """
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = " ".join(text.split())
    messages = []
    if len(text) > MAX_QUERY_LENGTH:
        cut = text[: MAX_QUERY_LENGTH + 1]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut[:MAX_QUERY_LENGTH]
        text = text.strip()
        messages.append(
            f"Searches are limited to {MAX_QUERY_LENGTH} characters; "
            f"this one was shortened to “{text}”."
        )
    if text and not re.search(r"\w", text):
        messages.append(f"“{text}” has no letters or numbers to search for.")
        text = ""
    return text, messages


def search(raw_query: str, page_number: int = 1) -> SearchResults:
    """Search the live stories, one page of results at a time.

    Page 1 always exists: the results, or a message that nothing matched, or (when
    there is nothing to search for) the empty form. A later page exists only while there
    are results to fill it, so any other page number is ``Http404``: the same answer for
    ``?q=&page=9`` as for ``?q=ferry&page=9`` when "ferry" has fewer pages, and a stale
    or made-up link never shows a blank page as if it were a page of results.
    """
    text, messages = clean_query(raw_query)
    results = SearchResults(query=text, messages=messages)
    if not text:
        if page_number != 1:
            raise _no_such_page(page_number)
        if not messages:
            results.messages.append("Type a word or a phrase to search the published stories.")
        return results
    live = Revision.objects.live()
    if connections[live.db].vendor == "postgresql":
        ranked, highlight = _postgres_search(live, text)
    else:
        ranked, highlight = _fallback_search(live, text)
    try:
        page = Paginator(ranked, RESULTS_PER_PAGE).page(page_number)
    except InvalidPage:
        raise _no_such_page(page_number) from None
    results.listing = Listing.of(
        page,
        highlight(list(page.object_list)),
        path=reverse("reader:search"),
        filters=(("q", text),),
    )
    if not results.total:
        results.messages.append(f"No published story matches “{text}”.")
    return results


def _no_such_page(page_number: int) -> Http404:
    return Http404(f"There is no page {page_number} of results for this search.")


_HIT_FIELDS = ("pk", *CARD_FIELDS, "body_text")
_NEWEST_FIRST = (F("story__updated_at").desc(nulls_last=True), "-pk")


# -- PostgreSQL ------------------------------------------------------------------------


def search_document():
    """The revision's stored, weighted search document (PostgreSQL only).

    The generated column is created by a migration outside the model state (SQLite has
    no tsvector), so the ORM reaches it as raw SQL. Storing it, rather than indexing an
    expression, means ranking and counting never re-parse a story's text: with an
    expression index, every matching row's text was parsed again for ``ts_rank``.
    """
    return RawSQL('"stories_revision"."search_document"', [], output_field=SearchVectorField())


def _postgres_search(live, text: str):
    # websearch syntax accepts anything a reader types ("quoted phrases", or, -word)
    # without raising a syntax error.
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    ranked = (
        live.annotate(document=search_document(), rank=SearchRank(search_document(), query))
        .filter(document=query)
        .order_by("-rank", *_NEWEST_FIRST)
        .values_list("pk", flat=True)
    )

    def highlight(ids: list[int]) -> list[StoryCard]:
        # ts_headline is costly: run it for this page's rows only, in a second query.
        marks = {"start_sel": _START, "stop_sel": _STOP, "config": SEARCH_CONFIG}
        rows = Revision.objects.filter(pk__in=ids).annotate(
            headline_marked=SearchHeadline("headline", query, highlight_all=True, **marks),
            dek_marked=SearchHeadline("dek", query, highlight_all=True, **marks),
            snippet_marked=SearchHeadline(
                Left("body_text", SNIPPET_SOURCE_CHARS),
                query,
                min_words=15,
                max_words=35,
                max_fragments=2,
                fragment_delimiter=" … ",
                **marks,
            ),
        )
        by_id = {
            row["pk"]: row
            for row in rows.values(*_HIT_FIELDS, "headline_marked", "dek_marked", "snippet_marked")
        }
        return [
            _hit(
                by_id[pk],
                headline=by_id[pk]["headline_marked"],
                dek=by_id[pk]["dek_marked"],
                snippet=_with_ellipses(by_id[pk]["snippet_marked"], by_id[pk]["body_text"]),
            )
            for pk in ids
            if pk in by_id
        ]

    return ranked, highlight


def _with_ellipses(snippet: str, body_text: str) -> str:
    """Mark a ``ts_headline`` excerpt that starts after the body's start or ends before
    its end, as the fallback's snippets are (comparing only the ends of the text)."""
    snippet = " ".join(snippet.split())
    fragments = [_words(fragment) for fragment in _unmarked(snippet).split(" … ")]
    if not fragments[0]:
        return snippet
    head = _words(body_text[: 2 * len(fragments[0]) + 64])
    tail = _words(body_text[-(2 * len(fragments[-1]) + 64) :])
    prefix = "" if head.startswith(fragments[0]) else "… "
    suffix = "" if tail.endswith(fragments[-1]) else " …"
    return prefix + snippet + suffix


def _words(text: str) -> str:
    """Text with its whitespace collapsed and no punctuation at either end."""
    return re.sub(r"^\W+|\W+$", "", " ".join(text.split()))


# -- the fallback (SQLite) -------------------------------------------------------------


def query_terms(text: str) -> list[str]:
    """The distinct words of a query, in order, at most ``MAX_FALLBACK_TERMS``."""
    terms = []
    for word in re.findall(r"\w+", text):
        if word.casefold() not in (term.casefold() for term in terms):
            terms.append(word)
    return terms[:MAX_FALLBACK_TERMS]


def _fallback_search(live, text: str):
    terms = query_terms(text)
    matching = live
    for term in terms:
        matching = matching.filter(
            Q(headline__icontains=term) | Q(dek__icontains=term) | Q(body__icontains=term)
        )
    ranked = matching.order_by(*_NEWEST_FIRST).values(*_HIT_FIELDS)
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)

    def highlight(rows: list[dict]) -> list[StoryCard]:
        return [
            _hit(
                row,
                headline=_mark(pattern, row["headline"]),
                dek=_mark(pattern, row["dek"]),
                snippet=_mark(pattern, snippet_around_first_hit(pattern, row["body_text"])),
            )
            for row in rows
        ]

    return ranked, highlight


def snippet_around_first_hit(pattern: re.Pattern, body_text: str) -> str:
    """About ``SNIPPET_LENGTH`` characters of the body's text around the first hit within
    its first ``SNIPPET_SOURCE_CHARS`` (the opening when only the headline or dek
    matched), cut at words, with ellipses."""
    whole = " ".join((body_text or "").split())
    text = whole[:SNIPPET_SOURCE_CHARS]
    found = pattern.search(text)
    start = max(0, found.start() - SNIPPET_LENGTH // 3) if found else 0
    end = min(len(text), start + SNIPPET_LENGTH)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (found.start() if found else end) else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    snippet = text[start:end].strip()
    return ("… " if start > 0 else "") + snippet + (" …" if end < len(whole) else "")


def _mark(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda match: f"{_START}{match.group(0)}{_STOP}", _unmarked(text or ""))


# -- results ---------------------------------------------------------------------------


def marked_html(text: str) -> SafeString:
    """Escape ``text`` and turn its hit marks into ``<mark>`` tags (the only HTML)."""
    parts = []
    position = 0
    for match in _MARKED.finditer(text or ""):
        parts.append(escape(_unmarked(text[position : match.start()])))
        inner = _unmarked(match.group(1))
        if inner:
            parts.append(f"<mark>{escape(inner)}</mark>")
        position = match.end()
    parts.append(escape(_unmarked((text or "")[position:])))
    return mark_safe("".join(parts))


def _unmarked(text: str) -> str:
    return text.replace(_START, "").replace(_STOP, "")


def _hit(row: dict, *, headline: str, dek: str, snippet: str) -> StoryCard:
    """A result is a story card whose headline, dek and snippet mark the hits."""
    return story_card(
        row, headline=marked_html(headline), dek=marked_html(dek), snippet=marked_html(snippet)
    )
