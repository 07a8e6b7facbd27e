"""Review: the service's steps and rules, and the two-person rule through every path that
publishes (the service, the admin, reports, scheduling and its command, the importer,
withdrawals), with its exemption (a small minor edit) and its recorded bypass."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from stories import editing, publishing, releasing, reporting, reviewing
from stories.content.kinds import RevisionKind
from stories.interchange.importing import ImportStatus, import_file
from stories.models import (
    Notification,
    Review,
    ReviewBypass,
    ReviewState,
    ReviewStep,
    SectionEditor,
    Story,
)
from tests.factories import (
    EDITOR_PERMISSIONS,
    SectionFactory,
    UserFactory,
    approved,
    second_editor,
)

SAMPLE = (
    __import__("pathlib").Path(__file__).parent.parent
    / "fixtures"
    / "samples"
    / "ferry-schedule-change.txt"
)


def edit(story, user, **fields):
    """Save the working copy through the editing service as ``user``."""
    story = Story.objects.get(pk=story.pk)
    for name, value in fields.items():
        setattr(story, name, value)
    reason = "Edited" if story.first_published_at else ""
    editing.save_story(story, user=user, reason=reason, expected_edit=story.edit_number)
    return story


def not_approved(error) -> str:
    return " ".join(error.value.message_dict["review_bypass"])


@pytest.fixture
def drafted(story, reporter):
    """A reporter's draft: the reporter made its current edit."""
    return edit(story, reporter, body="The council met on Tuesday night.")


@pytest.fixture
def bypasser(db):
    return UserFactory(
        username="night-editor",
        first_name="Nia",
        last_name="Night",
        permissions=[*EDITOR_PERMISSIONS, "publish_without_review"],
    )


# -- the steps -------------------------------------------------------------------------------


def test_submit_approve_publish_records_every_step(drafted, reporter, editor):
    due = timezone.now() + timedelta(hours=2)
    review = reviewing.submit(
        drafted, user=reporter, message="Ready for a read.", due_at=due, priority="high"
    )
    assert (review.state, review.submitted_edit, review.priority) == ("in_review", 2, "high")
    assert review.reviewer_section == drafted.section, "the story's own section by default"

    reviewing.approve(drafted, user=editor, message="Good to go.")
    revision = publishing.publish(drafted, user=editor)

    review.refresh_from_db()
    assert (review.state, review.revision, review.approved_edit) == (ReviewState.DONE, revision, 2)
    steps = list(ReviewStep.objects.filter(story=drafted).values_list("action", "actor__username"))
    assert steps == [("submitted", "reporter"), ("approved", "editor"), ("published", "editor")]
    reasons = list(
        review.history.order_by("history_date").values_list("history_change_reason", flat=True)
    )
    assert reasons == [
        "Submitted for review: Ready for a read.",
        "Approved edit 2: Good to go.",
        "Published as version 1",
    ]


def test_a_reporter_cannot_approve_their_own_work(drafted, reporter):
    reviewing.submit(drafted, user=reporter)
    with pytest.raises(PermissionDenied, match="reporter does not have permission to review"):
        reviewing.approve(drafted, user=reporter)


def test_an_editor_cannot_approve_the_edit_they_made(story, editor):
    mine = edit(story, editor, body="The editor's own rewrite.")
    reviewing.submit(mine, user=editor)
    with pytest.raises(ValidationError) as error:
        reviewing.approve(mine, user=editor)
    assert "You made edit 2 of this story, so you cannot approve it" in str(error.value)
    assert Review.objects.get().state == ReviewState.IN_REVIEW


