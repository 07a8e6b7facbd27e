"""Management commands: demo data, scheduled publishing, chain verification, roles."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import ErrorReport, Revision, Story
from stories.record.integrity import verify_story
from stories.roles import EDITOR, REPORTER
from tests.factories import approved
from tests.tampering import owner_test, sql


def run(name, *args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_demo_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="NEWSROOM_DEMO=1"):
        run("load_demo")
    assert not Story.objects.exists()


def test_load_demo_publishes_through_the_service_and_is_idempotent(db, settings):
    settings.DEMO_MODE = True
    out, _ = run("load_demo")
    assert "Loaded 4 demo stories." in out
    assert "editor / newsroom-demo  (editor: drafts, publishes and withdraws)" in out
    assert "reporter / newsroom-demo  (reporter: drafts only)" in out

    kinds = set(Revision.objects.values_list("kind", flat=True))
    assert {
        RevisionKind.FIRST,
        RevisionKind.UPDATE,
        RevisionKind.CORRECTION,
        RevisionKind.MINOR,
    } <= kinds
    # Three stories are published; the fourth waits for its time (see below).
    assert Story.objects.public().count() == 3
    for story in Story.objects.public():
        assert verify_story(story) == []
        assert story.credits.count() == 4
        # Every demo story has a lead image, credited to its photographer.
        assert story.latest_revision.image["credit"] == "Ana Ruiz / Coastal Ledger"
        drafted = {"reporter"} if story.slug == "ferry-trims-winter-evening-sailings" else set()
        assert {row.history_user.username for row in story.history.all()} == {"editor", *drafted}
    # A reader's report waits in the desk's queue.
    report = ErrorReport.objects.get()
    assert (report.story.slug, report.status) == ("eastside-library-expansion-approved", "new")
    ferry = Story.objects.get(slug="ferry-trims-winter-evening-sailings")
    assert "Draft: the board meets again" in ferry.body
    assert "Draft: the board meets again" not in ferry.latest_revision.body
    # The reporter's draft line waits, marked, for the next update.
    assert publishing.unpublished_edits(ferry).summary == "1 edit by Rui Santos"

    # One story's photo was replaced after publication: its comparison shows it.
    tide = Story.objects.get(slug="king-tide-swamps-pier-road")
    first, last = tide.revisions.get(number=1), tide.latest_revision
    assert first.picture_id != last.picture_id and last.kind == RevisionKind.UPDATE

    out, _ = run("load_demo")
    assert "already loaded" in out
    # Three published, one waiting for its time, one waiting in review.
    assert Story.objects.count() == 5


def test_the_demo_has_a_partner_key_and_says_how_to_call_the_api(
    transactional_db, settings, client, mailoutbox
):
    import json

    from stories.management.demo import DEMO_API_KEY
    from stories.partners import keys

    settings.DEMO_MODE = True
    # Committed for real, as make run does: the desk's emails go when their step commits.
    out, _ = run("load_demo", "--site", "http://127.0.0.1:8123")
    assert keys.authenticate(DEMO_API_KEY) is not None
    assert "curl http://127.0.0.1:8123/api/v1/stories" in out
    # The desk's emails sent while loading link to the demo's own address too.
    assert mailoutbox, "the demo's comments notify the people in the review"
    links = {link for mail in mailoutbox for link in re.findall(r"https?://\S+", mail.body)}
    assert links and all(link.startswith("http://127.0.0.1:8123/") for link in links), links
    story = Story.objects.order_by("pk").first()
    call = f"curl -H 'Authorization: Bearer {DEMO_API_KEY}' http://127.0.0.1:8123/api/v1/stories/{story.public_id}/ninjs"
    assert call in out
    answer = client.get(
        f"/api/v1/stories/{story.public_id}/ninjs", HTTP_AUTHORIZATION=f"Bearer {DEMO_API_KEY}"
    )
    assert json.loads(answer.content)["uri"] == f"urn:uuid:{story.public_id}"
    out, _ = run("load_demo")  # again: the same key, still known
    assert keys.authenticate(DEMO_API_KEY) is not None


def test_the_demo_shows_a_story_in_review_with_comments_and_a_second_editor(db, settings):
    from stories import reviewing
    from stories.desk import comments
    from stories.models import ReviewState, ReviewStep

    settings.DEMO_MODE = True
    out, _ = run("load_demo")

    assert "editor2 / newsroom-demo  (editor: drafts, publishes and withdraws)" in out
    assert "log in as editor2" in out and "1 story waits in review" in out
    waiting = Story.objects.get(latest_revision__isnull=True, status=Story.Status.DRAFT)
    review = reviewing.open_review(waiting)
    assert review.state == ReviewState.IN_REVIEW and review.priority == "high"
    assert review.submitted_by.username == "reporter" and review.due_at is not None
    assert {user.username for user in reviewing.reviewers_of(review)} == {"editor", "editor2"}
    threads = comments.threads(waiting)
    assert [thread.anchor.state for thread in threads] == ["here", "here", "story"]
    assert threads[0].comment.quote == "for six weeks" and len(threads[0].replies) == 1
    # Every published version was approved by a second editor before it went out.
    published = ReviewStep.objects.filter(action=ReviewStep.Action.PUBLISHED)
    assert published.count() == Revision.objects.count()
    assert not ReviewStep.objects.filter(
        action=ReviewStep.Action.APPROVED, actor__username="editor"
    ).exists()


def test_demo_users_have_their_roles(db, settings):
    from django.contrib.auth import get_user_model

    settings.DEMO_MODE = True
    run("load_demo")
    User = get_user_model()
    editor, reporter = User.objects.get(username="editor"), User.objects.get(username="reporter")
    assert editor.groups.filter(name=EDITOR).exists() and editor.has_perm("stories.publish_story")
    assert reporter.groups.filter(name=REPORTER).exists()
    assert reporter.has_perm("stories.change_story") and not reporter.has_perm(
        "stories.publish_story"
    )
    assert editor.check_password("newsroom-demo")


def test_publish_scheduled_command(story, editor):
    publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(hours=1))
    out, _ = run("publish_scheduled")
    assert out.strip() == "nothing due"

    Story.objects.filter(pk=story.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    out, _ = run("publish_scheduled")
    assert out.strip() == f"published {story.slug} (version 1)"
    out, _ = run("publish_scheduled")
    assert out.strip() == "nothing due"
    assert story.revisions.get().published_by.username == "newsroom-system"


def test_publish_scheduled_with_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("publish_scheduled", "--as", "nobody")


@owner_test
def test_verify_revisions_reports_tampering(story, editor):
    publishing.publish(approved(story), user=editor)
    out, _ = run("verify_revisions")
    assert out.strip() == "1 stories verified, 1 log entries"

    sql("UPDATE stories_revision SET body = 'edited behind our back'")
    with pytest.raises(CommandError, match="1 problems found"):
        run("verify_revisions")


def test_log_public_key_prints_the_key_that_signs_the_tree_heads(story, editor):
    from stories.record import signing

    out, _ = run("log_public_key")
    assert out == f"{signing.public_key_hex()}\n"
    publishing.publish(approved(story), user=editor)
    out, _ = run("log_public_key", "--tree-head")
    assert out.splitlines()[1].startswith("tree head: 1 entries, root ")


def test_the_demo_schedules_a_story_that_publishes_on_time(db, settings):
    settings.DEMO_MODE = True
    before = timezone.now()
    out, _ = run("load_demo", "--schedule-in", "90")
    after = timezone.now()

    scheduled = Story.objects.get(status=Story.Status.SCHEDULED)
    assert "Loaded 4 demo stories." in out
    assert f"“{scheduled.headline}” is scheduled for " in out
    due = scheduled.scheduled_at
    assert before + timedelta(seconds=90) <= due <= after + timedelta(seconds=90)

    assert publishing.publish_due(now=due - timedelta(seconds=1)).published == []
    run_at_due = publishing.publish_due(now=due)

    assert [revision.story_id for revision in run_at_due.published] == [scheduled.pk]
    assert run_at_due.published[0].published_at == due


def test_the_demo_server_runs_the_scheduler_in_its_own_process(db, monkeypatch):
    """serve_demo starts the scheduler in the process that serves, then serves. The
    thread is not started here: on its own connection it would write to the test
    database outside the test's transaction (the make run journey runs it for real)."""
    from django.core.management.commands import runserver

    from stories.management import scheduler
    from stories.management.commands.serve_demo import Command

    events = []
    monkeypatch.setattr(
        runserver.Command, "inner_run", lambda self, *a, **o: events.append("serve")
    )
    monkeypatch.setattr(scheduler.Scheduler, "start", lambda thread: events.append(thread))
    out = StringIO()
    command = Command(stdout=out)
    command.addr, command.port, command._raw_ipv6 = "127.0.0.1", "8123", False  # as handle() sets

    command.inner_run(publish_every=30.0, use_threading=True)

    started, served = events
    assert isinstance(started, scheduler.Scheduler) and served == "serve", "first the scheduler"
    assert started.every == 30.0 and started.daemon, "it ends with the server's process"
    assert started.site == "http://127.0.0.1:8123", "what it publishes links to this server"
    assert "Publishing scheduled stories when they are due (every 30 seconds)." in out.getvalue()


