"""Outside approvers: a signed, expiring, revocable link to the exact edit under review,
the page it opens (the working copy as readers would see it, never cached, noindex), a
comment with the visitor's name (rate-limited), and every view recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from stories import editing, publishing
from stories.desk import previews
from stories.models import Comment, Notification, PreviewLink, PreviewVisit, Story
from tests.factories import approved
from tests.readerpages import read, text


@pytest.fixture
def shared(story, editor):
    link, token = previews.create_link(story, user=editor, label="Counsel, M. Reyes")
    return link, token, reverse("reader:outside_preview", args=[token])


def test_the_link_shows_the_working_copy_privately(client, story, shared):
    link, token, url = shared
    response = client.get(url, REMOTE_ADDR="203.0.113.77")

    assert response.status_code == 200
    assert read(response).h1 == [story.headline]
    body = text(response)
    assert "The council met on Tuesday." in body and "Preview - not published" in body
    assert "Counsel, M. Reyes" in body
    assert '<meta name="robots" content="noindex">' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin", "the token never goes to another site"
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }
    from django.db.models import Model

    context = {key: value for layer in response.context for key, value in layer.flatten().items()}
    assert not [key for key, value in context.items() if isinstance(value, Model)], (
        "the page gets plain data, never a model instance"
    )
    visit = PreviewVisit.objects.get()
    assert (visit.link, visit.shown, visit.outcome, visit.client) == (
        link,
        True,
        "shown",
        "203.0.113.0/24",
    )


def test_a_visitor_comments_under_their_name_and_the_editor_hears(client, editor, story, shared):
    link, token, url = shared
    response = client.post(url, {"name": "M. Reyes", "body": "Paragraph two is defamatory."})
    assert response.status_code == 302 and response.url.endswith("?sent=1")

    comment = Comment.objects.get()
    assert (comment.author, comment.visitor_name, comment.preview_link, comment.edit_number) == (
        None,
        "M. Reyes",
        link,
        story.edit_number,
    )
    told = Notification.objects.get(recipient=editor)
    assert told.action == "outside_comment" and "M. Reyes (Counsel, M. Reyes)" in told.text
    assert "Thank you" in text(client.get(response.url))

    empty = client.post(url, {"name": "", "body": ""})
    assert empty.status_code == 200 and empty.context["form"].errors.keys() == {"name", "body"}


def test_comments_from_the_link_are_rate_limited(client, story, shared, settings):
    settings.RATELIMIT_ENABLE = True
    settings.PREVIEW_COMMENT_RATE = "2/h"
    link, token, url = shared
    address = {"REMOTE_ADDR": "198.51.100.23"}
    for number in range(2):
        assert (
            client.post(url, {"name": "A", "body": f"Note {number}"}, **address).status_code == 302
        )
    refused = client.post(url, {"name": "A", "body": "One more"}, **address)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Comment.objects.count() == 2


@pytest.mark.parametrize("how", ["edited", "published", "revoked", "expired"])
def test_an_edit_a_publish_revocation_or_expiry_ends_the_link(client, story, editor, shared, how):
    link, token, url = shared
    if how == "edited":
        stored = Story.objects.get(pk=story.pk)
        stored.body = "A changed body."
        editing.save_story(stored, user=editor)
        reason = "edited since this link was made"
    elif how == "published":
        publishing.publish(approved(story), user=editor)
        reason = "published since this link was made"
    elif how == "revoked":
        previews.revoke(link, user=editor)
        reason = "revoked"
    else:
        PreviewLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        reason = "expired"

    response = client.get(url)
    assert response.status_code == 410
    assert reason in text(response)
    assert "The council met" not in text(response)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert PreviewVisit.objects.get().shown is False
    assert client.post(url, {"name": "A", "body": "B"}).status_code == 410
    assert not Comment.objects.exists()


def test_a_forged_or_altered_token_opens_nothing(client, story, shared):
    link, token, url = shared
    forged = reverse("reader:outside_preview", args=[token[:-3] + "abc"])
    assert client.get(forged).status_code == 410
    other_edit = previews.signing.dumps({"link": link.pk, "edit": 99}, salt="elsewhere")
    assert client.get(reverse("reader:outside_preview", args=[other_edit])).status_code == 410


def test_only_editors_make_links(story, reporter):
    with pytest.raises(PermissionDenied):
        previews.create_link(story, user=reporter, label="My source")


def test_the_admin_makes_lists_and_revokes_links(client_for, story, editor):
    client = client_for(editor)
    client.post(
        reverse("admin:stories_story_desk_link", args=[story.pk]), {"label": "Source, J. Doe"}
    )
    link = PreviewLink.objects.get()
    page = client.get(reverse("admin:stories_story_change", args=[story.pk])).content.decode()
    assert "For Source, J. Doe (edit 1)" in page and "/review/" in page
    client.post(reverse("admin:stories_story_desk_revoke", args=[story.pk, link.pk]))
    link.refresh_from_db()
    assert link.revoked_by == editor
    assert list(
        link.history.values_list("history_change_reason", flat=True).order_by("history_date")
    ) == [
        "Preview link for Source, J. Doe (edit 1)",
        "Revoked",
    ]
