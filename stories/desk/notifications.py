"""Notifications: only the people concerned, in the admin and by email.

``notify`` writes one ``Notification`` per recipient (never the person who acted, never
someone who muted the story or whose account is inactive) and, once the transaction that
caused it commits, enqueues one email each through django-tasks (``make worker``). A
mail server that fails is retried by the queue and never blocks or undoes the action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from stories import addresses, audit
from stories.models import Notification, Story, StoryWatch

logger = logging.getLogger(__name__)

#: Attempts at an email before the worker gives up, and the wait before each retry.
EMAIL_ATTEMPTS = 5
EMAIL_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))
#: Notifications listed a page in the admin.
PER_PAGE = 50


def story_link(story: Story) -> str:
    """Where a notification about ``story`` leads: its change form in the admin."""
    return reverse("admin:stories_story_change", args=[story.pk])


def notify(
    recipients: Iterable,
    *,
    story: Story,
    actor,
    action: str,
    text: str,
    link: str | None = None,
) -> list[Notification]:
    """Tell each of ``recipients`` (users) that ``text`` happened to ``story``.

    Skips the actor, inactive accounts, people without an address of their own to the
    admin (not staff), and anyone who muted the story. Returns the notifications made.
    """
    wanted = {user.pk: user for user in recipients if user is not None}
    wanted.pop(getattr(actor, "pk", None), None)
    if not wanted:
        return []
    muted = set(
        StoryWatch.objects.filter(story=story, user_id__in=wanted, muted=True).values_list(
            "user_id", flat=True
        )
    )
    notifications = [
        Notification(
            recipient=user,
            story=story,
            actor=actor,
            action=action,
            text=text[:500],
            link=link or story_link(story),
        )
        for pk, user in sorted(wanted.items())
        if pk not in muted and user.is_active and user.is_staff
    ]
    Notification.objects.bulk_create(notifications)
    ids = [notification.pk for notification in notifications if notification.recipient.email]
    if ids:
        site_root = addresses.site_root()
        # After the commit: nobody is emailed about an action that was rolled back, and a
        # queue that cannot be reached cannot undo the action (robust).
        transaction.on_commit(lambda: _enqueue(ids, site_root), robust=True)
    return notifications


def _enqueue(ids: list[int], site_root: str) -> None:
    for pk in ids:
        send_notification_email.enqueue(pk, site_root)


@task()
def send_notification_email(notification_id: int, site_root: str, attempt: int = 1) -> str:
    """Email one notification: the story, the action and a link (background work)."""
    notification = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
        .select_related("recipient", "story", "actor")
        .first()
    )
    if notification is None or not notification.recipient.email:
        return "nothing to send"
    message = EmailMessage(
        subject=f"[{settings.PUBLICATION_NAME}] {notification.text}"[:200],
        body=render_to_string(
            "emails/desk_notification.txt",
            {
                "notification": notification,
                "name": audit.display_name(notification.recipient),
                "url": site_root.rstrip("/") + notification.link,
                "settings_url": site_root.rstrip("/")
                + reverse("admin:stories_notification_changelist"),
                "publication": settings.PUBLICATION_NAME,
            },
        ),
        to=[notification.recipient.email],
    )
    try:
        message.send()
    except Exception:
        _retry_later(notification_id, site_root, attempt)
        raise
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return "sent"


def _retry_later(notification_id: int, site_root: str, attempt: int) -> None:
    backend = send_notification_email.get_backend()
    if attempt >= EMAIL_ATTEMPTS or not backend.supports_defer:
        logger.error(
            "giving up emailing notification %s after %s attempts", notification_id, attempt
        )
        return
    delay = EMAIL_RETRY_DELAYS[min(attempt, len(EMAIL_RETRY_DELAYS)) - 1]
    send_notification_email.using(run_after=timezone.now() + delay).enqueue(
        notification_id, site_root, attempt + 1
    )
    logger.warning("emailing notification %s failed; retrying in %s", notification_id, delay)


def on_revision_published(sender, story, revision, **kwargs) -> None:
    """``publishing.revision_published`` (after the commit): the story's watchers, its
    submitter and reviewers among them, hear that it went out."""
    notify(
        watchers(story),
        story=story,
        actor=revision.published_by,
        action="published",
        text=f"{audit.display_name(revision.published_by)} published version {revision.number} "
        f"({revision.get_kind_display().lower()}) of “{revision.headline}”",
    )


# -- one's own list --------------------------------------------------------------------


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def latest(user, limit: int = PER_PAGE) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user)
        .select_related("actor", "story")
        .order_by("-created_at", "-pk")[:limit]
    )


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (those in ``ids``, else all); returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# -- watching and muting ---------------------------------------------------------------


def watch(story: Story, user) -> None:
    """Follow ``story`` (people who submit, review, comment or are mentioned do already)."""
    StoryWatch.objects.update_or_create(story=story, user=user, defaults={"muted": False})


def follow(story: Story, user) -> None:
    """Follow ``story`` unless the person muted it: their choice stands."""
    if user is not None and user.pk is not None:
        StoryWatch.objects.get_or_create(story=story, user=user)


def mute(story: Story, user) -> None:
    """Hear nothing more of ``story`` (until unmuted)."""
    StoryWatch.objects.update_or_create(story=story, user=user, defaults={"muted": True})


def is_muted(story: Story, user) -> bool:
    return StoryWatch.objects.filter(story=story, user=user, muted=True).exists()


def watchers(story: Story) -> list:
    """The people following ``story`` (not those who muted it)."""
    User = get_user_model()
    return list(
        User.objects.filter(
            pk__in=StoryWatch.objects.filter(story=story, muted=False).values("user_id")
        )
    )
