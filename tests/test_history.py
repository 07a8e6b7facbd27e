"""The audit trail: every save recorded once, with its user and reason."""

import pytest

from stories import audit, publishing
from stories.content.kinds import RevisionKind
from stories.models import Credit, Story
from tests.factories import (
    ContributorFactory,
    CreditFactory,
    SectionFactory,
    StoryFactory,
    approved,
)


def test_save_that_changes_nothing_writes_no_history_row(story):
    before = story.history.count()
    fresh = Story.objects.get(pk=story.pk)
    fresh.save()
    fresh.body = fresh.body.replace("\n", "\r\n")  # a browser's line endings are no change
    fresh.save()
    assert story.history.count() == before
    assert Story.objects.get(pk=story.pk).edit_number == story.edit_number


def test_each_real_change_writes_one_row_with_user_and_reason(story, editor):
    before = story.history.count()
    story.headline = "A sharper headline"
    story._history_user = editor
    story._change_reason = "Tightened the headline"
    story.save()

    latest = story.history.latest()
    assert story.history.count() == before + 1
    assert latest.history_user == editor
    assert latest.history_change_reason == "Tightened the headline"
    assert latest.headline == "A sharper headline"
    assert latest.edit_number == 2


def test_reason_and_user_do_not_stick_to_the_next_save(story, editor):
    story.headline = "One"
    story._history_user = editor
    story._change_reason = "First reason"
    story.save()
    story.headline = "Two"
    story.save()

    latest = story.history.latest()
    assert latest.history_change_reason is None
    assert latest.history_user is None


def test_command_saves_are_attributed_to_the_acting_user(db, editor):
    with audit.acting_as(audit.system_user()):
        section = SectionFactory(name="Harbor", slug="harbor")
    with audit.acting_as(editor):
        contributor = ContributorFactory()

    assert section.history.get().history_user.username == "newsroom-system"
    assert contributor.history.get().history_user == editor


def test_system_user_cannot_log_in(db):
    user = audit.system_user()
    assert not user.has_usable_password()
    assert user.has_perm("stories.publish_story")


def test_publish_records_story_and_revision_history(story, editor):
    before = story.history.count()
    revision = publishing.publish(approved(story), user=editor)
    publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.CORRECTION,
        public_note="Fixed the vote count.",
    )

    rows = list(story.history.order_by("history_date")[before:])
    assert len(rows) == 2
    assert [r.history_user for r in rows] == [editor, editor]
    assert [r.history_change_reason for r in rows] == [
        "Published as version 1 (First publication)",
        "Published as version 2 (Correction)",
    ]
    assert revision.history.get().history_user == editor
    assert rows[0].diff_against(story.history.order_by("history_date")[before - 1]).changed_fields


def test_credit_history_is_kept_on_the_through_model(story, editor):
    credit = story.credits.get(role="byline")
    credit_id = credit.pk
    credit.position = 5
    credit._history_user = editor
    credit._change_reason = "Reordered"
    credit.save()
    credit._history_user = editor
    credit.delete()

    rows = list(Credit.history.filter(story_id=story.pk, id=credit_id).order_by("history_date"))
    assert [r.history_type for r in rows] == ["+", "~", "-"]
    assert rows[1].history_change_reason == "Reordered"
    assert rows[2].history_user == editor


@pytest.mark.parametrize(
    "model_factory", [SectionFactory, ContributorFactory, StoryFactory, CreditFactory]
)
def test_every_editorial_model_keeps_history(editor, model_factory):
    with audit.acting_as(editor):
        obj = model_factory()
    row = obj.history.get()
    assert (row.history_type, row.history_user) == ("+", editor)


def test_revisions_keep_history_of_their_creation(story, editor):
    revision = publishing.publish(approved(story), user=editor)
    row = revision.history.get()
    assert (row.history_type, row.history_user, row.content_hash) == (
        "+",
        editor,
        revision.content_hash,
    )
