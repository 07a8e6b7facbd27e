"""Scheduling is an approval: ``publish_scheduled`` publishes the edit the editor
approved, or nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from stories import editing, publishing
from stories.admin.stories import CHANGED_AFTER_SCHEDULING, schedule_warning
from stories.content.kinds import CreditRole
from stories.models import Story
from tests.adminforms import form_data
from tests.factories import ContributorFactory, approved


@pytest.fixture
def when():
    return timezone.now() + timedelta(hours=1)


@pytest.fixture
def scheduled(story, editor, when):
    """A draft an editor approved and scheduled for ``when``."""
    approved_edit = Story.objects.get(pk=story.pk).edit_number
    publishing.schedule(approved(story), user=editor, at=when, expected_edit=approved_edit)
    return Story.objects.get(pk=story.pk)


def reporter_edits(story, reporter, **fields):
    fresh = Story.objects.get(pk=story.pk)
    for name, value in fields.items():
        setattr(fresh, name, value)
    editing.save_story(fresh, user=reporter)
    return fresh


def test_scheduling_records_the_approved_edit_without_moving_it(story, editor, when):
    edit = Story.objects.get(pk=story.pk).edit_number

    publishing.schedule(approved(story), user=editor, at=when, expected_edit=edit)

    stored = Story.objects.get(pk=story.pk)
    assert (stored.status, stored.scheduled_edit, stored.edit_number) == (
        Story.Status.SCHEDULED,
        edit,
        edit,
    )
    assert not stored.changed_since_scheduled
    assert stored.history.latest().history_change_reason.endswith(f"(edit {edit})")


def test_an_unchanged_scheduled_story_is_published_as_approved(scheduled, when):
    run = publishing.publish_due(now=when + timedelta(minutes=1))

    assert [revision.body for revision in run.published] == [scheduled.body]
    assert run.ok and run.changed == []
    stored = Story.objects.get(pk=scheduled.pk)
    assert (stored.status, stored.scheduled_edit) == (Story.Status.PUBLISHED, None)


def test_a_story_edited_after_scheduling_is_held_back_not_published(
    scheduled, editor, reporter, when
):
    """The hole: an editor schedules, a reporter rewrites the body, cron published it."""
    reporter_edits(scheduled, reporter, body="The reporter's unapproved rewrite.")

    run = publishing.publish_due(now=when + timedelta(minutes=1))

    assert run.published == [] and not run.ok
    assert [story.pk for story in run.changed] == [scheduled.pk]
    stored = Story.objects.get(pk=scheduled.pk)
    assert stored.status == Story.Status.SCHEDULED
    assert stored.changed_since_scheduled
    assert schedule_warning(stored) == CHANGED_AFTER_SCHEDULING
    assert stored.revisions.count() == 0

    # An editor reviews the change and schedules it again: now it goes out.
    publishing.schedule(approved(stored), user=editor, at=when, expected_edit=stored.edit_number)
    run = publishing.publish_due(now=when + timedelta(minutes=2))
    assert [revision.body for revision in run.published] == ["The reporter's unapproved rewrite."]


def test_a_credit_change_after_scheduling_holds_the_story_back_too(scheduled, reporter, when):
    fresh = Story.objects.get(pk=scheduled.pk)
    lines = [
        editing.CreditLine(c.contributor, c.role, c.affiliation, c.position)
        for c in fresh.ordered_credits()
    ]
    extra = editing.CreditLine(ContributorFactory(), CreditRole.CONTRIBUTED, position=7)
    editing.save_story(fresh, user=reporter, credits=[*lines, extra])

    run = publishing.publish_due(now=when + timedelta(minutes=1))

    assert [story.pk for story in run.changed] == [scheduled.pk]
    assert run.published == []


def test_scheduling_an_edit_the_editor_did_not_see_is_refused(story, editor, reporter, when):
    opened = Story.objects.get(pk=story.pk).edit_number
    reporter_edits(story, reporter, headline="Changed while the editor was reading")

    with pytest.raises(ValidationError, match="changed the working copy after you opened"):
        publishing.schedule(approved(story), user=editor, at=when, expected_edit=opened)

    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_a_revert_of_a_scheduled_story_keeps_its_schedule_but_marks_it(scheduled, editor, when):
    """A revert never changes publishing state: the schedule and the approval stay as
    stored, and the reverted text (which nobody approved) is held back."""
    old = scheduled.history.earliest().instance
    old.headline = "A headline from before the schedule"

    editing.save_story(old, user=editor)

    stored = Story.objects.get(pk=scheduled.pk)
    assert (stored.status, stored.scheduled_at, stored.scheduled_edit) == (
        Story.Status.SCHEDULED,
        scheduled.scheduled_at,
        scheduled.scheduled_edit,
    )
    assert stored.changed_since_scheduled


def test_cancelling_a_schedule_forgets_the_approval(scheduled, editor):
    publishing.unschedule(scheduled, user=editor)
    stored = Story.objects.get(pk=scheduled.pk)
    assert (stored.status, stored.scheduled_edit) == (Story.Status.DRAFT, None)
    assert stored.edit_number == scheduled.edit_number


def test_publish_scheduled_reports_a_changed_story_and_exits_non_zero(
    scheduled, reporter, when, monkeypatch
):
    reporter_edits(scheduled, reporter, body="Unapproved.")
    monkeypatch.setattr(timezone, "now", lambda: when + timedelta(minutes=1))
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 scheduled stories could not be published"):
        call_command("publish_scheduled", stdout=out, stderr=err)

    assert (
        f"not published {scheduled.slug}: changed after scheduling, review and schedule again "
        f"(approved edit {scheduled.scheduled_edit}, the working copy is now at edit "
        f"{scheduled.scheduled_edit + 1})"
    ) in err.getvalue()
    assert Story.objects.get(pk=scheduled.pk).status == Story.Status.SCHEDULED


def test_the_admin_marks_a_changed_scheduled_story_in_the_list_and_on_its_page(
    scheduled, reporter, client_for, editor
):
    reporter_edits(scheduled, reporter, body="Unapproved.")
    client = client_for(editor)

    listing = client.get(reverse("admin:stories_story_changelist")).content.decode()
    page = client.get(reverse("admin:stories_story_change", args=[scheduled.pk]))

    assert f"Scheduled: {CHANGED_AFTER_SCHEDULING}" in listing
    assert f"but {CHANGED_AFTER_SCHEDULING}." in page.content.decode()


def test_the_admin_schedules_the_edit_its_publish_page_showed(
    story, editor, reporter, client_for, when
):
    client = client_for(editor)
    url = reverse("admin:stories_story_publish", args=[story.pk])
    shown = form_data(client.get(reverse("admin:stories_story_change", args=[story.pk])))
    reporter_edits(story, reporter, body="Written after the editor opened the page.")

    response = client.post(
        url,
        {
            "loaded_edit": shown["loaded_edit"],
            "internal_reason": "",
            "scheduled_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 200
    assert "changed the working copy after you opened" in response.content.decode()
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


# -- in the editor's words, and overdue when nothing published it ------------------------------


def change_page(client, story) -> str:
    return client.get(reverse("admin:stories_story_change", args=[story.pk])).content.decode()


def test_a_scheduled_story_is_described_in_the_editors_words(scheduled, client_for, editor):
    page = change_page(client_for(editor), scheduled)

    assert "Scheduled: this story will be published at" in page
    assert f"(edit {scheduled.scheduled_edit})" in page
    assert "publish_scheduled" not in page
    assert "m.." not in page  # "a.m.." was the time's full stop and the sentence's


def test_scheduling_through_the_admin_says_when_it_will_be_published(
    story, editor, client_for, when
):
    client = client_for(editor)
    approved(story)
    shown = form_data(client.get(reverse("admin:stories_story_change", args=[story.pk])))

    response = client.post(
        reverse("admin:stories_story_publish", args=[story.pk]),
        {
            "loaded_edit": shown["loaded_edit"],
            "scheduled_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )

    said = [str(message) for message in response.context["messages"]]
    assert len(said) == 1 and said[0].startswith(f"“{story.headline}” will be published at ")
    assert ".." not in said[0]


def test_a_schedule_is_overdue_once_its_time_is_well_past(scheduled, when):
    assert not publishing.is_overdue(scheduled, now=when)
    assert not publishing.is_overdue(scheduled, now=when + publishing.OVERDUE_AFTER)
    assert publishing.is_overdue(scheduled, now=when + publishing.OVERDUE_AFTER + timedelta(1))


def test_a_story_held_back_for_changes_is_not_called_overdue(scheduled, reporter, when):
    held = reporter_edits(scheduled, reporter, body="Unapproved.")

    assert not publishing.is_overdue(held, now=when + timedelta(hours=2))


def test_the_admin_flags_an_overdue_schedule_in_the_list_and_on_its_page(
    scheduled, client_for, editor, when, monkeypatch
):
    client = client_for(editor)
    monkeypatch.setattr(timezone, "now", lambda: when + timedelta(minutes=30))

    listing = client.get(reverse("admin:stories_story_changelist")).content.decode()
    page = change_page(client, scheduled)

    assert '<span class="story-warning">Overdue: due at' in listing
    assert "Overdue: this story was due to be published at" in page
    assert "tell whoever runs the site, or publish it now" in page
    assert "publish_scheduled" not in page
