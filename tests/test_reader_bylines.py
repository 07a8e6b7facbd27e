"""What readers are shown of a version's credits is what its hash covers: the byline and
tagline stored with the version, links laid over the names, never lines written again
from the credits (which would change every old version the day the wording changes)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from itertools import count

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stories.content import credits as credit_lines
from stories.content.kinds import CreditRole
from stories.models import Revision, Story
from stories.reader import pages
from tests.readerpages import at, make_story, publish, published_story

BYLINE, CONTRIBUTED = CreditRole.BYLINE, CreditRole.CONTRIBUTED


class CreditLines(HTMLParser):
    """The text of a page's byline and tagline (``story-byline``, ``story-tagline``),
    and the links inside them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text = {"story-byline": None, "story-tagline": None}
        self.links = {"story-byline": [], "story-tagline": []}
        self._open = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        for name in self.text:
            if tag == "p" and name in classes:
                self._open, self.text[name] = name, ""
        if tag == "a" and self._open:
            self.links[self._open].append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "p":
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.text[self._open] += data


def shown_lines(client, slug: str, number: int) -> CreditLines:
    response = client.get(f"/stories/{slug}/history/{number}/")
    assert response.status_code == 200
    return CreditLines(response.content.decode())


def assert_every_version_shows_its_hashed_lines(client, story: Story) -> None:
    for revision in Revision.objects.filter(story=story).order_by("number"):
        lines = shown_lines(client, story.slug, revision.number)
        assert lines.text["story-byline"] == (revision.byline or None), revision
        assert lines.text["story-tagline"] == (revision.tagline or None), revision


# -- names as newsrooms write them, and as they should not -------------------------------

_words = st.text(alphabet="AaBbÉéøŁ&<>\"'-.", min_size=1, max_size=6) | st.sampled_from(
    ["Ann", "Lee", "the", "and", "of", "By"]
)
names = st.lists(_words, min_size=1, max_size=3).map(" ".join)
outlets = st.sampled_from(["", "the Coastal Ledger", "Coastal Ledger", "the Ann & Lee <Post>"])
credit_lists = st.lists(
    st.tuples(names, st.sampled_from([BYLINE, CONTRIBUTED]), outlets), min_size=0, max_size=5
)
_stories = count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(credits=credit_lists)
def test_any_credits_are_shown_exactly_as_hashed(client, editor, credits):
    unique = {(name, role): (name, role, outlet) for name, role, outlet in credits}
    story = make_story(list(unique.values()), slug=f"credited-{next(_stories)}")
    publish(story, editor, when=at(0))

    revision = Revision.objects.get(story=story, number=1)
    lines = shown_lines(client, story.slug, 1)

    assert lines.text["story-byline"] == (revision.byline or None)
    assert lines.text["story-tagline"] == (revision.tagline or None)
    # Every credited name in the line links to its contributor's page.
    bylines = [name for name, role, _ in unique.values() if role == BYLINE]
    assert len(lines.links["story-byline"]) == len(bylines)


def test_every_version_of_the_demo_shows_its_hashed_lines(db, client, settings):
    settings.DEMO_MODE = True
    call_command("load_demo", stdout=StringIO())
    stories = Story.objects.filter(latest_revision__isnull=False, status=Story.Status.PUBLISHED)
    assert stories.count() >= 3
    for story in stories:
        assert_every_version_shows_its_hashed_lines(client, story)


def test_old_versions_keep_their_lines_when_the_wording_changes(client, editor, monkeypatch):
    story = make_story(
        [("June Okafor", BYLINE, ""), ("Dev Patel", CONTRIBUTED, "the Coastal Ledger")]
    )
    publish(story, editor, when=at(0))
    hashed = Revision.objects.get(story=story, number=1).tagline

    # A later release writes taglines differently: versions published before keep theirs.
    monkeypatch.setattr(credit_lines, "TAGLINE_SUFFIX", "reported for this story.")
    lines = shown_lines(client, story.slug, 1)

    assert lines.text["story-tagline"] == hashed
    assert hashed.endswith("contributed to this report.")
    dev_patel = story.credits.get(role=CONTRIBUTED).contributor
    assert lines.links["story-tagline"] == [pages.contributor_url(dev_patel.slug)]


@pytest.mark.parametrize(
    ("line", "names", "expected"),
    [
        ("By Ann Lee and Lee", ["Ann Lee", "Lee"], [(3, 10, 0), (15, 18, 1)]),
        # A name that also stands in an outlet: found where the line was written with it.
        (
            "Ann of the Lee Post and Lee of X contributed to this report.",
            None,
            [(0, 3, 0), (24, 27, 1)],
        ),
        # A line that no longer matches its credits: names found where they stand, in order.
        ("By Someone Else and Ann", ["Ann", "Zed"], [(20, 23, 0)]),
    ],
)
def test_names_are_found_where_the_line_has_them(line, names, expected):
    if names is None:
        pairs = [("Ann", "the Lee Post"), ("Lee", "X")]
        assert credit_lines.tagline_spans(line, pairs) == expected
    else:
        assert credit_lines.byline_spans(line, names) == expected


def test_a_wire_story_links_every_contributor_in_its_tagline(client, editor):
    story = published_story(
        editor,
        credits=[
            ("Tomas Reyes", CONTRIBUTED, "the Island Gazette"),
            ("Ada <Lindqvist>", CONTRIBUTED, "the Coastal Ledger"),
        ],
        when=at(0),
    )
    credits = {credit.contributor.name: credit.contributor for credit in story.ordered_credits()}

    body = client.get(story.get_absolute_url()).content.decode()

    tagline = re.search(r'<p class="story-tagline fst-italic">(.*?)</p>', body).group(1)
    assert tagline == (
        f'<a href="{credits["Tomas Reyes"].get_absolute_url()}">Tomas Reyes</a> of the Island '
        f'Gazette and <a href="{credits["Ada <Lindqvist>"].get_absolute_url()}">Ada '
        "&lt;Lindqvist&gt;</a> of the Coastal Ledger contributed to this report."
    )
