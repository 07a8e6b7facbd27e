"""Structured data on story pages: JSON-LD NewsArticle, Open Graph and Twitter tags."""

from __future__ import annotations

import pytest
from django.urls import reverse

from stories.content.kinds import CreditRole, RevisionKind
from tests.readerpages import at, make_story, publish, published_story, read, text


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
    assert data["datePublished"] == published == "2025-03-04T14:30:00+00:00"
    assert data["dateModified"] == updated == "2025-03-04T16:30:00+00:00", "minor edits excluded"
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
            "datePublished": "2025-03-04T15:30:00+00:00",
        }
    ]
    assert "2025-03-04T15:30:00+00:00" in page.times, "the correction's visible time matches"


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
    assert page.meta["article:published_time"] == "2025-03-04T14:30:00+00:00"
    assert page.meta["article:modified_time"] == "2025-03-04T16:30:00+00:00"
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