def test_the_scheduler_builds_links_to_the_address_it_was_given(monkeypatch):
    """A thread starts with no request's address: emails and webhooks its publishes send
    would link to the fallback port, not to the one the demo serves on."""
    from types import SimpleNamespace

    from stories import addresses
    from stories.management import scheduler as module
    from stories.management.scheduler import Scheduler

    # No database here: the loop's connection housekeeping has nothing to do.
    monkeypatch.setattr(module, "close_old_connections", lambda: None)
    monkeypatch.setattr(module, "connection", SimpleNamespace(close=lambda: None))
    seen = []
    scheduler = Scheduler(every=60, say=seen.append, site="http://127.0.0.1:8123")

    def once():
        seen.append(addresses.site_root())
        scheduler.stopped.set()

    monkeypatch.setattr(scheduler, "run_once", once)
    scheduler.run()
    assert seen == ["http://127.0.0.1:8123"]
    assert addresses.site_root() == addresses.FALLBACK_ROOT  # only inside the thread's run


def test_the_scheduler_publishes_what_is_due_and_says_so(story, editor):
    from stories.management.scheduler import Scheduler

    publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(hours=1))
    said = []
    scheduler = Scheduler(every=60, say=said.append)

    assert scheduler.run_once().published == [] and said == []
    Story.objects.filter(pk=story.pk).update(scheduled_at=timezone.now() - timedelta(seconds=5))
    run_due = scheduler.run_once()

    assert [revision.story_id for revision in run_due.published] == [story.pk]
    assert len(said) == 1 and said[0].startswith(f"Published “{story.headline}” at ")
    assert "(due at " in said[0]
