"""Removing published content for a legal reason: superusers only, as the database's
owner, through the one logged path past the triggers. It removes the content from every
row that holds it and the picture's files from the media storage, leaves a public trace
and an internal record, and the record still verifies."""

import logging
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from stories import editing, publishing, reporting
from stories.content.kinds import RevisionKind
from stories.desk import autosave, comments
from stories.interchange.exporting import export_story_json
from stories.models import ContentRemoval, ErrorReport, Redaction, Revision, Story
from stories.record import append_only, audit_chain, privileges, removal, transparency
from tests.adminforms import form_data
from tests.factories import StoryFactory, approved, stored
from tests.tampering import owner_test, sql
from tests.verifier import verify

NOTE = "Removed by order of the district court."
REASON = "Court order 2025-117, defamation claim."


@pytest.fixture
def updated(story, editor):
    """Version 1 held a defamatory sentence; version 2, live, no longer does."""
    story.body = "The council met. The mayor took bribes."
    story.save()
    publishing.publish(approved(story), user=editor)
    story.body = "The council met."
    story.save()
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="Removed a claim."
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
    publishing.publish(approved(story), user=editor)
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="New text."
    )
    editor.is_superuser = True
    editor.save()
    removal.remove_content(story, [1], user=editor, public_note=NOTE, internal_reason=REASON)

    result = verify(live_server)

    assert result.returncode == 0, result.stderr
    day = ContentRemoval.objects.get().removed_at.date().isoformat()
    assert f"NOTE: {story.slug} version 1: content removed on {day}: {NOTE}" in result.stdout
    assert "OK: 2 versions checked" in result.stdout


# -- a removal that removes ----------------------------------------------------------------

SENTENCE = "The mayor took bribes from the harbor contractor."
HEADLINE = "Mayor took bribes, contractor says"
ALT = "The contractor's office on Quay Street."


@pytest.fixture
def retracted(client_for, editor):
    """Version 1 said SENTENCE under HEADLINE, with a picture; drafts, an edit in the
    admin (whose log names the story by its headline) and a reader's report quoting it
    hold it too. Version 2, live, corrects all of it and shows another picture."""
    story = StoryFactory(
        slug="harbor-contract", headline=HEADLINE, body=f"The council met.\n\n{SENTENCE}"
    )
    story.picture, story.image_alt = stored(color=(11, 22, 33)), ALT
    editing.save_story(story, user=editor, reason="Photo.")
    admin = client_for(editor)
    url = reverse("admin:stories_story_change", args=[story.pk])
    assert admin.post(url, form_data(admin.get(url), dek="A source speaks.")).status_code == 302
    # The desk talked about it: a comment on the sentence, and unsaved changes in a form.
    draft = Story.objects.get(pk=story.pk)
    comments.add_comment(
        draft, user=editor, body=f"Can we stand by “{SENTENCE}”?", field="body", quote=SENTENCE
    )
    autosave.keep(draft, editor, {"body": f"{SENTENCE} (checked)"}, based_on_edit=draft.edit_number)
    publishing.publish(approved(draft), user=editor)
    report = reporting.submit_report(
        story.slug, seen_number=1, description=f"Is it true? {SENTENCE}", passage=SENTENCE
    )
    reporting.change_report(report, user=editor, status="investigating", reason="Checking.")
    story = Story.objects.get(pk=story.pk)
    story.headline, story.body = "Council reviews harbor contract", "The council met."
    story.picture, story.image_alt = stored(color=(44, 55, 66)), "The council chamber."
    editing.save_story(story, user=editor, reason="Correction.")
    publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.CORRECTION,
        public_note="A claim is withdrawn.",
    )
    return Story.objects.get(pk=story.pk)


