"""What the origin tells the edge: surrogate keys and Cache-Control on every public answer
and on no private one, the keys each change concerns, and the purge tasks. In-process,
with no edge running (tests/test_edge.py runs real ones)."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from stories import editing, publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.edge import concerned, headers, keys, purging
from stories.models import Section
from stories.reader import caching
from tests.factories import approved
from tests.outage import free_port
from tests.readerpages import at, make_story, publish, published_story


def answer_keys(response) -> set[str]:
    assert response[headers.XKEY] == response[headers.SURROGATE_KEY]
    return headers.response_keys(response)


@pytest.fixture
def corrected(editor):
    """A story with a byline and a correction, in its own section."""
    story = published_story(
        editor, credits=[("June Okafor", CreditRole.BYLINE, "")], headline="King tide"
    )
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed the date.")
    return story


# -- the keys of public answers --------------------------------------------------------------


def test_every_public_answer_names_what_it_shows(client, corrected):
    story = corrected
    own = keys.story(story.public_id)
    section = story.section
    contributor = story.credits.get().contributor
    expected = {
        story.get_absolute_url(): {own, keys.SECTION_MENU},
        reverse("reader:history", args=[story.slug]): {own, keys.SECTION_MENU},
        reverse("reader:revision", args=[story.slug, 1]): {own, keys.SECTION_MENU},
        reverse("reader:compare", args=[story.slug, 1, 2]): {own, keys.SECTION_MENU},
        reverse("reader:story_record", args=[story.slug]): {own},
        "/": {keys.LATEST, keys.SECTION_MENU},
        section.get_absolute_url(): {keys.section(section.slug), keys.SECTION_MENU},
        reverse("reader:section_feed_atom", args=[section.slug]): {keys.section(section.slug)},
        contributor.get_absolute_url(): {keys.contributor(contributor.slug), keys.SECTION_MENU},
        reverse("reader:corrections"): {keys.CORRECTIONS, keys.SECTION_MENU},
        reverse("reader:corrections_feed"): {keys.CORRECTIONS},
        reverse("reader:feed_rss"): {keys.LATEST},
        "/sitemap.xml": {keys.SITEMAPS},
        "/sitemap-news.xml": {keys.SITEMAPS},
        "/search/?q=tide": {keys.SEARCH, keys.SECTION_MENU},
        reverse("reader:log_head"): {keys.LOG},
        reverse("reader:log_entries"): {keys.LOG},
        reverse("reader:corrections_policy"): {keys.SECTION_MENU},
        "/robots.txt": set(),
        reverse("reader:log_public_key"): set(),
    }
    for url, shown in expected.items():
        for how in ("rendered", "from the reader cache"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert answer_keys(response) == shown | {keys.SITE}, (url, how)
            assert "public" in response["Cache-Control"], url


def test_a_cache_hit_carries_its_keys_without_a_query(client, corrected, django_assert_num_queries):
    url = corrected.get_absolute_url()
    rendered = client.get(url)
    with django_assert_num_queries(0):
        hit = client.get(url)
    assert hit["X-Reader-Cache"] == "hit"
    assert answer_keys(hit) == answer_keys(rendered)


def test_a_withdrawn_storys_410_is_public_and_names_the_story(client, corrected, editor):
    publishing.withdraw(
        approved(corrected, purpose="withdraw"),
        user=editor,
        public_note="Withdrawn for a legal review.",
    )
    response = client.get(corrected.get_absolute_url())
    assert response.status_code == 410
    assert keys.story(corrected.public_id) in answer_keys(response)
    assert "s-maxage" in response["Cache-Control"]


def test_private_and_failed_answers_name_no_key(client, client_for, corrected, editor, story):
    not_modified = client.get(
        corrected.get_absolute_url(),
        headers={"if-none-match": client.get(corrected.get_absolute_url())["ETag"]},
    )
    assert not_modified.status_code == 304
    assert headers.XKEY not in not_modified, "a 304's keys would replace the stored copy's"
    answers = {
        "404": client.get("/stories/no-such-story/"),
        "draft": client.get(story.get_absolute_url()),
        "report form": client.get(reverse("reader:report", args=[corrected.slug])),
        "preview": client_for(editor).get(reverse("reader:preview", args=[corrected.slug])),
        "admin": client_for(editor).get("/admin/"),
        "health": client.get("/health/live/"),
    }
    for name, response in answers.items():
        assert headers.XKEY not in response, name
        assert headers.SURROGATE_KEY not in response, name
        assert "s-maxage" not in response.get("Cache-Control", ""), name


def test_a_server_error_is_never_kept(rf):
    from newsroom.outages import server_error

    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert response["Cache-Control"] == "no-store"


def test_public_pages_do_not_vary_by_reader(corrected, editor):
    """A logged-in editor gets the bytes every reader gets: nothing on a public page
    depends on who asks, so the edge may strip cookies and serve one copy to all."""
    as_editor = Client()
    as_editor.force_login(editor)
    story = corrected
    urls = [
        story.get_absolute_url(),
        reverse("reader:history", args=[story.slug]),
        "/",
        story.section.get_absolute_url(),
        reverse("reader:corrections"),
        "/search/?q=tide",
        reverse("reader:feed_atom"),
    ]
    for url in urls:
        caching.invalidate_all()
        editors = as_editor.get(url)
        caching.invalidate_all()
        readers = Client().get(url)
        assert editors.content == readers.content, url
        assert "Cookie" not in editors.get("Vary", ""), url
        assert not editors.cookies, url


# -- the keys a change concerns ----------------------------------------------------------


def test_a_first_publication_concerns_its_lists_and_the_menu(editor):
    story = make_story([("June Okafor", CreditRole.BYLINE, "")])
    revision = publish(story, editor, when=at(0))
    slug = story.credits.get().contributor.slug

    assert concerned.published(story, revision) == {
        keys.story(story.public_id),
        keys.LATEST, keys.SITEMAPS, keys.SEARCH, keys.LOG,
        keys.section(story.section.slug),
        keys.contributor(slug), keys.CONTRIBUTORS,
        keys.SECTION_MENU, keys.SECTIONS,  # its section is new to the menu
    }  # fmt: skip


def test_a_correction_concerns_the_corrections_not_the_menu(editor, corrected):
    contributor = corrected.credits.get().contributor.slug
    revision = publish(corrected, editor, when=at(2), kind=RevisionKind.UPDATE, note="More.")

    assert concerned.published(corrected, revision) == {
        keys.story(corrected.public_id),
        keys.LATEST, keys.SITEMAPS, keys.SEARCH, keys.LOG, keys.CORRECTIONS,
        keys.section(corrected.section.slug), keys.contributor(contributor),
    }  # fmt: skip


def test_a_minor_edit_of_a_story_never_corrected_leaves_the_corrections(editor):
    story = published_story(editor, credits=[])
    revision = publish(story, editor, when=at(1), kind=RevisionKind.MINOR, dek="Typo fixed.")
    assert keys.CORRECTIONS not in concerned.published(story, revision)


def test_a_move_concerns_both_sections_and_the_people_credited_before(editor):
    story = published_story(editor, credits=[("June Okafor", CreditRole.BYLINE, "")])
    neighbour = published_story(editor, credits=[])
    old_section, old_credit = story.section, story.credits.get()
    old_credit.delete()
    revision = publish(
        story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Moved.",
        section=neighbour.section,
    )  # fmt: skip

    found = concerned.published(story, revision)

    assert {keys.section(old_section.slug), keys.section(neighbour.section.slug)} <= found
    assert {keys.contributor(old_credit.contributor.slug), keys.CONTRIBUTORS} <= found
    assert keys.SECTION_MENU in found, "the old section has no live story left"


def test_a_withdrawal_takes_the_story_off_every_list(editor, corrected):
    other = published_story(editor, credits=[], section=corrected.section)
    revision = publishing.withdraw(
        approved(corrected, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )
    found = concerned.published(corrected, revision)
    assert {keys.story(corrected.public_id), keys.LATEST, keys.CORRECTIONS} <= found
    assert keys.section(corrected.section.slug) in found
    assert keys.SECTION_MENU not in found, f"{other.section} still has a live story"


def test_removals_and_profile_edits_concern_their_own_pages_only(corrected):
    contributor = corrected.credits.get().contributor
    assert concerned.removed(corrected) == {keys.story(corrected.public_id)}
    assert concerned.profile_changed(corrected.section) == {
        keys.section(corrected.section.slug),
        keys.SECTIONS,
    }
    assert concerned.profile_changed(contributor) == {
        keys.contributor(contributor.slug),
        keys.CONTRIBUTORS,
    }


def test_keys_are_single_words_whatever_the_slug():
    assert keys.section("économie") == "section-%C3%A9conomie"
    assert keys.story("6f1c2a6e-0d7b-4c1f-9a43-1f3f0f4a5b6c") == (
        "story-6f1c2a6e0d7b4c1f9a431f3f0f4a5b6c"
    )
    with pytest.raises(ValueError):
        keys.story("not-a-uuid")


# -- purging -------------------------------------------------------------------------------


def test_without_edges_nothing_is_worked_out_or_sent(
    editor, corrected, settings, django_assert_num_queries
):
    settings.EDGE_PURGE_URLS = []
    revision = corrected.latest_revision
    with django_assert_num_queries(0):
        purging.on_revision_published(sender=None, story=corrected, revision=revision)
    assert purging.purge({keys.LATEST}) == 0


def test_each_change_enqueues_one_purge_per_edge_after_it_commits(
    transactional_db, editor, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EDGE_PURGE_URLS = ["http://edge-1.internal/", "http://edge-2.internal/"]
    story = make_story([("June Okafor", CreditRole.BYLINE, "")])

    publishing.publish(approved(story), user=editor)
    section = Section.objects.get(pk=story.section_id)
    section.description = "Boats and tides."
    editing.save_section(section, user=editor, reason="A description.")

    queued = [task.args_kwargs["args"] for task in DBTaskResult.objects.order_by("enqueued_at")]
    assert [args[0] for args in queued] == settings.EDGE_PURGE_URLS * 2
    assert keys.story(story.public_id) in queued[0][1]
    assert queued[2][1] == sorted({keys.section(section.slug), keys.SECTIONS})


def test_a_failed_purge_is_retried_later_until_the_edge_answers(transactional_db, settings, caplog):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    closed = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    settings.EDGE_PURGE_URLS = [closed]

    assert purging.purge({keys.LATEST}) == 1
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    first = DBTaskResult.objects.get(status="FAILED")
    assert "ConnectionRefusedError" in first.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][0] == closed and retry.args_kwargs["args"][3] == 2
    assert (retry.run_after - first.finished_at).total_seconds() >= purging.RETRY_DELAYS[0] - 0.5

    # Past the edge's own keep, a stale copy cannot be left: the worker gives up.
    DBTaskResult.objects.all().delete()
    settings.EDGE_MAX_AGE = 60
    purging.purge_edge.enqueue(closed, [keys.LATEST], time.time() - 61)
    with caplog.at_level(logging.ERROR, logger="stories.edge.purging"):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert "Giving up the purge of latest" in caplog.text


def test_a_deploy_purges_every_page_on_every_edge(transactional_db, settings):
    """``make serve`` runs ``invalidate_reader_cache``: new templates reach the edges too."""
    from io import StringIO

    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EDGE_PURGE_URLS = ["http://edge-1.internal/", "http://edge-2.internal/"]
    out = StringIO()
    call_command("invalidate_reader_cache", stdout=out)

    assert "purged on 2 edge(s)" in out.getvalue()
    queued = [task.args_kwargs["args"] for task in DBTaskResult.objects.all()]
    assert sorted((args[0], args[1]) for args in queued) == [
        ("http://edge-1.internal/", [keys.SITE]),
        ("http://edge-2.internal/", [keys.SITE]),
    ]
