"""Helpers for the reader-site tests: publishing stories and reading pages back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from django.test import TestCase

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from tests.factories import ContributorFactory, CreditFactory, StoryFactory, approved

#: Queries for a story page on a cold cache: the story's state (ETag / Last-Modified),
#: the story with its live revision, its notes, and the section links of the header.
STORY_PAGE_QUERIES = 4
#: The history page: state, story, one page of versions, sections (the number of
#: versions is the live one's: versions are numbered from 1 without gaps).
HISTORY_PAGE_QUERIES = 4

#: A fixed, distinct time for each publish in a test (publish's ``at``), never a frozen clock.
BASE_TIME = datetime(2025, 3, 4, 14, 30, tzinfo=UTC)


def at(hours: float) -> datetime:
    return BASE_TIME + timedelta(hours=hours)


def make_story(credits=(), **fields):
    """A draft with credits given as (name, role, affiliation) tuples, in order."""
    story = StoryFactory(**fields)
    for position, (name, role, affiliation) in enumerate(credits):
        CreditFactory(
            story=story,
            contributor=ContributorFactory(name=name, affiliation=affiliation),
            role=role,
            position=position,
        )
    return story


def publish(story, editor, *, when=None, kind=None, note="", reason="", **changes):
    """Apply ``changes`` to the working copy, save it, have a second editor approve that
    edit (the two-person rule, through the review service), and publish it.

    The test's transaction never commits, so the callbacks a commit would run (the
    reader cache's invalidation) are run here, as they would be in production.
    """
    for name, value in changes.items():
        setattr(story, name, value)
    if changes:
        story.save()
    if kind == RevisionKind.MINOR and not reason:
        reason = "Typo."
    approved(story)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return publishing.publish(
            story, user=editor, kind=kind, public_note=note, internal_reason=reason, at=when
        )


def published_story(editor, *, credits=None, when=None, **fields):
    credits = (
        [("Maria Ortiz", CreditRole.BYLINE, "")] if credits is None else credits
    )  # a staff byline by default
    story = make_story(credits, **fields)
    publish(story, editor, when=when or at(0))
    return story


class PageReader(HTMLParser):
    """Collects what the tests look at: h1s, <time> elements, JSON-LD, meta tags, landmarks."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.h1: list[str] = []
        self.headings: list[int] = []
        self.times: list[str] = []
        self.jsonld: list[str] = []
        self.meta: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self.html_lang = None
        self._stack: list[str] = []
        self._text: list[str] = []
        self._script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        if tag == "h1":
            self._stack.append("h1")
            self._text = []
        if tag == "time":
            self.times.append(attrs.get("datetime"))
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._script = []
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta[key] = attrs.get("content", "")

    def handle_endtag(self, tag):
        if tag == "h1" and self._stack:
            self._stack.pop()
            self.h1.append(" ".join("".join(self._text).split()))
        if tag == "script" and self._script is not None:
            self.jsonld.append("".join(self._script))
            self._script = None

    def handle_data(self, data):
        if self._stack:
            self._text.append(data)
        if self._script is not None:
            self._script.append(data)

    def json_ld(self) -> dict:
        assert len(self.jsonld) == 1, self.jsonld
        return json.loads(self.jsonld[0])

    def has(self, tag: str, **attrs) -> bool:
        return any(t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self.tags)


def read(response) -> PageReader:
    return PageReader(response.content.decode())


def text(response) -> str:
    """The page as text with tags kept (for substring checks), entities unescaped."""
    import html

    return html.unescape(response.content.decode())
