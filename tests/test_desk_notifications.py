"""Notifications: only the people concerned, in one's list in the admin with an unread
count, and by email through the task queue, retried on failure, never blocking the action."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from stories import reviewing
from stories.desk import notifications
from stories.models import Notification, Review
from tests.factories import UserFactory, second_editor


@pytest.fixture
def submitted(story, reporter, django_capture_on_commit_callbacks):
    desk = second_editor()
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.submit(story, user=reporter, reviewer=desk, message="Please read.")
    return story


def test_the_reviewer_is_emailed_with_the_story_the_action_and_a_link(submitted, settings):
    # The second editor has no address: the named reviewer is told in the admin only.
    assert mail.outbox == []
    notification = Notification.objects.get()
    assert notification.recipient.username == "second-editor"
    assert notification.link == reverse("admin:stories_story_change", args=[submitted.pk])
    assert "Rui Reporter asks you to review" in notification.text


def test_the_submitter_is_emailed_when_the_editor_decides(
    submitted, reporter, editor, django_capture_on_commit_callbacks, settings
):
    settings.PUBLICATION_URL = "https://news.example"
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.request_changes(submitted, user=editor, message="Name the source.")
    [message] = mail.outbox
    assert message.to == [reporter.email]
    assert "Elena Editor requested changes" in message.subject
    assert "Name the source." in message.body
    assert f"https://news.example/admin/stories/story/{submitted.pk}/change/" in message.body
    assert Notification.objects.get(recipient=reporter).emailed_at is not None


def test_nobody_is_told_of_their_own_action_and_muting_silences_a_story(
    submitted, reporter, editor, django_capture_on_commit_callbacks
):
    notifications.mute(submitted, reporter)
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.approve(submitted, user=editor)
    assert not Notification.objects.filter(recipient=reporter).exists()
    assert not Notification.objects.filter(recipient=editor).exists()
    assert mail.outbox == []


def test_a_failed_email_never_blocks_the_action_and_is_retried(
    transactional_db, reporter, editor, settings, monkeypatch
):
    """With the database backend (production's): the approval commits, the email fails,
    and the worker's task enqueues a retry for later."""
    from django_tasks_db.models import DBTaskResult

    from tests.factories import StoryFactory

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    story = StoryFactory()
    reviewing.submit(story, user=reporter)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    reviewing.approve(story, user=editor)
    assert Review.objects.get().state == "approved", "committed whatever the mail server does"
    [task] = DBTaskResult.objects.filter(task_path__endswith="send_notification_email")

    from django.core.management import call_command

    call_command("db_worker", "--batch", "--queue-name", "*", verbosity=0)
    task.refresh_from_db()
    assert task.status == "FAILED"
    retries = DBTaskResult.objects.filter(task_path__endswith="send_notification_email").exclude(
        pk=task.pk
    )
    assert retries.count() == 1 and retries.get().run_after is not None
    assert Notification.objects.get(recipient=reporter).emailed_at is None


def test_my_notifications_in_the_admin(client_for, submitted, reporter, editor):
    reviewing.approve(submitted, user=editor)
    other = UserFactory(username="someone-else")
    Notification.objects.create(
        recipient=other, story=submitted, action="x", text="Not yours", link="/"
    )
    client = client_for(reporter)

    page = client.get(reverse("admin:stories_notification_changelist"))
    html = page.content.decode()
    assert "1 unread" in html and "Elena Editor approved" in html and "Not yours" not in html
    assert "Notifications (1 unread)" in client.get(reverse("admin:index")).content.decode()

    mine = Notification.objects.get(recipient=reporter)
    opened = client.get(reverse("admin:stories_notification_open", args=[mine.pk]))
    assert opened.status_code == 302 and opened.url == mine.link
    mine.refresh_from_db()
    assert mine.read_at is not None
    theirs = Notification.objects.get(recipient=other)
    assert (
        client.get(reverse("admin:stories_notification_open", args=[theirs.pk])).status_code == 404
    )

    Notification.objects.filter(pk=mine.pk).update(read_at=None)
    client.post(reverse("admin:stories_notification_read"))
    assert notifications.unread_count(reporter) == 0
    assert notifications.unread_count(other) == 1


def test_mute_from_the_story_page(client_for, submitted, reporter):
    client = client_for(reporter)
    client.post(reverse("admin:stories_story_desk_watch", args=[submitted.pk]), {"mute": "1"})
    assert notifications.is_muted(submitted, reporter)
    client.post(reverse("admin:stories_story_desk_watch", args=[submitted.pk]))
    assert not notifications.is_muted(submitted, reporter)


def test_watchers_hear_that_the_story_was_published(
    submitted, reporter, editor, django_capture_on_commit_callbacks
):
    from stories import publishing

    reviewing.approve(submitted, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(submitted, user=editor)
    told = Notification.objects.filter(action="published")
    assert set(told.values_list("recipient__username", flat=True)) == {"reporter", "second-editor"}
    assert "Elena Editor published version 1 (first publication)" in told.first().text
