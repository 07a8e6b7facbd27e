"""Full-text search: only live revisions, ranked on PostgreSQL, safe highlighting."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from stories.models import Revision
from stories.publishing import publish, publish_due, schedule, withdraw
from stories.reader import caching, search
from tests.factories import ContributorFactory, CreditFactory, StoryFactory, approved

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("reader:search")


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Publishes inside a test transaction never commit, so nothing bumps the cache's
    site generation between tests: start each test on a new one."""
    cache.set(caching.SITE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def published(editor, **fields):
    story = StoryFactory(**fields)
    publish(approved(story), user=editor)
    return story


def update(story, editor, **fields):
    story.refresh_from_db()
    for name, value in fields.items():
        setattr(story, name, value)
    story.save()
    publish(approved(story), user=editor, kind="update", public_note="Updated with new details.")


def found(query, page=1):
    return [hit.slug for hit in search.search(query, page).hits]


# -- what is searched ------------------------------------------------------------------


def test_the_relevant_story_comes_first_and_unrelated_ones_not_at_all(editor):
    ferry = published(
        editor,
        slug="ferry-schedule",
        headline="Ferry schedule changes for winter",
        dek="Fewer crossings from December.",
        body="The island ferry will run four times a day.",
    )
    published(editor, slug="library", headline="Library expansion approved", body="Books.")
    results = search.search("ferry")
    assert [hit.slug for hit in results.hits] == [ferry.slug]
    assert results.total == 1
    assert results.messages == []


def test_drafts_and_unpublished_edits_are_never_returned(editor):
    published(editor, slug="live", headline="Harbor dredging begins", body="Boats wait.")
    StoryFactory(slug="draft", headline="Secret zeppelin plan", body="Zeppelin draft text.")
    live = published(editor, slug="edited", headline="Council meets", body="A quiet meeting.")
    live.refresh_from_db()
    live.body = "A quiet meeting about the zeppelin."  # saved, never published
    live.save()

    assert found("zeppelin") == []
    assert found("quiet") == ["edited"]
    assert found("dredging") == ["live"]


def test_only_the_latest_revision_is_searched(editor):
    story = published(editor, slug="bridge", headline="Bridge closes", body="Closed for rust.")
    update(story, editor, body="Closed for repainting.")
    assert found("rust") == []
    assert found("repainting") == ["bridge"]


def test_a_withdrawn_story_is_found_until_it_is_withdrawn(editor):
    story = published(editor, slug="gone", headline="Mayor resigns", body="Quarrel at city hall.")
    published(editor, slug="stays", headline="Mayor opens the fair", body="Rides and stalls.")
    assert sorted(found("mayor")) == ["gone", "stays"]
    assert found("quarrel") == ["gone"]

    withdraw(approved(story, purpose="withdraw"), user=editor, public_note="The report was wrong.")

    assert found("mayor") == ["stays"]
    assert found("quarrel") == []


def test_a_scheduled_story_is_found_only_once_it_is_published(editor):
    published(editor, slug="live", headline="Harbor festival opens", body="Boats and music.")
    story = StoryFactory(slug="later", headline="Harbor zeppelin visit", body="A zeppelin lands.")
    due = timezone.now() + timedelta(hours=1)
    schedule(approved(story), user=editor, at=due)

    assert found("zeppelin") == []
    assert found("harbor") == ["live"]

    run = publish_due(user=editor, now=due + timedelta(minutes=1))

    assert not run.failed
    assert found("zeppelin") == ["later"]
    assert sorted(found("harbor")) == ["later", "live"]


def test_a_live_story_is_found_by_its_published_words_not_its_unpublished_edit(editor):
    story = published(editor, slug="dredging", headline="Dredging begins", body="Boats wait.")
    story.refresh_from_db()
    story.headline = "Dredging halted"
    story.body = "Boats wait while quagga mussels are cleared."  # saved, not published
    story.save()

    assert found("quagga") == []
    (hit,) = search.search("dredging").hits
    assert hit.slug == "dredging"
    assert hit.headline == "<mark>Dredging</mark> begins", "the live headline, not the draft's"
    assert "quagga" not in hit.snippet

    publish(approved(story), user=editor, kind="update", public_note="Work has stopped.")

    assert found("quagga") == ["dredging"]
    assert search.search("dredging").hits[0].headline == "<mark>Dredging</mark> halted"


def test_all_words_must_match(editor):
    published(editor, slug="both", headline="Harbor flood", body="The harbor flooded.")
    published(editor, slug="one", headline="Harbor fair", body="A sunny day.")
    assert found("harbor flood") == ["both"]


# -- odd and hostile queries -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or a phrase"),
        ("    ", "Type a word or a phrase"),
        ("&|!:*()'\"", "has no letters or numbers"),
        ("!!!", "has no letters or numbers"),
        ("<script>alert(1)</script>", "No published story matches"),
        ("Café naïve 東京 😀", "No published story matches"),
        ('"unterminated phrase -minus or', "No published story matches"),
        ("'; DROP TABLE stories_revision; --", "No published story matches"),
        ("escape\x1b and\x07bell", "No published story matches"),
        ("x" * 5000, "limited to 200 characters"),
    ],
)
def test_odd_queries_answer_200_with_a_message(client, editor, query, message):
    published(editor, slug="some-story", headline="Council debates harbor plan")
    response = client.get(SEARCH_URL, {"q": query})
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert "<script>alert(1)" not in text


