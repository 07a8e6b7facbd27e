"""The desk in the admin: the change form's review panel and actions, presence and
autosave (their endpoints, with CSRF and permissions), and the review queue."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stories import reviewing
from stories.desk import autosave, comments, presence
from stories.models import AutosaveDraft, Review, SectionEditor, Story
from tests.factories import StoryFactory, UserFactory, second_editor


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def desk_url(name, story):
    return reverse(f"admin:stories_story_desk_{name}", args=[story.pk])


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


# -- the change form -------------------------------------------------------------------------


def test_the_change_form_shows_the_review_its_actions_and_the_threads(
    client_for, story, reporter, editor
):
    reviewing.submit(story, user=reporter, message="Ready: check the quote.")
    comments.add_comment(
        story, user=editor, body="Which hall?", field="body", quote="The council met"
    )

    page = client_for(editor).get(change_url(story)).content.decode()
    assert "In review, waiting for the" in page and "Ready: check the quote." in page
    assert "Approve edit 1" in page and "Request changes" in page
    assert 'data-field="body"' in page and "Which hall?" in page
    assert "Submitted for review (edit 1)" in page, "the timeline"

    reporter_page = client_for(reporter, fresh=True).get(change_url(story)).content.decode()
    assert "Approve edit" not in reporter_page and "Cancel the review" in reporter_page


def test_the_admin_steps_through_a_review(client_for, story, reporter, editor):
    desk = second_editor()
    author = client_for(reporter)
    author.post(
        desk_url("submit", story),
        {"message": "Please", "priority": "high", "loaded_edit": 1, "reviewer": desk.pk},
    )
    review = Review.objects.get()
    assert (review.reviewer, review.priority) == (desk, "high")

    decider = client_for(editor, fresh=True)
    refused = decider.post(
        desk_url("request_changes", story), {"message": "", "loaded_edit": 1}, follow=True
    )
    assert "Say what needs to change." in refused.content.decode()
    decider.post(desk_url("request_changes", story), {"message": "Cut para 2.", "loaded_edit": 1})
    assert Review.objects.get().state == "changes_requested"

    author.post(desk_url("submit", story), {"priority": "normal", "loaded_edit": 1})
    decider.post(desk_url("approve", story), {"message": "", "loaded_edit": 1})
    assert Review.objects.get().state == "approved"

    stale = decider.post(desk_url("approve", story), {"loaded_edit": 1}, follow=True)
    assert "already approved" in stale.content.decode()


def test_desk_actions_answer_post_only(client_for, story, editor):
    assert client_for(editor).get(desk_url("approve", story)).status_code == 405


# -- presence ----------------------------------------------------------------------------------


def test_presence_names_who_else_has_the_form_open_and_forgets_them(
    client_for, story, editor, reporter
):
    first = client_for(editor)
    second = client_for(reporter, fresh=True)
    assert post_json(first, desk_url("presence", story), {}).json() == {"others": []}

    others = post_json(second, desk_url("presence", story), {}).json()["others"]
    assert [person["name"] for person in others] == ["Elena Editor"]
    assert others[0]["text"].startswith("Elena Editor has been editing this story since ")

    page = second.get(change_url(story)).content.decode()
    assert "Elena Editor has been editing this story since" in page

    later = timezone.now() + timedelta(seconds=presence.EXPIRES_SECONDS + 1)
    assert presence.present(story.pk, now=later) == []


def test_presence_and_autosave_need_csrf_and_the_right_to_edit(story, editor):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert post_json(strict, desk_url("presence", story), {}).status_code == 403
    assert post_json(strict, desk_url("autosave", story), {"fields": {}}).status_code == 403

    viewer = UserFactory(username="viewer", permissions=["view_story"])
    client = Client()
    client.force_login(viewer)
    assert post_json(client, desk_url("presence", story), {}).status_code == 403
    assert (
        post_json(client, desk_url("autosave", story), {"fields": {"body": "x"}}).status_code == 403
    )
    assert not AutosaveDraft.objects.exists()

    anonymous = Client()
    assert post_json(anonymous, desk_url("presence", story), {}).status_code == 302  # to login


# -- autosave ----------------------------------------------------------------------------------


def test_autosave_keeps_one_draft_per_person_and_offers_it_back(client_for, story, editor):
    client = client_for(editor)
    history_rows = story.history.count()
    for body in ("First unsaved words.", "Second unsaved words."):
        answer = post_json(
            client, desk_url("autosave", story), {"fields": {"body": body}, "based_on_edit": 1}
        )
        assert answer.status_code == 200 and answer.json()["saved"]
    draft = AutosaveDraft.objects.get()
    assert draft.fields == {"body": "Second unsaved words."} and draft.user == editor
    assert story.history.count() == history_rows, "an autosave is not an audit row"
    assert Story.objects.get(pk=story.pk).body != "Second unsaved words."

    page = client.get(change_url(story)).content.decode()
    assert "You have unsaved changes to this story from" in page
    assert "Restore my unsaved changes" in page and "Second unsaved words." in page

    other = client_for(
        UserFactory(username="colleague", permissions=["change_story", "view_story"]), fresh=True
    )
    assert "You have unsaved changes" not in other.get(change_url(story)).content.decode()


def test_discarding_or_saving_removes_the_draft(client_for, story, editor):
    client = client_for(editor)
    autosave.keep(story, editor, {"body": "Unsaved."}, based_on_edit=1)
    client.post(desk_url("discard", story))
    assert not AutosaveDraft.objects.exists()

    autosave.keep(story, editor, {"body": "Unsaved again."}, based_on_edit=1)
    stored = Story.objects.get(pk=story.pk)
    data = {
        "headline": stored.headline, "slug": stored.slug, "dek": stored.dek,
        "section": stored.section_id, "dateline": stored.dateline, "body": "Unsaved again.",
        "image_alt": "", "image_caption": "", "loaded_edit": stored.edit_number,
        "credits-TOTAL_FORMS": "0", "credits-INITIAL_FORMS": "0",
        "credits-MIN_NUM_FORMS": "0", "credits-MAX_NUM_FORMS": "1000", "_continue": "Save",
    }  # fmt: skip
    for number, credit in enumerate(stored.ordered_credits()):
        data.update({
            f"credits-{number}-id": credit.pk, f"credits-{number}-story": stored.pk,
            f"credits-{number}-contributor": credit.contributor_id,
            f"credits-{number}-role": credit.role, f"credits-{number}-position": credit.position,
            f"credits-{number}-affiliation": credit.affiliation,
        })  # fmt: skip
    data["credits-TOTAL_FORMS"] = data["credits-INITIAL_FORMS"] = str(len(stored.ordered_credits()))
    response = client.post(change_url(story), data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Story.objects.get(pk=story.pk).body == "Unsaved again."
    assert not AutosaveDraft.objects.exists()


def test_autosave_refuses_what_it_cannot_keep(client_for, story, editor):
    client = client_for(editor)
    assert post_json(client, desk_url("autosave", story), {"nothing": 1}).status_code == 400
    too_long = {"fields": {"headline": "x" * 201}}
    answer = post_json(client, desk_url("autosave", story), too_long)
    assert answer.status_code == 400 and "At most 200 characters" in answer.json()["error"]
    bad = client.post(desk_url("autosave", story), "not json", content_type="application/json")
    assert bad.status_code == 400


# -- the queue -----------------------------------------------------------------------------------


def test_the_queue_puts_overdue_and_high_priority_first_and_shows_who_is_looking(
    client_for, reporter, editor
):
    now = timezone.now()
    desk = second_editor()
    stories = {name: StoryFactory(headline=name) for name in ("Calm", "Urgent", "Late", "Mine")}
    SectionEditor.objects.create(section=stories["Calm"].section, user=editor)
    reviewing.submit(stories["Calm"], user=reporter)
    reviewing.submit(stories["Urgent"], user=reporter, reviewer=editor, priority="urgent")
    late = reviewing.submit(
        stories["Late"], user=reporter, reviewer=editor, due_at=now + timedelta(hours=1)
    )
    Review.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=5))
    reviewing.submit(stories["Mine"], user=editor, reviewer=desk)
    presence.beat(stories["Urgent"].pk, desk)

    client = client_for(editor)
    mine = client.get(reverse("admin:stories_review_changelist") + "?tab=mine")
    assert [row["story"].headline for row in mine.context["rows"]] == ["Late", "Urgent"]
    html = mine.content.decode()
    assert "overdue" in html and "Sam Second (since" in html
    counts = {tab["name"]: tab["count"] for tab in mine.context["tabs"]}
    assert counts == {"mine": 2, "sections": 1, "submitted": 1, "changes": 0, "all": 4}

    index = client.get(reverse("admin:index")).content.decode()
    assert "Waiting for me (2)" in index and "Waiting for my sections (1)" in index

    reviewing.request_changes(stories["Mine"], user=desk, message="No.")
    changes = client.get(reverse("admin:stories_review_changelist") + "?tab=changes")
    assert [row["story"].headline for row in changes.context["rows"]] == ["Mine"]


def test_an_approval_voided_by_an_edit_is_waiting_again(client_for, story, reporter, editor):
    from stories import editing

    reviewing.submit(story, user=reporter, reviewer=editor)
    reviewing.approve(story, user=editor)
    client = client_for(editor)
    assert (
        client.get(reverse("admin:stories_review_changelist") + "?tab=mine").context["rows"] == []
    )
    stored = Story.objects.get(pk=story.pk)
    stored.body = "Edited after approval."
    editing.save_story(stored, user=reporter)
    rows = client.get(reverse("admin:stories_review_changelist") + "?tab=mine").context["rows"]
    assert [row["state"] for row in rows] == ["Approval void: edited since"]


@pytest.mark.parametrize(
    "page", ["admin:stories_review_changelist", "admin:stories_notification_changelist"]
)
def test_the_desks_pages_need_a_staff_login(client, page):
    assert client.get(reverse(page)).status_code == 302
