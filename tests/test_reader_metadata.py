"""Structured data on story pages: JSON-LD NewsArticle, Open Graph and Twitter tags."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from stories.content.kinds import CreditRole, RevisionKind
from tests.readerpages import at, make_story, publish, published_story, read, text

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CONTRIBUTED = CreditRole.CONTRIBUTED


@pytest.fixture(autouse=True)
def publication(settings):
    settings.PUBLICATION_URL = "https://news.example"
    settings.PUBLICATION_NAME = "The Harbor Herald"
    settings.PUBLICATION_LANGUAGE = "en"
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def corrected_story(editor):
    story = make_story(
        [
            ("June Okafor", CreditRole.BYLINE, ""),
            ("Marco Bellini", CreditRole.BYLINE, ""),
            ("Dev Patel", CreditRole.CONTRIBUTED, "the Coastal Ledger"),
        ],
        headline="Library wing approved",
        dek="The plan adds a children's wing.",
        dateline="PORT HAVEN",
    )
    publish(story, editor, when=at(0))
    publish(
        story,
        editor,
        when=at(1),
        kind=RevisionKind.CORRECTION,
        note="The wing is 4,000 square feet.",
    )
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Added the vote count.")
    publish(story, editor, when=at(3), kind=RevisionKind.MINOR, reason="Typo.")
    return story


def story_times(page):
    """The datetime of the visible "Published" and "Updated" times (the first two)."""
    return page.times[0], page.times[1]


def test_json_ld_news_article_matches_the_page(client, corrected_story):
    page = read(client.get(corrected_story.get_absolute_url()))
    data = page.json_ld()

    published, updated = story_times(page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == page.h1[0] == "Library wing approved"
    assert data["datePublished"] == published == "2025-03-04T09:30:00-05:00"
    assert data["dateModified"] == updated == "2025-03-04T11:30:00-05:00", "minor edits excluded"
    assert data["description"] == "The plan adds a children's wing."
    assert data["dateline"] == "PORT HAVEN"
    assert data["articleSection"] == corrected_story.section.name
    assert data["url"] == f"https://news.example{corrected_story.get_absolute_url()}"
    okafor, bellini, patel = (c.contributor for c in corrected_story.ordered_credits())
    assert data["author"] == [
        {"@type": "Person", "name": "June Okafor", "url": f"https://news.example/contributors/{okafor.slug}/"},
        {"@type": "Person", "name": "Marco Bellini", "url": f"https://news.example/contributors/{bellini.slug}/"},
    ]  # fmt: skip
    assert data["contributor"] == [
        {
            "@type": "Person",
            "name": "Dev Patel",
            "url": f"https://news.example/contributors/{patel.slug}/",
            "affiliation": {"@type": "Organization", "name": "the Coastal Ledger"},
        }
    ]
    assert data["publisher"]["name"] == "The Harbor Herald"
    assert data["publisher"]["url"] == "https://news.example"
    assert data["publisher"]["logo"]["url"] == "https://news.example/static/stories/logo.svg"
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "The wing is 4,000 square feet.",
            "datePublished": "2025-03-04T10:30:00-05:00",
        }
    ]
    assert "2025-03-04T10:30:00-05:00" in page.times, "the correction's visible time matches"


def test_json_ld_of_a_story_never_updated(client, editor):
    story = published_story(editor, when=at(0))

    page = read(client.get(story.get_absolute_url()))
    data = page.json_ld()

    assert data["datePublished"] == data["dateModified"] == page.times[0]
    assert "correction" not in data
    assert "contributor" not in data


def test_open_graph_and_twitter_tags(client, corrected_story):
    page = read(client.get(corrected_story.get_absolute_url()))

    assert page.meta["og:title"] == "Library wing approved"
    assert page.meta["og:type"] == "article"
    assert page.meta["og:url"] == f"https://news.example{corrected_story.get_absolute_url()}"
    assert page.meta["og:site_name"] == "The Harbor Herald"
    assert page.meta["og:description"] == "The plan adds a children's wing."
    assert page.meta["article:published_time"] == "2025-03-04T09:30:00-05:00"
    assert page.meta["article:modified_time"] == "2025-03-04T11:30:00-05:00"
    assert page.meta["twitter:card"] == "summary"
    assert page.meta["twitter:title"] == "Library wing approved"
    assert page.has("link", rel="canonical", href=page.meta["og:url"])


def test_json_ld_cannot_be_broken_out_of(client, editor):
    headline = 'Bad </script><script>alert("x")</script> & <b>bold</b>'
    story = published_story(
        editor, headline=headline, dek="</SCRIPT> in the dek", dateline="<!--", when=at(0)
    )

    response = client.get(story.get_absolute_url())

    html = response.content.decode()
    # Only the JSON-LD element's own end tag, and that of the (external) report script.
    assert html.lower().count("</script>") == 2
    assert html.lower().count("<script") == 2
    assert "<script>alert" not in html
    page = read(response)
    data = page.json_ld()
    assert data["headline"] == headline == page.h1[0]
    assert data["description"] == "</SCRIPT> in the dek"
    assert data["dateline"] == "<!--"
    assert page.meta["og:title"] == headline


def test_json_ld_only_on_the_live_page(client, corrected_story):
    """Search engines should take the live version as the article: earlier versions,
    the history and comparisons are pages about it and carry no NewsArticle."""
    live = client.get(corrected_story.get_absolute_url())
    assert live.status_code == 200
    live_page = read(live)
    assert live_page.h1 == ["Library wing approved"]
    assert live_page.json_ld()["@type"] == "NewsArticle"

    slug = corrected_story.slug
    for url, h1, marker in (
        (
            reverse("reader:revision", args=[slug, 1]),
            "Library wing approved",
            "You are viewing version 1 of 4",
        ),
        (
            reverse("reader:history", args=[slug]),
            "Revision history",
            "The wing is 4,000 square feet.",
        ),
        (
            reverse("reader:compare", args=[slug, 1, 2]),
            "Changes between versions 1 and 2",
            "Version 2, correction: The wing is 4,000 square feet.",
        ),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = read(response)
        assert page.h1 == [h1], url
        assert marker in " ".join(text(response).split()), url
        assert page.jsonld == [], url
        assert "application/ld+json" not in text(response), url


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