def test_a_long_query_is_cut_at_a_word_and_still_searched(editor):
    published(editor, slug="harbor", headline="Harbor plan", body="About the harbor.")
    results = search.search("harbor " + "word " * 100)
    assert len(results.query) <= search.MAX_QUERY_LENGTH
    assert results.query.startswith("harbor word")
    assert not results.query.endswith(" ")
    assert "limited to 200 characters" in results.messages[0]


def test_clean_query_drops_control_characters_and_collapses_spaces():
    assert search.clean_query("  ferry\x00\x1b  times\u200b\n") == ("ferry times", [])


@pytest.mark.parametrize("query", ["\x00ferry", "ferry\x00", "fer\x00ry", "\x00 ferry \x00"])
def test_a_query_with_nul_bytes_is_refused_before_it_reaches_the_database(client, editor, query):
    """PostgreSQL refuses NUL in text parameters (a 500 if one reached it). No browser
    sends one, so the request is refused whole (newsroom/middleware.py); the search's
    own cleaning (``clean_query``) is the second line of defence."""
    published(editor, slug="ferry", headline="Ferry fares rise", body="From April.")
    response = client.get(SEARCH_URL, {"q": query})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert search.search(query).query == "ferry"
    assert client.get(SEARCH_URL, {"q": "ferry"}).status_code == 200


# -- highlighting ----------------------------------------------------------------------


def test_hits_are_highlighted_and_everything_else_is_escaped(client, editor):
    published(
        editor,
        slug="festival",
        headline="Fish & chips <script>x()</script> festival",
        dek="A <b>bold</b> festival",
        body="The **festival** opens <img src=x onerror=alert(1)> on the pier.",
    )
    response = client.get(SEARCH_URL, {"q": "festival"})
    text = response.content.decode()
    assert "<mark>festival</mark>" in text
    assert "Fish &amp; chips &lt;script&gt;x()&lt;/script&gt; <mark>festival</mark>" in text
    assert "A &lt;b&gt;bold&lt;/b&gt; <mark>festival</mark>" in text
    assert "<script>x()" not in text
    assert "onerror" not in text  # raw HTML in the Markdown is dropped from snippets
    assert "<b>" not in text
    assert "**" not in text  # Markdown markers are not shown in snippets


def test_marks_in_the_source_text_cannot_open_tags():
    html = search.marked_html("a \ufdd0<b>hit</b>\ufdd1 b \ufdd1 stray \ufdd0")
    assert html == "a <mark>&lt;b&gt;hit&lt;/b&gt;</mark> b  stray "


def test_snippet_shows_the_text_around_the_first_hit(editor):
    body = " ".join(f"word{n}" for n in range(200)) + " lighthouse " + "tail " * 50
    published(editor, slug="long", headline="A long story", body=body)
    (hit,) = search.search("lighthouse").hits
    assert "<mark>lighthouse</mark>" in hit.snippet
    assert hit.snippet.startswith("… ")
    assert "word0 " not in hit.snippet


# -- pages -----------------------------------------------------------------------------


def test_results_are_paginated_and_keep_the_query(client, editor):
    for n in range(search.RESULTS_PER_PAGE + 2):
        published(editor, slug=f"tide-{n}", headline=f"Tide report {n}", body="High tide.")
    first = search.search("tide", 1)
    second = search.search("tide", 2)
    assert len(first.hits) == search.RESULTS_PER_PAGE
    assert len(second.hits) == 2
    assert first.total == search.RESULTS_PER_PAGE + 2
    assert not {hit.slug for hit in first.hits} & {hit.slug for hit in second.hits}

    response = client.get(SEARCH_URL, {"q": "tide"})
    assert 'href="/search/?q=tide&amp;page=2"' in response.content.decode()
    assert client.get(SEARCH_URL, {"q": "tide", "page": "3"}).status_code == 404
    assert client.get(SEARCH_URL, {"q": "tide", "page": "x"}).status_code == 404


