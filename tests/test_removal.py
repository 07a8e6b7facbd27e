"""Removing published content for a legal reason: superusers only, through the one
logged path past the triggers, and it leaves a public trace."""

import logging
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import ContentRemoval, Revision, Story
from stories.record import append_only, privileges, removal, transparency
from tests.tampering import owner_test
from tests.test_outside_verifier import verify

NOTE = "Removed by order of the district court."
REASON = "Court order 2025-117, defamation claim."


@pytest.fixture
def updated(story, editor):
    """Version 1 held a defamatory sentence; version 2, live, no longer does."""
    story.body = "The council met. The mayor took bribes."
    story.save()
    publishing.publish(story, user=editor)
    story.body = "The council met."
    story.save()
    publishing.publish(
        story, user=editor, kind=RevisionKind.CORRECTION, public_note="Removed a claim."
    )
    return Story.objects.get(pk=story.pk)


@pytest.fixture
def chief(editor):
    editor.is_superuser = True
    editor.save()
    return editor


def test_only_a_superuser_may_remove_content(updated, editor):
    with pytest.raises(PermissionDenied, match="editor is not a superuser"):
        removal.remove_content(updated, [1], user=editor, public_note=NOTE, internal_reason=REASON)
    with pytest.raises(CommandError, match="editor is not a superuser"):
        call_command(
            "remove_version_content", updated.slug, "1", "--as", "editor", "--note", NOTE,
            "--reason", REASON,
        )  # fmt: skip
    assert not ContentRemoval.objects.exists()


@owner_test
def test_the_live_version_and_missing_notes_are_refused(updated, chief):
    with pytest.raises(ValidationError, match="Version 2 is what readers see now"):
        removal.remove_content(updated, [2], user=chief, public_note=NOTE, internal_reason=REASON)
    with pytest.raises(ValidationError) as excinfo:
        removal.remove_content(updated, [1], user=chief, public_note="", internal_reason="")
    assert set(excinfo.value.message_dict) == {"public_note", "internal_reason"}
    with pytest.raises(ValidationError, match="has no version 7"):
        removal.remove_content(updated, [7], user=chief, public_note=NOTE, internal_reason=REASON)


@owner_test
def test_removal_blanks_the_text_keeps_the_record_and_leaves_a_public_trace(
    updated, chief, client, caplog, django_capture_on_commit_callbacks
):
    history_url = reverse("reader:history", args=[updated.slug])
    assert "Content removed" not in client.get(history_url).content.decode()  # now cached
    out = StringIO()
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        call_command(
            "remove_version_content", updated.slug, "1", "--as", "editor", "--note", NOTE,
            "--reason", REASON, stdout=out,
        )  # fmt: skip

    assert out.getvalue().strip() == f"removed the content of {updated.slug} version 1"
    assert f"content of {updated.slug} version(s) 1 removed by editor: {REASON}" in caplog.text
    version = Revision.objects.get(story=updated, number=1)
    assert (version.body, version.headline, version.credits) == ("", "", [])
    assert "bribes" not in str(Revision.history.filter(id=version.pk).values_list("body"))
    trace = ContentRemoval.objects.get()
    assert (trace.revision, trace.public_note, trace.internal_reason, trace.removed_by) == (
        version,
        NOTE,
        REASON,
        chief,
    )

    # The public history says so (at once, though the page was cached) and so does the version.
    history = client.get(history_url).content.decode()
    assert "Content removed" in history and NOTE in history
    page = client.get(reverse("reader:revision", args=[updated.slug, 1])).content.decode()
    assert NOTE in page and "bribes" not in page
    record = client.get(reverse("reader:story_record", args=[updated.slug])).json()
    assert record["versions"][0]["removed"]["note"] == NOTE
    assert "payload" not in record["versions"][0]

    # The record still verifies, the triggers are back, the log is untouched.
    assert transparency.verify_site() == []
    assert Revision._meta.db_table in append_only.guarded_tables(connection)
    owner = privileges.owner_alias()
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(using=owner),
        connections[owner].cursor() as cursor,
    ):
        cursor.execute("UPDATE stories_revision SET body = 'again' WHERE id = %s", [version.pk])
    with pytest.raises(ValidationError, match="was removed already"):
        removal.remove_content(updated, [1], user=chief, public_note=NOTE, internal_reason=REASON)


@owner_test
def test_the_outside_verifier_reports_the_removal_and_passes(live_server, story, editor):
    story.body = "The mayor took bribes."
    story.save()
    publishing.publish(story, user=editor)
    publishing.publish(story, user=editor, kind=RevisionKind.UPDATE, public_note="New text.")
    editor.is_superuser = True
    editor.save()
    removal.remove_content(story, [1], user=editor, public_note=NOTE, internal_reason=REASON)

    result = verify(live_server)

    assert result.returncode == 0, result.stderr
    assert f"NOTE: {story.slug} version 1: content removed by the site on" in result.stdout
    assert "OK: 2 versions checked" in result.stdout
