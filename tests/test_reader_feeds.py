"""RSS and Atom feeds, the corrections feed, sitemap.xml and the Google News sitemap."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.utils import timezone

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.reader import caching, sitemaps
from tests.factories import SectionFactory, approved
from tests.readerpages import at, make_story, publish, published_story, read

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(autouse=True)
def publication(settings):
    settings.PUBLICATION_URL = "https://news.example"
    settings.PUBLICATION_NAME = "The Harbor Herald"
    settings.PUBLICATION_LANGUAGE = "en"


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return ET.fromstring(response.content)


def rss_items(client, url="/feeds/latest/rss/"):
    channel = parse(client, url).find("channel")
    return {item.findtext("title"): item for item in channel.findall("item")}


def atom_entries(client, url="/feeds/latest/atom/"):
    feed = parse(client, url)
    assert feed.tag == f"{ATOM}feed"
    return {entry.findtext(f"{ATOM}title"): entry for entry in feed.findall(f"{ATOM}entry")}


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- latest stories ----------------------------------------------------------------------


def test_rss_feed_lists_live_stories_with_stable_guids(client, editor):
    story = published_story(editor, headline="Pier Road floods", dek="Eleven shops.", when=at(0))
    make_story([], headline="Unpublished draft")

    channel = parse(client, "/feeds/latest/rss/").find("channel")
    assert channel.findtext("title") == "The Harbor Herald: latest stories"
    assert channel.findtext("link") == "https://news.example/"
    items = rss_items(client)
    assert list(items) == ["Pier Road floods"]
    item = items["Pier Road floods"]
    assert item.findtext("link") == f"https://news.example{story.get_absolute_url()}"
    assert item.findtext("description") == "Eleven shops."
    assert parsedate_to_datetime(item.findtext("pubDate")) == at(0)
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"tag:news.example,2025-03-04:story/{story.pk}"

    publish(
        story,
        editor,
        when=at(2),
        kind=RevisionKind.UPDATE,
        note="Updated.",
        headline="Pier Road floods again",
    )
    caching.invalidate_all()
    item = rss_items(client)["Pier Road floods again"]
    assert item.find("guid").text == guid.text, "the guid survives edits"
    assert parsedate_to_datetime(item.findtext("pubDate")) == at(0)


def test_atom_feed_published_is_first_publication_updated_is_last_non_minor(client, editor):
    story = published_story(editor, headline="Library wing approved", when=at(0))
    publish(story, editor, when=at(2), kind=RevisionKind.CORRECTION, note="Fixed the size.")
    publish(story, editor, when=at(5), kind=RevisionKind.MINOR, reason="Typo.", dek="Typo fixed.")

    entry = atom_entries(client)["Library wing approved"]

    assert entry.findtext(f"{ATOM}id") == f"tag:news.example,2025-03-04:story/{story.pk}"
    assert iso(entry.findtext(f"{ATOM}published")) == at(0)
    assert iso(entry.findtext(f"{ATOM}updated")) == at(2), "a minor edit does not move updated"
    assert (
        entry.find(f"{ATOM}link").get("href") == f"https://news.example{story.get_absolute_url()}"
    )
    assert entry.findtext(f"{ATOM}summary") == "Typo fixed."


def test_section_feeds_list_only_the_section(client, editor):
    local = SectionFactory(name="Local", slug="local")
    transport = SectionFactory(name="Transport", slug="transport")
    published_story(editor, headline="Harbor dredging", section=local, when=at(0))
    published_story(editor, headline="Ferry fares rise", section=transport, when=at(1))

    assert list(rss_items(client, "/sections/local/feeds/rss/")) == ["Harbor dredging"]
    assert list(atom_entries(client, "/sections/transport/feeds/atom/")) == ["Ferry fares rise"]
    feed = parse(client, "/sections/local/feeds/atom/")
    assert feed.findtext(f"{ATOM}title") == "The Harbor Herald: Local"
    assert client.get("/sections/nowhere/feeds/rss/").status_code == 404


def rss_links(client, url):
    """The feed's items as guid -> link."""
    channel = parse(client, url).find("channel")
    return {item.findtext("guid"): item.findtext("link") for item in channel.findall("item")}


def atom_links(client, url):
    """The feed's entries as id -> link."""
    feed = parse(client, url)
    return {
        entry.findtext(f"{ATOM}id"): entry.find(f"{ATOM}link").get("href")
        for entry in feed.findall(f"{ATOM}entry")
    }