@pytest.mark.parametrize("query", [None, "", "   ", "!!!"])
def test_a_search_for_nothing_has_one_page_like_a_search_that_finds_nothing(client, editor, query):
    """Page 1 of an empty search shows the form; later pages are 404, as they are for a
    search with no hits or fewer pages (``search.search``'s docstring)."""
    published(editor, slug="ferry", headline="Ferry fares rise")
    params = {} if query is None else {"q": query}

    first = client.get(SEARCH_URL, params)
    assert first.status_code == 200
    assert 'id="search-q"' in first.content.decode()
    assert client.get(SEARCH_URL, {**params, "page": "1"}).status_code == 200
    for page in ("2", "999999"):
        assert client.get(SEARCH_URL, {**params, "page": page}).status_code == 404, page
        assert client.get(SEARCH_URL, {"q": "nothing", "page": page}).status_code == 404
        assert client.get(SEARCH_URL, {"q": "ferry", "page": page}).status_code == 404
    assert client.get(SEARCH_URL, {"q": "nothing"}).status_code == 200
    assert client.get(SEARCH_URL, {"q": "ferry"}).status_code == 200


def test_a_search_runs_a_fixed_number_of_queries(editor, django_assert_max_num_queries):
    for n in range(5):
        published(editor, slug=f"storm-{n}", headline=f"Storm update {n}", body="Wind.")
    with django_assert_max_num_queries(3):
        results = search.search("storm")
    assert len(results.hits) == 5


def test_the_search_page_is_public_cacheable_and_not_indexed(client, editor):
    published(editor, slug="pier", headline="Pier reopens")
    response = client.get(SEARCH_URL, {"q": "pier"})
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, follow">' in response.content.decode()
    assert 'value="pier"' in response.content.decode()


def test_a_publish_shows_up_in_cached_results_at_once(
    client, editor, django_capture_on_commit_callbacks
):
    before = client.get(SEARCH_URL, {"q": "lighthouse"})
    assert "No published story matches" in before.content.decode()
    assert client.get(SEARCH_URL, {"q": "lighthouse"})["X-Reader-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        published(editor, slug="lighthouse", headline="Lighthouse restored")
    response = client.get(SEARCH_URL, {"q": "lighthouse"})
    assert "<mark>Lighthouse</mark> restored" in response.content.decode()


def test_search_is_read_only(client, editor):
    """Search answers GET and HEAD only. A browser's POST without a CSRF token (a forged
    cross-site form) is refused by the CSRF check (403); one with a valid token, or from a
    client exempt from the check, reaches the view and is refused there (405). None of
    them runs a search or leaves a page in the cache."""
    published(editor, slug="pier", headline="Pier reopens")
    query = {"q": "pier"}
    revisions = Revision.objects.count()

    assert client.post(SEARCH_URL, query).status_code == 405
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(SEARCH_URL, query).status_code == 403
    token = get_random_string(32)
    browser.cookies[settings.CSRF_COOKIE_NAME] = token
    refused = browser.post(SEARCH_URL, query, headers={"X-CSRFToken": token})
    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD"

    assert Revision.objects.count() == revisions
    first = browser.get(SEARCH_URL, query)
    assert first.status_code == 200
    assert first["X-Reader-Cache"] == "miss", "no POST rendered or cached the results"
    assert "<mark>Pier</mark> reopens" in first.content.decode()
    assert browser.head(SEARCH_URL, query).status_code == 200


# -- PostgreSQL: ranking, stemming and the index ---------------------------------------


@pytest.mark.postgres
def test_headline_match_ranks_above_a_body_only_match(editor):
    published(
        editor,
        slug="headline-match",
        headline="Seawall repairs approved",
        body="The council voted on Tuesday.",
    )
    # Published later, so recency alone would put it first.
    published(
        editor,
        slug="body-match",
        headline="Council round-up",
        body="Among other business, the seawall came up briefly.",
    )
    assert found("seawall") == ["headline-match", "body-match"]


@pytest.mark.postgres
def test_dek_match_ranks_between_headline_and_body(editor):
    published(editor, slug="body", headline="Round-up", body="Tolls on the causeway rise.")
    published(editor, slug="dek", headline="Budget", dek="Causeway tolls rise in spring.")
    published(editor, slug="head", headline="Causeway tolls rise", body="From April.")
    assert found("causeway") == ["head", "dek", "body"]


@pytest.mark.postgres
def test_words_match_by_stem_and_phrases_work(editor):
    published(editor, slug="floods", headline="Streets flooded overnight", body="Water rose.")
    assert found("flooding") == ["floods"]
    assert found('"streets flooded"') == ["floods"]
    assert found('"flooded streets"') == []
    assert found("flooding -water") == []


@pytest.mark.postgres
def test_the_gin_index_exists_on_the_stored_search_document():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'stories_revision' "
            "AND indexname = 'stories_revision_search'"
        )
        (definition,) = cursor.fetchone()
        cursor.execute(
            "SELECT data_type, is_generated, generation_expression "
            "FROM information_schema.columns "
            "WHERE table_name = 'stories_revision' AND column_name = 'search_document'"
        )
        data_type, generated, expression = cursor.fetchone()
    assert "USING gin (search_document)" in definition
    assert (data_type, generated) == ("tsvector", "ALWAYS")
    assert "setweight(to_tsvector('english'::regconfig" in expression


