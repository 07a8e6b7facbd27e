"""The publishing service: the newsroom's rules for what readers see."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Revision, Story
from tests.factories import StoryFactory, approved


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_first_publish_creates_revision_one_and_sets_times(story, editor):
    revision = publishing.publish(approved(story), user=editor)

    story.refresh_from_db()
    assert revision.number == 1
    assert revision.kind == RevisionKind.FIRST
    assert revision.published_by == editor
    assert revision.previous_hash == ""
    assert story.status == Story.Status.PUBLISHED
    assert story.latest_revision == revision
    assert story.first_published_at == revision.published_at
    assert story.updated_at == revision.published_at


def test_snapshot_holds_rendered_content_and_credits(story, editor):
    story.body = "First *paragraph*.\n\n<script>alert(1)</script>Second."
    story.save()

    revision = publishing.publish(approved(story), user=editor)

    assert revision.headline == story.headline
    assert revision.body_html.startswith("<p>First <em>paragraph</em>.</p>")
    assert "<p>Second.</p>" in revision.body_html
    assert "script" not in revision.body_html and "alert" not in revision.body_html
    assert revision.byline == "By Maria Ortiz"
    assert revision.tagline == "Dev Patel of the Coastal Ledger contributed to this report."
    assert [c["name"] for c in revision.credits] == ["Maria Ortiz", "Dev Patel"]
    assert revision.section_slug == story.section.slug


def test_republish_requires_a_kind(story, editor):
    publishing.publish(approved(story), user=editor)
    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(approved(story), user=editor, public_note="Updated.")
    assert "Choose what kind of change" in errors_of(excinfo)["kind"][0]
    assert story.revisions.count() == 1


@pytest.mark.parametrize(
    "kind",
    [
        RevisionKind.UPDATE,
        RevisionKind.CORRECTION,
        RevisionKind.CLARIFICATION,
        RevisionKind.EDITORS_NOTE,
    ],
)
def test_every_kind_but_minor_requires_a_public_note(story, editor, kind):
    publishing.publish(approved(story), user=editor)
    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(
            approved(story), user=editor, kind=kind, public_note="   ", internal_reason="because"
        )
    assert "needs a public note" in errors_of(excinfo)["public_note"][0]
    assert story.revisions.count() == 1


def test_unknown_kind_is_refused(story, editor):
    publishing.publish(approved(story), user=editor)
    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.WITHDRAWAL, public_note="x"
        )
    assert "kind" in errors_of(excinfo)


def test_minor_edit_needs_internal_reason_and_keeps_updated_time(story, editor):
    first = publishing.publish(approved(story), user=editor)
    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(approved(story), user=editor, kind=RevisionKind.MINOR)
    assert "internal reason" in errors_of(excinfo)["internal_reason"][0]

    story.body = story.body.replace("Tuesday", "Tuesday evening")
    story.save()
    minor = publishing.publish(
        approved(story), user=editor, kind=RevisionKind.MINOR, internal_reason="Typo"
    )

    story.refresh_from_db()
    assert minor.number == 2
    assert minor.public_note == ""
    assert story.updated_at == first.published_at
    assert story.latest_revision == minor


def test_update_moves_updated_time_but_never_published_time(story, editor):
    first = publishing.publish(approved(story), user=editor, at=timezone.now() - timedelta(hours=2))
    update = publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.UPDATE,
        public_note="This story has been updated.",
    )

    story.refresh_from_db()
    assert story.first_published_at == first.published_at
    assert story.updated_at == update.published_at > first.published_at


def test_publish_without_permission_is_refused(story, reporter):
    with pytest.raises(PermissionDenied, match="reporter does not have permission to publish"):
        publishing.publish(approved(story), user=reporter)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert not Revision.objects.exists()


def test_publish_is_atomic_when_the_revision_cannot_be_written(story, editor, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Revision, "save", explode)
    with pytest.raises(RuntimeError):
        publishing.publish(approved(story), user=editor)

    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert story.first_published_at is None
    assert story.latest_revision is None


def test_publish_publishes_the_saved_working_copy_not_unsaved_attributes(story, editor):
    saved = story.headline
    story.headline = "Unsaved headline"
    revision = publishing.publish(approved(story), user=editor)
    assert revision.headline == saved


def test_withdraw_needs_permission_and_a_note(story, editor, reporter):
    publishing.publish(approved(story), user=editor)
    with pytest.raises(PermissionDenied):
        publishing.withdraw(approved(story, purpose="withdraw"), user=reporter, public_note="Legal")
    with pytest.raises(ValidationError) as excinfo:
        publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note="")
    assert "editor's note" in errors_of(excinfo)["public_note"][0]

    revision = publishing.withdraw(
        approved(story, purpose="withdraw"),
        user=editor,
        public_note="This story was withdrawn for legal review.",
    )

    story.refresh_from_db()
    assert revision.kind == RevisionKind.WITHDRAWAL
    assert revision.number == 2
    assert story.status == Story.Status.WITHDRAWN
    with pytest.raises(ValidationError, match="withdrawn"):
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Back"
        )


def test_withdrawal_records_what_was_live_not_later_drafts(story, editor):
    live = publishing.publish(approved(story), user=editor)
    story.headline = "A draft headline nobody saw"
    story.save()

    revision = publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )

    assert (revision.headline, revision.body) == (live.headline, live.body)


def test_withdrawing_a_draft_is_refused(story, editor):
    with pytest.raises(ValidationError, match="Only a published story"):
        publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note="x")


def test_scheduled_story_is_published_once_its_time_has_passed(story, editor):
    when = timezone.now() + timedelta(hours=1)
    publishing.schedule(approved(story), user=editor, at=when)
    story.refresh_from_db()
    assert story.status == Story.Status.SCHEDULED

    assert publishing.publish_due(now=when - timedelta(minutes=1)).published == []
    run = publishing.publish_due(now=when + timedelta(minutes=1))
    again = publishing.publish_due(now=when + timedelta(minutes=2))

    story.refresh_from_db()
    assert [r.number for r in run.published] == [1]
    assert run.published[0].published_at == when + timedelta(minutes=1)  # when it went live
    assert run.published[0].published_by.username == "newsroom-system"
    assert again.published == []
    assert story.status == Story.Status.PUBLISHED
    assert story.first_published_at == when + timedelta(minutes=1)


def test_schedule_in_the_past_is_refused(story, editor):
    with pytest.raises(ValidationError) as excinfo:
        publishing.schedule(approved(story), user=editor, at=timezone.now() - timedelta(minutes=5))
    assert "scheduled_at" in errors_of(excinfo)


def test_schedule_can_be_cancelled(story, editor):
    publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(days=1))
    publishing.unschedule(story, user=editor)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert story.scheduled_at is None


def test_published_signal_is_sent_after_commit(story, editor, django_capture_on_commit_callbacks):
    received = []

    def receiver(**kw):
        received.append(kw["revision"].number)

    publishing.revision_published.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            publishing.publish(approved(story), user=editor)
    finally:
        # Only this test's receiver: the app's own (cache invalidation) must stay connected.
        publishing.revision_published.disconnect(receiver)
    assert received == [1]


def test_overlapping_scheduled_runs_publish_each_story_once(editor, monkeypatch):
    when = timezone.now() + timedelta(hours=1)
    first, second = StoryFactory(), StoryFactory()
    for story in (first, second):
        publishing.schedule(approved(story), user=editor, at=when)
    real_publish = publishing.publish
    calls = []

    def publish_and_race(story, **kwargs):
        if not calls:
            # Another cron run publishes the second story while this one works on the first.
            real_publish(Story.objects.get(pk=second.pk), **kwargs)
        calls.append(story.pk)
        return real_publish(story, **kwargs)

    monkeypatch.setattr(publishing, "publish", publish_and_race)
    run = publishing.publish_due(now=when + timedelta(minutes=1))

    assert calls == [first.pk]
    assert run.failed == []
    assert [r.story_id for r in run.published] == [first.pk]
    assert second.revisions.count() == 1


def test_the_model_refuses_a_new_slug_for_a_published_story(story, editor):
    publishing.publish(approved(story), user=editor)
    story = Story.objects.get(pk=story.pk)
    story.slug = "a-new-address"
    with pytest.raises(ValidationError) as excinfo:
        story.full_clean()
    assert "cannot change" in errors_of(excinfo)["slug"][0]


def test_a_draft_may_change_its_slug(story):
    story = Story.objects.get(pk=story.pk)
    story.slug = "a-better-address"
    story.full_clean()
    story.save()
    assert Story.objects.get(pk=story.pk).slug == "a-better-address"


# -- rules pinned exactly: each of these broke unnoticed under a one-line change --------


@pytest.mark.parametrize("kind", [RevisionKind.CORRECTION, RevisionKind.UPDATE, "nonsense"])
def test_a_first_publication_asked_as_another_kind_is_refused_and_writes_nothing(
    story, editor, kind
):
    with pytest.raises(ValidationError) as refused:
        publishing.publish(approved(story), user=editor, kind=kind, public_note="Corrected.")

    assert refused.value.message_dict == {
        "kind": ["A story that has never been published is published as its first publication."]
    }
    stored = Story.objects.get(pk=story.pk)
    assert (stored.status, stored.latest_revision_id, stored.first_published_at) == (
        Story.Status.DRAFT,
        None,
        None,
    )
    assert not Revision.objects.filter(story=story).exists()


def test_a_first_publication_named_as_such_or_unnamed_is_accepted(story, editor):
    assert publishing.publish(approved(story), user=editor, kind=RevisionKind.FIRST).kind == "first"


def test_notes_keep_their_lines_and_lose_what_xml_cannot_carry(story, editor):
    publishing.publish(approved(story), user=editor)

    revision = publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.MINOR,
        internal_reason="  Typo in the dek.\r\nSecond\x0bline.\x00 Third\x07 line.  ",
    )

    # The surrounding blanks go; a vertical tab (Word's line break) is a line feed in a
    # text area; other control characters are dropped; the lines themselves stay.
    assert revision.internal_reason == "Typo in the dek.\r\nSecond\nline. Third line."
    correction = publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="First.\x0cSecond."
    )
    assert correction.public_note == "First.\nSecond."


def test_schedule_returns_the_callers_story_in_its_new_state(story, editor):
    when = timezone.now() + timedelta(hours=1)
    edit = Story.objects.get(pk=story.pk).edit_number

    scheduled = publishing.schedule(approved(story), user=editor, at=when, expected_edit=edit)

    assert scheduled is story
    assert (story.status, story.scheduled_at, story.scheduled_edit, story.edit_number) == (
        Story.Status.SCHEDULED,
        when,
        edit,
        edit,
    )
    # The object can be saved again without a stale edit number or a lost state.
    assert publishing.unschedule(story, user=editor) is story
    assert (story.status, story.scheduled_at, story.scheduled_edit) == (
        Story.Status.DRAFT,
        None,
        None,
    )


@pytest.mark.parametrize(
    "body",
    ["", "   \n\n  ", "<script>alert(1)</script>", "<!-- a note to the desk -->"],
    ids=["empty", "blank", "only-a-script", "only-a-comment"],
)
def test_a_first_publication_without_body_text_is_refused_at_the_body(story, editor, body):
    story.body = body
    story.save()

    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(approved(story), user=editor)

    assert "The body is empty" in errors_of(excinfo)["body"][0]
    assert "withdraw" in errors_of(excinfo)["body"][0]
    assert story.revisions.count() == 0
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_a_later_version_cannot_empty_the_body_or_the_headline(story, editor):
    publishing.publish(approved(story), user=editor)
    story.refresh_from_db()
    story.body, story.headline = "", "   "
    story.save()

    with pytest.raises(ValidationError) as excinfo:
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Text removed."
        )

    assert set(errors_of(excinfo)) == {"body", "headline"}
    assert "needs a headline" in errors_of(excinfo)["headline"][0]
    assert story.revisions.count() == 1


def test_an_empty_story_cannot_be_scheduled(story, editor):
    story.body = ""
    story.save()

    with pytest.raises(ValidationError) as excinfo:
        publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(hours=1))

    assert "The body is empty" in errors_of(excinfo)["body"][0]
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_a_withdrawal_is_how_text_comes_down(story, editor):
    publishing.publish(approved(story), user=editor)
    story.refresh_from_db()
    story.body = ""
    story.save()

    revision = publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn for legal review."
    )

    assert revision.kind == RevisionKind.WITHDRAWAL


@pytest.mark.parametrize(
    "typed",
    [
        "Editor's note: This story was withdrawn pending a legal review.",
        "EDITOR’S NOTE - This story was withdrawn pending a legal review.",
        "Withdrawal: Editor's note: This story was withdrawn pending a legal review.",
    ],
)
def test_a_withdrawal_note_loses_the_label_readers_see_in_front_of_it(story, editor, typed):
    publishing.publish(approved(story), user=editor)

    revision = publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note=typed
    )

    assert revision.public_note == "This story was withdrawn pending a legal review."


def test_a_correction_note_loses_a_leading_correction_label_only(story, editor):
    publishing.publish(approved(story), user=editor)
    story.refresh_from_db()
    story.body += "\n\nA corrected line."
    story.save()

    revision = publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.CORRECTION,
        public_note="correction: Corrections desk figures misstated the toll.",
    )

    assert revision.public_note == "Corrections desk figures misstated the toll."


def test_a_note_that_is_only_a_label_is_kept_as_typed(story, editor):
    publishing.publish(approved(story), user=editor)

    revision = publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Editor's note:"
    )

    assert revision.public_note == "Editor's note:"


def edit_as(story, user, reason, **fields):
    from stories import editing

    fresh = Story.objects.get(pk=story.pk)
    for name, value in fields.items():
        setattr(fresh, name, value)
    editing.save_story(fresh, user=user, reason=reason)
    return fresh


def test_a_live_storys_unpublished_edits_name_their_authors(story, editor, reporter):
    publishing.publish(approved(story), user=editor)
    edit_as(story, reporter, "Draft line.", body=story.body + "\n\nA draft line.")
    edited = edit_as(story, editor, "Style.", dek="A sharper dek.")

    unpublished = publishing.unpublished_edits(edited)

    assert [(edit.author, edit.reason) for edit in unpublished.edits] == [
        ("Rui Reporter", "Draft line."),
        (editor.get_full_name(), "Style."),
    ]
    assert unpublished.summary == f"2 edits by Rui Reporter and {editor.get_full_name()}"
    assert unpublished.marker == f"changes not yet published: {unpublished.summary}"
    assert unpublished.others_than(editor) == ["Rui Reporter"]
    assert unpublished.up_to(unpublished.edits[0].number).count == 1


def test_publishing_the_update_leaves_no_unpublished_edits(story, editor, reporter):
    publishing.publish(approved(story), user=editor)
    edited = edit_as(story, reporter, "Draft line.", body=story.body + "\n\nA draft line.")

    publishing.publish(
        approved(edited), user=editor, kind=RevisionKind.UPDATE, public_note="New line."
    )

    assert publishing.unpublished_edits(Story.objects.get(pk=story.pk)).count == 0


def test_drafts_and_withdrawn_stories_have_no_unpublished_edits(story, editor, reporter):
    draft = edit_as(story, reporter, "Draft.", dek="A draft dek.")
    assert publishing.unpublished_edits(draft).edits == ()

    publishing.publish(approved(story), user=editor)
    publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn.")
    withdrawn = edit_as(story, reporter, "After.", dek="After the withdrawal.")
    assert publishing.unpublished_edits(withdrawn).edits == ()


def test_the_unpublished_edits_of_a_page_of_stories_take_one_query(
    editor, reporter, django_assert_num_queries
):
    stories = [StoryFactory() for _ in range(5)]
    for story in stories:
        publishing.publish(approved(story), user=editor)
        edit_as(story, reporter, "Draft line.", dek="Changed.")
    stories = list(Story.objects.filter(pk__in=[story.pk for story in stories]))

    with django_assert_num_queries(1):
        found = publishing.unpublished_edits_of(stories)

    assert {pk: edits.summary for pk, edits in found.items()} == {
        story.pk: "1 edit by Rui Reporter" for story in stories
    }