def test_withdrawn_stories_leave_the_story_feeds_not_the_corrections_feed(
    client, editor, django_capture_on_commit_callbacks
):
    local = SectionFactory(name="Local", slug="local")
    story = published_story(editor, headline="Withdrawn story", section=local, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed a name.")
    other = published_story(editor, headline="Story that stays", section=local, when=at(2))
    publish(other, editor, when=at(3), kind=RevisionKind.CORRECTION, note="Fixed a date.")
    base = "https://news.example"
    story_tag = f"tag:news.example,2025-03-04:story/{story.pk}"
    other_tag = f"tag:news.example,2025-03-04:story/{other.pk}"
    stories_before = {
        story_tag: base + story.get_absolute_url(),
        other_tag: base + other.get_absolute_url(),
    }
    corrections_before = {
        f"{story_tag}/version/2": f"{base}/stories/{story.slug}/history/1/compare/2/",
        f"{other_tag}/version/2": f"{base}/stories/{other.slug}/history/1/compare/2/",
    }
    story_feeds = {
        "/feeds/latest/rss/": rss_links,
        "/feeds/latest/atom/": atom_links,
        "/sections/local/feeds/rss/": rss_links,
        "/sections/local/feeds/atom/": atom_links,
    }
    for url, links in story_feeds.items():
        assert links(client, url) == stories_before, url
    assert atom_links(client, "/feeds/corrections/atom/") == corrections_before

    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = publishing.withdraw(
            approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn."
        )
    withdrawal_tag = (
        f"tag:news.example,{withdrawn.published_at:%Y-%m-%d}:story/{story.pk}/version/3"
    )

    for url, links in story_feeds.items():
        assert links(client, url) == {other_tag: stories_before[other_tag]}, url
    # The withdrawal is an entry of its own, and its correction stays on the record, both
    # linking to the history that stays public.
    assert atom_links(client, "/feeds/corrections/atom/") == {
        withdrawal_tag: f"{base}/stories/{story.slug}/history/",
        f"{story_tag}/version/2": f"{base}/stories/{story.slug}/history/",
        f"{other_tag}/version/2": corrections_before[f"{other_tag}/version/2"],
    }
    withdrawal = atom_entries(client, "/feeds/corrections/atom/")["Withdrawal: Withdrawn story"]
    assert withdrawal.findtext(f"{ATOM}summary") == "Withdrawn."


# -- updates and corrections -------------------------------------------------------------


def test_corrections_feed_has_one_entry_per_non_minor_revision_after_the_first(client, editor):
    story = published_story(editor, headline="Bridge closes", when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.MINOR, reason="Typo.")
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Added the detour.")
    publish(story, editor, when=at(3), kind=RevisionKind.CORRECTION, note="It closes Tuesday.")
    publish(story, editor, when=at(4), kind=RevisionKind.CLARIFICATION, note="Only the east span.")
    publish(story, editor, when=at(5), kind=RevisionKind.EDITORS_NOTE, note="A source was paid.")

    feed = parse(client, "/feeds/corrections/atom/")
    entries = feed.findall(f"{ATOM}entry")

    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == [
        "Editor's note: Bridge closes",
        "Clarification: Bridge closes",
        "Correction: Bridge closes",
        "Update: Bridge closes",
    ]
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == 4
    assert ids[2] == f"tag:news.example,2025-03-04:story/{story.pk}/version/4"
    correction = entries[2]
    assert correction.findtext(f"{ATOM}summary") == "It closes Tuesday."
    assert iso(correction.findtext(f"{ATOM}updated")) == at(3)
    assert correction.find(f"{ATOM}link").get("href") == (
        f"https://news.example/stories/{story.slug}/history/3/compare/4/"
    )


# -- sitemaps ----------------------------------------------------------------------------


def test_sitemap_lists_live_stories_with_lastmod_of_the_last_non_minor_update(client, editor):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Updated.")
    publish(story, editor, when=at(4), kind=RevisionKind.MINOR, reason="Typo.")
    untouched = published_story(editor, when=at(1))
    draft = make_story([])
    withdrawn = published_story(editor, when=at(3))
    publishing.withdraw(
        approved(withdrawn, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )

    urlset = parse(client, "/sitemap.xml")

    lastmod = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in urlset.findall(f"{SITEMAP}url")
    }
    base = "https://news.example"
    assert iso(lastmod[base + story.get_absolute_url()]) == at(2), "minor edits do not count"
    assert iso(lastmod[base + untouched.get_absolute_url()]) == at(1)
    assert base + draft.get_absolute_url() not in lastmod
    assert base + withdrawn.get_absolute_url() not in lastmod
    assert base + "/" in lastmod
    assert base + story.section.get_absolute_url() in lastmod


def test_news_sitemap_lists_stories_of_the_last_48_hours(client, editor):
    now = timezone.now()
    fresh = published_story(editor, headline="Fresh & new <story>", when=now - timedelta(hours=3))
    published_story(editor, headline="Two days old", when=now - timedelta(hours=49))
    make_story([], headline="Draft story")

    urlset = parse(client, "/sitemap-news.xml")

    urls = urlset.findall(f"{SITEMAP}url")
    assert len(urls) == 1
    url = urls[0]
    assert url.findtext(f"{SITEMAP}loc") == f"https://news.example{fresh.get_absolute_url()}"
    news = url.find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Harbor Herald"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Fresh & new <story>"
    published = iso(news.findtext(f"{NEWS}publication_date"))
    assert abs(published - fresh.first_published_at) < timedelta(seconds=1)


def test_news_sitemap_is_capped(client, editor, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 2)
    now = timezone.now()
    for hours in (1, 2, 3):
        published_story(editor, headline=f"{hours} hours old", when=now - timedelta(hours=hours))

    urlset = parse(client, "/sitemap-news.xml")

    titles = [url.findtext(f"{NEWS}news/{NEWS}title") for url in urlset.findall(f"{SITEMAP}url")]
    assert titles == ["1 hours old", "2 hours old"]


def test_robots_txt_points_at_the_sitemaps(client, db):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://news.example/sitemap.xml" in body
    assert "Sitemap: https://news.example/sitemap-news.xml" in body


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