def test_the_database_refuses_an_approval_by_the_edits_author(drafted, reporter, editor):
    review = reviewing.submit(drafted, user=reporter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(
            state=ReviewState.APPROVED, approved_by=editor, edit_author=editor, approved_edit=2
        )


def test_an_edit_after_approval_voids_it(drafted, reporter, editor):
    reviewing.submit(drafted, user=reporter)
    reviewing.approve(drafted, user=editor)
    edited = edit(drafted, reporter, body="A late change nobody approved.")

    with pytest.raises(ValidationError) as error:
        publishing.publish(edited, user=editor)
    assert "approved edit 2, but the working copy has been edited since (it is now edit 3)" in (
        not_approved(error)
    )
    assert not edited.revisions.exists()

    reviewing.approve(edited, user=editor)  # a void approval can be given again
    assert publishing.publish(edited, user=editor).body == "A late change nobody approved."


def test_an_approval_allows_one_publish(drafted, reporter, editor):
    reviewing.submit(drafted, user=reporter)
    reviewing.approve(drafted, user=editor)
    publishing.publish(drafted, user=editor)
    with pytest.raises(ValidationError, match="has not been approved"):
        publishing.publish(
            drafted, user=editor, kind=RevisionKind.UPDATE, public_note="Again, unchanged."
        )


def test_request_changes_needs_a_message_and_goes_back_to_the_submitter(drafted, reporter, editor):
    reviewing.submit(drafted, user=reporter)
    with pytest.raises(ValidationError) as error:
        reviewing.request_changes(drafted, user=editor, message="  ")
    assert error.value.message_dict == {"message": ["Say what needs to change."]}

    review = reviewing.request_changes(drafted, user=editor, message="Check the day.")
    assert review.state == ReviewState.CHANGES_REQUESTED
    told = Notification.objects.get(recipient=reporter)
    assert told.action == "changes_requested" and "Check the day." in told.text
    with pytest.raises(ValidationError, match="Changes were requested"):
        reviewing.approve(drafted, user=editor)

    fixed = edit(drafted, reporter, body="The council met on Wednesday night.")
    again = reviewing.submit(fixed, user=reporter, message="Fixed the day.")
    assert (again.pk, again.state, again.submitted_edit) == (review.pk, "in_review", 3)


def test_submit_errors_are_keyed_by_field(drafted, reporter):
    viewer = UserFactory(username="viewer", permissions=["change_story"])
    with pytest.raises(ValidationError) as error:
        reviewing.submit(
            drafted,
            user=reporter,
            reviewer=viewer,
            due_at=timezone.now() - timedelta(minutes=1),
            priority="whenever",
        )
    assert set(error.value.message_dict) == {"reviewer", "due_at", "priority"}
    assert "cannot approve stories" in error.value.message_dict["reviewer"][0]
    assert not Review.objects.exists()


def test_submit_refuses_a_stale_page(drafted, reporter, editor):
    with pytest.raises(ValidationError, match="changed the story after you opened this page"):
        reviewing.submit(drafted, user=editor, expected_edit=1)


def test_reassign_and_cancel(drafted, reporter, editor):
    desk = second_editor()
    reviewing.submit(drafted, user=reporter)
    review = reviewing.reassign(drafted, user=reporter, reviewer=desk)
    assert review.reviewer == desk and review.reviewer_section is None
    assert Notification.objects.filter(recipient=desk, action="reassigned").exists()

    with pytest.raises(PermissionDenied, match="only Rui Reporter may cancel it"):
        reviewing.cancel(drafted, user=editor)
    assert reviewing.cancel(drafted, user=reporter).state == ReviewState.CANCELLED
    assert reviewing.open_review(drafted) is None


def test_only_the_reviewers_are_told_of_a_submission(drafted, reporter, editor):
    desk = second_editor()
    other = UserFactory(username="other-editor", permissions=EDITOR_PERMISSIONS)
    SectionEditor.objects.create(section=drafted.section, user=desk)
    SectionEditor.objects.create(section=SectionFactory(), user=other)

    reviewing.submit(drafted, user=reporter, message="Please read.")

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == [
        "second-editor"
    ]
    from stories.desk import queue

    assert list(queue.tab(desk, "sections")) == [Review.objects.get()]
    assert not queue.tab(other, "sections").exists()


def test_review_changed_is_sent_after_the_commit(drafted, reporter):
    received = []

    def receiver(**kwargs):
        received.append(kwargs["step"].action)

    reviewing.review_changed.connect(receiver)
    try:
        with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
            reviewing.submit(drafted, user=reporter)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        reviewing.review_changed.disconnect(receiver)
    assert received == ["submitted"]


# -- the two-person rule, on every path --------------------------------------------------------


def test_the_service_refuses_an_unapproved_edit(drafted, editor):
    with pytest.raises(ValidationError) as error:
        publishing.publish(drafted, user=editor)
    assert "Edit 2 of this story has not been approved" in not_approved(error)
    assert not drafted.revisions.exists()


def test_the_admin_shows_the_rule_and_refuses_to_publish(client_for, drafted, editor):
    client = client_for(editor)
    url = reverse("admin:stories_story_publish", args=[drafted.pk])
    page = client.get(url).content.decode()
    assert "Two-person rule:" in page and "has not been approved" in page
    assert "Go ahead without review" not in page, "the bypass is for those allowed only"

    response = client.post(url, {"loaded_edit": drafted.edit_number})
    assert response.status_code == 200
    assert "has not been approved" in str(response.context["form"].non_field_errors())
    assert not drafted.revisions.exists()


def test_publishing_from_reader_reports_meets_the_rule(story, editor):
    published = publishing.publish(approved(story), user=editor)
    report = reporting.submit_report(
        story.slug, seen_number=published.number, description="Wrong day."
    )
    fixed = edit(story, editor, body="The council met on Monday.")
    with pytest.raises(ValidationError, match="has not been approved"):
        reporting.publish_from_reports(
            fixed, [report], user=editor, kind=RevisionKind.CORRECTION, public_note="Day fixed."
        )
    report.refresh_from_db()
    assert report.is_open


def test_scheduling_meets_the_rule_and_publish_due_uses_the_approval(drafted, editor):
    when = timezone.now() + timedelta(hours=1)
    with pytest.raises(ValidationError, match="has not been approved"):
        releasing.release(
            drafted, user=editor, expected_edit=drafted.edit_number, scheduled_at=when
        )

    approved(drafted)
    publishing.schedule(drafted, user=editor, at=when)
    run = publishing.publish_due(now=when + timedelta(minutes=1))
    assert [revision.number for revision in run.published] == [1]
    assert Review.objects.get().state == ReviewState.DONE


def test_the_publish_scheduled_command_publishes_the_approved_edit(drafted, editor):
    approved(drafted)
    publishing.schedule(drafted, user=editor, at=timezone.now() + timedelta(seconds=1))
    Story.objects.filter(pk=drafted.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    out, err = StringIO(), StringIO()
    call_command("publish_scheduled", stdout=out, stderr=err)
    assert out.getvalue() == f"published {drafted.slug} (version 1)\n", err.getvalue()
    assert Review.objects.get().state == ReviewState.DONE


def test_a_schedule_made_with_a_bypass_is_published_under_it(drafted, editor, bypasser):
    when = timezone.now() + timedelta(hours=1)
    publishing.schedule(drafted, user=bypasser, at=when, review_bypass="Embargo lifts at noon.")
    run = publishing.publish_due(now=when + timedelta(minutes=1))
    assert [revision.number for revision in run.published] == [1]
    bypass = ReviewBypass.objects.get()
    assert (bypass.action, bypass.revision, bypass.reason) == (
        "scheduled",
        run.published[0],
        "Embargo lifts at noon.",
    )


def test_the_importer_publishes_an_archive_with_a_recorded_bypass(db):
    result = import_file(SAMPLE, publish=True)  # the system user
    assert result.status == ImportStatus.PUBLISHED
    bypasses = ReviewBypass.objects.filter(story=result.story)
    assert bypasses.count() == result.revisions
    assert bypasses.first().reason.startswith(
        "Imported from ferry-schedule-change.txt: an archived story"
    )


def test_the_importer_refuses_an_editor_without_the_bypass_permission(editor):
    result = import_file(SAMPLE, user=editor, publish=True)
    assert result.failed
    assert result.problem == (
        "editor does not have permission to publish without a second editor's approval."
    )
    assert not Story.objects.exists()


def test_import_command_with_publish_meets_the_rule(editor):
    out, err = StringIO(), StringIO()
    with pytest.raises(Exception, match="could not be imported"):
        call_command(
            "import_story", str(SAMPLE), "--publish", "--as", "editor", stdout=out, stderr=err
        )
    assert "publish without a second editor's approval" in err.getvalue()


def test_a_withdrawal_needs_its_own_approval(story, editor):
    publishing.publish(approved(story), user=editor)
    with pytest.raises(ValidationError, match="before it is withdrawn"):
        publishing.withdraw(story, user=editor, public_note="Legal.")
    approved(story)  # approving a publish does not approve a withdrawal
    with pytest.raises(ValidationError, match="before it is withdrawn"):
        publishing.withdraw(story, user=editor, public_note="Legal.")
    approved(story, purpose="withdraw")
    assert publishing.withdraw(story, user=editor, public_note="Legal.").kind == "withdrawal"


def test_a_small_minor_edit_is_exempt_and_a_large_one_is_not(story, editor):
    publishing.publish(approved(story), user=editor)
    typo = edit(story, editor, body=story.body.replace("Tuesday", "Tuesday,"))
    revision = publishing.publish(
        typo, user=editor, kind=RevisionKind.MINOR, internal_reason="Comma."
    )
    assert revision.kind == RevisionKind.MINOR
    assert not ReviewBypass.objects.exists()

    rewrite = edit(
        story,
        editor,
        body="An entirely new account of the meeting, written by one person alone, with "
        "twelve new words or more that nobody else has read.",
    )
    with pytest.raises(ValidationError, match="has not been approved"):
        publishing.publish(rewrite, user=editor, kind=RevisionKind.MINOR, internal_reason="Style.")


def test_a_minor_edit_of_a_credit_is_not_exempt(story, editor):
    publishing.publish(approved(story), user=editor)
    stored = Story.objects.get(pk=story.pk)
    stored.dateline = "NEW HAVEN"
    editing.save_story(stored, user=editor, reason="Dateline")
    with pytest.raises(ValidationError, match="has not been approved"):
        publishing.publish(stored, user=editor, kind=RevisionKind.MINOR, internal_reason="Style.")


def test_the_bypass_needs_its_permission_and_is_recorded_and_listed(
    client_for, drafted, editor, bypasser
):
    with pytest.raises(PermissionDenied, match="publish without a second editor's approval"):
        publishing.publish(drafted, user=editor, review_bypass="Breaking news.")
    revision = publishing.publish(
        drafted, user=bypasser, review_bypass="Breaking: the bridge fell."
    )
    bypass = ReviewBypass.objects.get()
    assert (bypass.user, bypass.revision, bypass.edit_number, bypass.action) == (
        bypasser,
        revision,
        2,
        "published",
    )
    listing = client_for(editor).get(reverse("admin:stories_reviewbypass_changelist"))
    assert "Breaking: the bridge fell." in listing.content.decode()


def test_the_admin_offers_the_bypass_to_those_allowed(client_for, drafted, bypasser):
    client = client_for(bypasser)
    url = reverse("admin:stories_story_publish", args=[drafted.pk])
    assert "Go ahead without review, because" in client.get(url).content.decode()
    response = client.post(
        url, {"loaded_edit": drafted.edit_number, "review_bypass": "The storm hits tonight."}
    )
    assert response.status_code == 302
    assert ReviewBypass.objects.get().reason == "The storm hits tonight."


def test_with_the_rule_switched_off_one_person_publishes(drafted, editor, settings):
    """The only test of the switch itself (NEWSROOM_REQUIRE_REVIEW, on by default)."""
    settings.NEWSROOM_REQUIRE_REVIEW = False
    assert publishing.publish(drafted, user=editor).number == 1
    assert not ReviewBypass.objects.exists()


def test_the_rule_is_on_by_default():
    from django.conf import settings

    assert settings.NEWSROOM_REQUIRE_REVIEW is True


def test_a_second_editor_is_granted_through_roles(db):
    from stories.roles import EDITOR, ROLE_PERMISSIONS

    assert "publish_without_review" not in ROLE_PERMISSIONS[EDITOR]
    assert Permission.objects.filter(codename="publish_without_review").exists()
