"""Management commands: demo data, scheduled publishing, chain verification, roles."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import ErrorReport, Revision, Story
from stories.record.integrity import verify_story
from stories.roles import EDITOR, REPORTER
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
    assert "Loaded 3 demo stories." in out
    assert "editor / newsroom-demo  (editor: drafts, publishes and withdraws)" in out
    assert "reporter / newsroom-demo  (reporter: drafts only)" in out

    kinds = set(Revision.objects.values_list("kind", flat=True))
    assert {
        RevisionKind.FIRST,
        RevisionKind.UPDATE,
        RevisionKind.CORRECTION,
        RevisionKind.MINOR,
    } <= kinds
    for story in Story.objects.all():
        assert verify_story(story) == []
        assert story.credits.count() == 4
        # Every demo story has a lead image, credited to its photographer.
        assert story.latest_revision.image["credit"] == "Ana Ruiz / Coastal Ledger"
        assert {row.history_user.username for row in story.history.all()} == {"editor"}
    # A reader's report waits in the desk's queue.
    report = ErrorReport.objects.get()
    assert (report.story.slug, report.status) == ("eastside-library-expansion-approved", "new")
    ferry = Story.objects.get(slug="ferry-trims-winter-evening-sailings")
    assert "Draft: the board meets again" in ferry.body
    assert "Draft: the board meets again" not in ferry.latest_revision.body

    # One story's photo was replaced after publication: its comparison shows it.
    tide = Story.objects.get(slug="king-tide-swamps-pier-road")
    first, last = tide.revisions.get(number=1), tide.latest_revision
    assert first.picture_id != last.picture_id and last.kind == RevisionKind.UPDATE

    out, _ = run("load_demo")
    assert "already loaded" in out
    assert Story.objects.count() == 3


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
    publishing.schedule(story, user=editor, at=timezone.now() + timedelta(hours=1))
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
    publishing.publish(story, user=editor)
    out, _ = run("verify_revisions")
    assert out.strip() == "1 stories verified, 1 log entries"

    sql("UPDATE stories_revision SET body = 'edited behind our back'")
    with pytest.raises(CommandError, match="1 problems found"):
        run("verify_revisions")


def test_log_public_key_prints_the_key_that_signs_the_tree_heads(story, editor):
    from stories.record import signing

    out, _ = run("log_public_key")
    assert out == f"{signing.public_key_hex()}\n"
    publishing.publish(story, user=editor)
    out, _ = run("log_public_key", "--tree-head")
    assert out.splitlines()[1].startswith("tree head: 1 entries, root ")