@pytest.mark.postgres
def test_the_document_is_computed_when_a_revision_is_written(editor):
    story = published(editor, slug="kelp", headline="Kelp farm", dek="Seaweed", body="Ropes.")
    assert stored_document(story) == "'farm':2A 'kelp':1A 'rope':4C 'seawe':3B"


def stored_document(story) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document::text FROM stories_revision WHERE id = %s",
            [story.latest_revision_id],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_the_search_query_can_use_the_gin_index(editor):
    """With a handful of rows the planner prefers other plans; with sequential scans off,
    the GIN index is the only way left to answer ``document @@ query``."""
    published(editor, slug="harbor", headline="Harbor plan")
    query = search.SearchQuery("harbor", search_type="websearch", config=search.SEARCH_CONFIG)
    matching = Revision.objects.annotate(document=search.search_document()).filter(document=query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = matching.explain()
    assert "Bitmap Index Scan on stories_revision_search" in plan
    assert [revision.headline for revision in matching] == ["Harbor plan"]


@pytest.mark.postgres
def test_postgres_search_runs_on_the_server(editor):
    published(editor, slug="dune", headline="Dune restoration")
    with CaptureQueriesContext(connection) as queries:
        search.search("dune")
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "websearch_to_tsquery" in sql
    assert "ts_rank" in sql
    assert "ts_headline" in sql


# -- bylines and credited names ---------------------------------------------------------------


def credited(editor, name: str, role: str = "byline", **fields):
    story = StoryFactory(**fields)
    CreditFactory(story=story, contributor=ContributorFactory(name=name), role=role)
    publish(approved(story), user=editor)
    return story


def test_a_story_is_found_by_its_authors_name(editor):
    credited(editor, "June Okafor", slug="by-june", headline="Tide tables", body="High water.")
    credited(editor, "Marco Bellini", slug="by-marco", headline="Ferry fares", body="Up 5%.")

    assert found("June Okafor") == ["by-june"]
    assert found("okafor") == ["by-june"]


def test_every_credited_name_is_searched_not_only_the_byline(editor):
    credited(editor, "Ana Ruiz", role="photography", slug="photo", headline="Dunes", body="Sand.")

    assert found("Ruiz") == ["photo"]


def test_a_name_in_the_text_ranks_above_a_name_in_the_credits(editor):
    mentioned = published(
        editor, slug="mentioned", headline="Mayor thanks Okafor", body="A speech."
    )
    credited(editor, "June Okafor", slug="credited", headline="Budget", body="Numbers.")

    # The credited story is the newer one: recency alone would put it first.
    assert found("Okafor") == [mentioned.slug, "credited"]


def test_the_tagline_words_around_names_are_not_searched(editor):
    credited(editor, "Dev Patel", role="contributed", slug="tagged", headline="Pier", body="Wood.")

    assert found("Patel") == ["tagged"]
    assert found("contributed report") == []


@pytest.mark.postgres
def test_credited_names_are_in_the_stored_document_at_the_lowest_weight(editor):
    story = credited(editor, "June Okafor", slug="kelp", headline="Kelp", dek="", body="Ropes.")
    # Weight D is PostgreSQL's default, written without a letter.
    assert stored_document(story) == "'june':3 'kelp':1A 'okafor':4 'rope':2C"
