"""What a new reader met that broke the product's own promises (issue 11), each fixed:
withdrawal keeps the public record, sections never vanish, absolute links follow the
site's real address, every credited person is linked, JSON-LD names an author and
lists clarifications, the 410 page names the story, feeds speak the pages' language, and
the demo shows the site's own 404."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from tests.factories import SectionFactory, approved
from tests.readerpages import at, make_story, publish, published_story, read, text
from tests.test_production import BASE_DIR, environment, production, run, settings_in

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BYLINE, CONTRIBUTED = CreditRole.BYLINE, CreditRole.CONTRIBUTED


@pytest.fixture
def withdrawn_story(editor):
    story = published_story(
        editor,
        headline="Ferry operator sued",
        body="The lawsuit claims the ferry ran late.",
        section=SectionFactory(name="Courts", slug="courts"),
        when=at(0),
    )
    publish(
        story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="The suit was filed Monday."
    )
    publish(story, editor, when=at(2), kind=RevisionKind.MINOR, reason="Typo.")
    publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn on legal advice."
    )
    return story


# -- withdrawal keeps its promise --------------------------------------------------------


def test_a_withdrawn_storys_history_list_stays_public(client, withdrawn_story):
    response = client.get(reverse("reader:history", args=[withdrawn_story.slug]))

    assert response.status_code == 200
    body = text(response)
    entries = re.findall(r'<li class="history-entry.*?</li>', body, flags=re.S)
    kinds = [re.search(r'class="history-kind">([^<]+)<', entry).group(1) for entry in entries]
    assert kinds == ["Withdrawal", "Minor edit", "Correction", "First publication"]
    assert "The suit was filed Monday." in body
    assert "Withdrawn on legal advice." in body
    assert len(read(response).times) == 4
    assert "This story has been withdrawn" in body
    # The text of its versions is not there, nor linked.
    assert "The lawsuit claims" not in body
    assert reverse("reader:revision", args=[withdrawn_story.slug, 1]) not in body


@pytest.mark.parametrize(
    "path",
    ["history/1/", "history/3/", "history/4/", "history/1/compare/2/", "history/2/compare/4/"],
)
def test_the_text_of_a_withdrawn_storys_versions_answers_410_with_the_note(
    client, withdrawn_story, path
):
    response = client.get(f"/stories/{withdrawn_story.slug}/{path}")

    assert response.status_code == 410
    body = text(response)
    assert "Withdrawn on legal advice." in body
    assert "The lawsuit claims" not in body


def test_a_withdrawn_storys_corrections_stay_on_the_record(client, withdrawn_story):
    corrections = text(client.get(reverse("reader:corrections")))
    assert "The suit was filed Monday." in corrections
    assert "Ferry operator sued" in corrections
    assert reverse("reader:history", args=[withdrawn_story.slug]) in corrections

    feed = ET.fromstring(client.get("/feeds/corrections/atom/").content)
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}summary") for entry in entries] == ["The suit was filed Monday."]


def test_the_410_page_names_the_story_that_was_withdrawn(client, withdrawn_story):
    response = client.get(withdrawn_story.get_absolute_url())

    assert response.status_code == 410
    assert read(response).h1 == ["“Ferry operator sued” has been withdrawn"]
    assert "Withdrawn: Ferry operator sued" in text(response)
    assert reverse("reader:history", args=[withdrawn_story.slug]) in text(response)


# -- sections never vanish ---------------------------------------------------------------


def test_a_section_whose_last_story_is_withdrawn_keeps_answering(client, withdrawn_story):
    section = "/sections/courts/"
    response = client.get(section)
    assert response.status_code == 200
    assert "There are no stories in this section right now." in text(response)
    for feed in ("feeds/rss/", "feeds/atom/"):
        answer = client.get(section + feed)
        assert answer.status_code == 200, feed
        assert b"Ferry operator sued" not in answer.content


def test_a_section_nobody_published_in_is_still_not_found(client, editor):
    make_story([("Maria Ortiz", BYLINE, "")], section=SectionFactory(slug="secret-plans"))

    assert client.get("/sections/secret-plans/").status_code == 404
    assert client.get("/sections/secret-plans/feeds/rss/").status_code == 404


# -- absolute links: the request's in the demo, the setting's in production ---------------


def test_absolute_links_follow_the_address_the_demo_is_served_on(client, editor, settings):
    settings.PUBLICATION_URL = ""
    story = published_story(editor, headline="Port story", when=at(0))
    host = {"HTTP_HOST": "127.0.0.1:8123"}
    root = "http://127.0.0.1:8123"
    story_url = root + story.get_absolute_url()

    page = read(client.get(story.get_absolute_url(), **host))
    assert page.has("link", rel="canonical", href=story_url)
    assert page.meta["og:url"] == story_url
    data = page.json_ld()
    assert data["url"] == story_url and data["publisher"]["url"] == root

    home = read(client.get("/", **host))
    assert home.has("link", rel="canonical", href=root + "/")

    rss = ET.fromstring(client.get("/feeds/latest/rss/", **host).content)
    assert rss.find("channel/item").findtext("link") == story_url
    sitemap = ET.fromstring(client.get("/sitemap.xml", **host).content)
    locations = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert story_url in locations and all(loc.startswith(root) for loc in locations)
    robots = client.get("/robots.txt", **host).content.decode()
    assert f"Sitemap: {root}/sitemap.xml" in robots
    assert ":8000" not in robots + client.get("/feeds/latest/atom/", **host).content.decode()

    # Another address gets its own links, not the first one's cached page.
    other = read(client.get(story.get_absolute_url(), HTTP_HOST="localhost:9000"))
    assert other.meta["og:url"] == "http://localhost:9000" + story.get_absolute_url()


def test_in_production_the_publication_url_wins_over_the_request(client, editor, settings):
    settings.PUBLICATION_URL = "https://news.example"
    story = published_story(editor, when=at(0))

    page = read(client.get(story.get_absolute_url(), HTTP_HOST="127.0.0.1:8123"))

    assert page.meta["og:url"] == "https://news.example" + story.get_absolute_url()


def test_production_requires_the_publication_url():
    env = production()
    env.pop("NEWSROOM_PUBLICATION_URL", None)

    result = run(
        [sys.executable, "manage.py", "check"],
        env,
    )

    assert result.returncode != 0
    assert "NEWSROOM_PUBLICATION_URL must be set when DJANGO_ENV=production" in result.stderr


# -- credits, structured data, feeds -----------------------------------------------------


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


def test_json_ld_names_the_publisher_as_author_without_a_byline(client, editor, settings):
    settings.PUBLICATION_URL = "https://news.example"
    story = published_story(
        editor, credits=[("Tomas Reyes", CONTRIBUTED, "the Island Gazette")], when=at(0)
    )

    data = read(client.get(story.get_absolute_url())).json_ld()

    assert data["author"] == [data["publisher"]]
    assert data["author"][0]["@type"] == "NewsMediaOrganization"
    assert data["contributor"][0]["name"] == "Tomas Reyes"


def test_json_ld_lists_clarifications_as_corrections(client, editor):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="The date was wrong.")
    publish(story, editor, when=at(2), kind=RevisionKind.CLARIFICATION, note="Only one span.")
    publish(story, editor, when=at(3), kind=RevisionKind.EDITORS_NOTE, note="A source was paid.")

    data = read(client.get(story.get_absolute_url())).json_ld()

    assert [item["text"] for item in data["correction"]] == [
        "Only one span.",
        "The date was wrong.",
    ]
    assert {item["@type"] for item in data["correction"]} == {"CorrectionComment"}


def test_the_rss_language_is_the_pages_language(client, editor, settings):
    settings.LANGUAGE_CODE = "en-us"
    settings.PUBLICATION_LANGUAGE = "en"
    published_story(editor, when=at(0))

    page_language = read(client.get("/")).html_lang
    rss = ET.fromstring(client.get("/feeds/latest/rss/").content)
    atom = ET.fromstring(client.get("/feeds/latest/atom/").content)

    assert page_language == "en"
    assert rss.findtext("channel/language") == page_language
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == page_language


# -- the demo's 404 ----------------------------------------------------------------------


def demo_environment() -> dict:
    """The variables ``make run`` sets (the Makefile's DEMO_ENV), as it sets them."""
    makefile = (BASE_DIR / "Makefile").read_text()
    line = re.search(r"^DEMO_ENV := (.*)$", makefile, flags=re.M).group(1)
    variables = dict(pair.split("=", 1) for pair in line.split())
    return environment(**variables)


def test_the_demo_shows_the_sites_404_not_djangos_debug_page(db, client):
    demo = settings_in(demo_environment(), "DEBUG", "DEMO_MODE", "WHITENOISE_USE_FINDERS")

    assert demo["DEMO_MODE"] is True
    assert demo["DEBUG"] is False, "Django's debug 404 page shows instead of the site's"
    assert demo["WHITENOISE_USE_FINDERS"] is True, "static files are still served"
    # With those settings, a missing page is the site's own 404.
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert read(response).h1 == ["Page not found"]
    assert "Using the URLconf" not in text(response)
