"""Speed of reader pages: constant query counts, conditional GETs, caching and its
invalidation on publish, and the Cache-Control headers a CDN reads."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.http import http_date

from stories.content.kinds import CreditRole, RevisionKind
from stories.reader import caching
from tests.readerpages import (
    HISTORY_PAGE_QUERIES,
    STORY_PAGE_QUERIES,
    at,
    make_story,
    publish,
    published_story,
    text,
)


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


#: "Many" credits and revisions for the story and history query counts: every credit
#: role and every revision kind several times over. Each publish snapshots every credit,
#: so building the story costs credits x revisions: 12 of each show a query per item as
#: surely as 30 did, for a fraction of the cost.
MANY = 12


def story_with_history(editor, size: int):
    """A story with ``size`` credits and ``size`` published revisions of every kind."""
    roles = [CreditRole.BYLINE, CreditRole.CONTRIBUTED, CreditRole.PHOTOGRAPHY]
    story = make_story(
        [(f"Person {i}", roles[i % 3], f"Outlet {i % 4}") for i in range(size)],
        body="\n\n".join(f"Paragraph {i}." for i in range(size)),
    )
    publish(story, editor, when=at(0))
    kinds = [
        RevisionKind.UPDATE,
        RevisionKind.CORRECTION,
        RevisionKind.MINOR,
        RevisionKind.EDITORS_NOTE,
    ]
    for number in range(2, size + 1):
        publish(story, editor, when=at(number), kind=kinds[number % 4], note=f"Note {number}.")
    return story


@pytest.mark.parametrize("size", [1, MANY])
def test_story_page_queries_do_not_grow_with_credits_or_revisions(
    client, editor, size, django_assert_num_queries
):
    story = story_with_history(editor, size)
    assert story.revisions.count() == size and story.credits.count() == size

    with django_assert_num_queries(STORY_PAGE_QUERIES):
        response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert f"View revision history ({size} version" in text(response)

    # Cached: no query at all, the conditional GET included (the entry carries the
    # ETag and Last-Modified).
    with django_assert_num_queries(0):
        cached = client.get(story.get_absolute_url())
    assert cached["X-Reader-Cache"] == "hit"
    with django_assert_num_queries(0):
        revalidated = client.get(
            story.get_absolute_url(), headers={"if-none-match": cached["ETag"]}
        )
    assert revalidated.status_code == 304
    # Query strings the page does not read share its one cache entry.
    tracked = client.get(story.get_absolute_url() + "?utm_source=feed&page=7")
    assert tracked["X-Reader-Cache"] == "hit"


@pytest.mark.parametrize("size", [1, MANY])
def test_history_and_version_pages_queries_are_constant(
    client, editor, size, django_assert_num_queries, django_assert_max_num_queries
):
    story = story_with_history(editor, size)

    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        assert client.get(reverse("reader:history", args=[story.slug])).status_code == 200
    with django_assert_max_num_queries(STORY_PAGE_QUERIES + 1):
        assert client.get(reverse("reader:revision", args=[story.slug, 1])).status_code == 200


@pytest.mark.parametrize("size", [1, 30])
def test_list_pages_queries_are_constant(client, editor, size, django_assert_max_num_queries):
    for hour in range(size):
        published_story(editor, when=at(hour))

    for url in ("/", reverse("reader:corrections"), "/feeds/latest/rss/", "/sitemap.xml"):
        # A count and a page of rows, the header's section links.
        with django_assert_max_num_queries(3):
            assert client.get(url).status_code == 200, url
        with django_assert_max_num_queries(0):
            assert client.get(url)["X-Reader-Cache"] == "hit", url


def test_a_page_rendered_from_a_lagging_replica_is_not_kept(client, editor, monkeypatch):
    """A publish moves the generations to name its revision: a page rendered from a
    database that does not have that revision yet (a read replica lagging behind) is
    served, but not cached under the new generation."""
    published_story(editor, headline="First story", when=at(0))
    assert client.get("/")["X-Reader-Cache"] == "miss"
    caching.invalidate_story("elsewhere", revision_id=10**9)  # a revision not replicated yet
    monkeypatch.setattr(caching, "reads_from_replica", lambda: True)

    assert client.get("/")["X-Reader-Cache"] == "miss"
    assert client.get("/")["X-Reader-Cache"] == "miss", "the lagging page was not kept"

    monkeypatch.undo()
    assert client.get("/")["X-Reader-Cache"] == "miss"
    assert client.get("/")["X-Reader-Cache"] == "hit"


def test_story_page_answers_conditional_gets(client, editor):
    story = published_story(editor, when=at(0))
    url = story.get_absolute_url()

    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert last_modified == http_date(at(0).timestamp())

    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304
    not_modified = client.get(url, headers={"if-none-match": etag})
    assert directives(not_modified) == {"public", f"max-age={caching.reader_max_age()}"}

    publish(story, editor, when=at(1), kind=RevisionKind.MINOR, reason="Typo.")
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200, "any new revision, even a minor one, changes the page"
    assert changed["ETag"] != etag
    assert changed["Last-Modified"] == http_date(at(1).timestamp())


def test_list_pages_and_feeds_answer_conditional_gets(client, editor):
    published_story(editor, when=at(0))
    for url in ("/", "/feeds/latest/atom/", "/sitemap.xml", reverse("reader:corrections")):
        etag = client.get(url)["ETag"]
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304, url


def test_reader_pages_send_public_cache_control(client, editor):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed.")
    urls = [
        "/",
        story.get_absolute_url(),
        reverse("reader:history", args=[story.slug]),
        reverse("reader:revision", args=[story.slug, 1]),
        reverse("reader:compare", args=[story.slug, 1, 2]),
        story.section.get_absolute_url(),
        reverse("reader:corrections"),
        "/feeds/latest/rss/",
        "/feeds/corrections/atom/",
        "/sitemap.xml",
        "/sitemap-news.xml",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == {"public", f"max-age={caching.reader_max_age()}"}, url
        assert "Cookie" not in response.get("Vary", ""), url
        assert not response.cookies, url


def test_publishing_invalidates_cached_pages_lists_and_feeds(
    client, editor, django_capture_on_commit_callbacks
):
    story = published_story(editor, headline="Original headline", when=at(0))
    urls = ["/", story.get_absolute_url(), story.section.get_absolute_url(), "/feeds/latest/rss/"]
    for url in urls:
        assert "Original headline" in text(client.get(url))
        assert client.get(url)["X-Reader-Cache"] == "hit", url

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish(
            story, editor, when=at(1), kind=RevisionKind.CORRECTION,
            note="Fixed the headline.", headline="Corrected headline",
        )  # fmt: skip
    assert callbacks, "revision_published is sent when the transaction commits"

    for url in urls:
        response = client.get(url)
        assert response["X-Reader-Cache"] == "miss", url
        assert "Corrected headline" in text(response), url
        assert "Original headline" not in text(response), url


def test_generations_are_bumped_by_the_revision_published_signal(editor, db):
    from stories.publishing import revision_published

    story = published_story(editor, when=at(0))
    keys = [
        caching.SITE_GENERATION_KEY,
        caching.story_generation_key(story.slug),
        caching.story_generation_key("another-story"),
    ]
    for key in keys:
        cache.set(key, "before", timeout=None)

    revision_published.send(sender=type(story), story=story, revision=story.latest_revision)

    site, own, other = (cache.get(key) for key in keys)
    assert site != "before" and own != "before"
    assert own.startswith(f"{story.latest_revision.pk}."), "names the revision published"
    assert other == "before", "other stories keep their cache"


def test_error_answers_are_not_cached(client, editor):
    story = make_story([])
    url = story.get_absolute_url()
    assert client.get(url).status_code == 404
    publish(story, editor, when=at(0))  # no on-commit signal in this test: no invalidation
    assert client.get(url).status_code == 200


def test_only_safe_methods(client, editor):
    """Reader pages answer GET and HEAD only. A browser's POST without a CSRF token (a
    forged cross-site form) is refused by the CSRF check (403); one with a valid token,
    or from a client exempt from the check, reaches the view and is refused there (405).
    None of them changes the story or leaves a page in the cache."""
    story = published_story(editor, when=at(0))
    url = story.get_absolute_url()
    before = (story.edit_number, story.revisions.count(), story.history.count())

    assert client.post(url).status_code == 405
    browser = Client(enforce_csrf_checks=True)
    for method in (browser.post, browser.put, browser.delete):
        assert method(url).status_code == 403, method.__name__
    token = get_random_string(32)
    browser.cookies[settings.CSRF_COOKIE_NAME] = token
    for method in (browser.post, browser.put, browser.delete):
        refused = method(url, headers={"X-CSRFToken": token})
        assert refused.status_code == 405, method.__name__
        assert refused["Allow"] == "GET, HEAD"
        assert "public" not in refused.get("Cache-Control", ""), "a CDN must not keep it"

    story.refresh_from_db()
    assert (story.edit_number, story.revisions.count(), story.history.count()) == before
    first = browser.get(url)
    assert first.status_code == 200
    assert first["X-Reader-Cache"] == "miss", "no refused request rendered or cached the page"
    assert browser.head(url).status_code == 200


def test_invalidate_reader_cache_command_makes_cached_pages_stale(client, editor):
    from io import StringIO

    from django.core.management import call_command

    story = published_story(editor)
    url = reverse("reader:story", kwargs={"slug": story.slug})
    assert client.get(url)["X-Reader-Cache"] == "miss"
    assert client.get(url)["X-Reader-Cache"] == "hit"

    out = StringIO()
    call_command("invalidate_reader_cache", stdout=out)
    assert out.getvalue().strip() == "Reader pages will be rendered afresh."

    assert client.get(url)["X-Reader-Cache"] == "miss"