def rows_holding(text: str) -> list[str]:
    """Every row of every table of the database with a value that holds ``text``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            found += [f"{table}: {row}" for row in cursor if any(text in str(v) for v in row)]
    return found


def files_holding(data: bytes) -> list[Path]:
    from django.conf import settings

    media = Path(settings.MEDIA_ROOT)
    return [path for path in media.rglob("*") if path.is_file() and path.read_bytes() == data]


def remove_first_version(story, editor, django_capture_on_commit_callbacks):
    editor.is_superuser = True
    editor.save()
    with django_capture_on_commit_callbacks(using=privileges.owner_alias(), execute=True):
        removal.remove_content(story, [1], user=editor, public_note=NOTE, internal_reason=REASON)


@owner_test
def test_no_table_and_no_file_holds_the_removed_content_afterwards(
    retracted, editor, django_capture_on_commit_callbacks
):
    first = retracted.revisions.get(number=1)
    picture, kept_picture = first.picture, retracted.picture
    removed_files = {name: default_storage.open(name).read() for name in picture.files}
    kept_files = kept_picture.files
    tables = {row.split(":")[0] for row in rows_holding(SENTENCE)}
    assert {
        "stories_revision", "stories_historicalrevision", "stories_historicalstory",
        "stories_errorreport", "stories_historicalerrorreport", "stories_comment",
        "stories_historicalcomment", "stories_autosavedraft",
    } <= tables  # fmt: skip
    assert any(row.startswith("django_admin_log") for row in rows_holding(HEADLINE))
    assert SENTENCE in export_story_json(retracted)
    assert all(files_holding(data) for data in removed_files.values())

    remove_first_version(retracted, editor, django_capture_on_commit_callbacks)

    for text in (SENTENCE, HEADLINE, ALT):
        assert rows_holding(text) == [], text
    for name, data in removed_files.items():
        assert not default_storage.exists(name) and files_holding(data) == [], name
    assert all(default_storage.exists(name) for name in kept_files)
    assert SENTENCE not in export_story_json(retracted)
    # What stayed: the working copy's history says a passage was taken out, and the
    # report about version 1 keeps its status, not what the reader wrote.
    assert f"The council met.\n\n{removal.REDACTED}" in retracted.history.values_list(
        "body", flat=True
    )
    report = ErrorReport.objects.get()
    assert (report.status, report.description, report.passage) == (
        "investigating", removal.REDACTED, removal.REDACTED,
    )  # fmt: skip


@owner_test
def test_the_redaction_is_recorded_and_the_record_still_verifies(
    retracted, editor, django_capture_on_commit_callbacks
):
    first = retracted.revisions.get(number=1)
    content_hash, files = first.content_hash, first.picture.files
    remove_first_version(retracted, editor, django_capture_on_commit_callbacks)

    redaction = Redaction.objects.get()
    assert (redaction.story, redaction.versions, redaction.redacted_by, redaction.reason) == (
        retracted, [1], editor, REASON,
    )  # fmt: skip
    assert sorted(redaction.files) == sorted(files)
    tables = {row["table"] for row in redaction.rows}
    assert {"stories_revision", "stories_historicalstory", "django_admin_log"} <= tables
    version = {"table": "stories_revision", "id": first.pk}
    assert any(
        row.items() >= version.items() and "body_text" in row["fields"] for row in redaction.rows
    )
    assert Revision.objects.get(pk=first.pk).content_hash == content_hash  # number and hash stay
    assert transparency.verify_site() == []
    out = StringIO()
    call_command("verify_revisions", stdout=out)
    day = redaction.redacted_at.date().isoformat()
    assert (
        f"note: {len(redaction.rows)} audit rows rewritten by the legal removal of "
        f"harbor-contract version 1 on {day} ({REASON})"
    ) in out.getvalue()
    with pytest.raises(Exception, match="never changes|append-only|permission denied"):
        Redaction.objects.filter(pk=redaction.pk).update(reason="Nothing")


@owner_test
def test_a_picture_another_story_still_shows_keeps_its_files(
    retracted, editor, django_capture_on_commit_callbacks
):
    picture = retracted.revisions.get(number=1).picture
    other = StoryFactory(slug="harbor-archive")
    other.picture, other.image_alt = picture, "The office, from the archive."
    editing.save_story(other, user=editor, reason="Archive photo.")

    remove_first_version(retracted, editor, django_capture_on_commit_callbacks)

    assert all(default_storage.exists(name) for name in picture.files)
    assert Redaction.objects.get().files == []
    assert Revision.objects.get(story=retracted, number=1).picture is None


@owner_test
def test_a_working_copy_that_still_holds_the_content_is_refused(retracted, editor):
    retracted.body = f"The council met.\n\n{SENTENCE}"
    editing.save_story(retracted, user=editor, reason="Restored by mistake.")
    editor.is_superuser = True
    editor.save()
    with pytest.raises(ValidationError) as refused:
        removal.remove_content(
            retracted, [1], user=editor, public_note=NOTE, internal_reason=REASON
        )
    assert list(refused.value.message_dict) == ["body"]
    assert (
        not Redaction.objects.exists()
        and SENTENCE in Revision.objects.get(story=retracted, number=1).body
    )


@owner_test
def test_a_broken_audit_trail_is_not_linked_again_over_the_damage(retracted, editor):
    sql("UPDATE stories_historicalsection SET description = 'Rewritten'")
    editor.is_superuser = True
    editor.save()
    with pytest.raises(ValidationError, match="audit trail is already broken"):
        removal.remove_content(
            retracted, [1], user=editor, public_note=NOTE, internal_reason=REASON
        )
    assert audit_chain.verify().problems


def test_passages_are_lines_and_sentences():
    text = "First line here.\nA sentence. “Another one!” he said. Short.\n\n- a list item"
    assert removal.passages(text) == [
        "First line here.", "A sentence.", "“Another one!”", "he said.", "- a list item",
    ]  # fmt: skip
