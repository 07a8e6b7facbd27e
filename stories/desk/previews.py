"""Outside approvers: a signed, expiring, revocable link to one edit of a story.

A lawyer or a source has no account. An editor makes a link (``create_link``) for the
story's current edit, the one under review; the link is the link's id and edit signed
with the site's secret (``django.core.signing``, timestamped), so it cannot be forged or
pointed at another edit, and it stops working when any of these happens: it expires
(``PREVIEW_LINK_DAYS``), an editor revokes it, the story is edited (another edit than
the one approved for reading) or published. The page shows the working copy as readers
would see it (the reader site renders it, never cached, ``noindex``) and takes a comment
with the visitor's name. Every opening of the link, shown or refused, is recorded.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stories import audit
from stories.content.text import clean_text
from stories.models import Comment, PreviewLink, PreviewVisit, Story
from stories.roles import PUBLISH_STORY, require_permission

from . import notifications

SALT = "stories.desk.previews"
NAME_MAX_LENGTH = Comment._meta.get_field("visitor_name").max_length
BODY_MAX_LENGTH = Comment._meta.get_field("body").max_length


class LinkEnded(Exception):
    """The link does not open (any more); the message says why, for the visitor."""


def create_link(story: Story, *, user, label: str, days: int | None = None):
    """A link to the story's current edit for ``label`` (who it is for); returns
    ``(link, token)``. Editors only (the publish permission)."""
    require_permission(user, PUBLISH_STORY, "share previews outside the newsroom")
    label = clean_text(label.strip())
    if not label:
        raise ValidationError({"label": ["Say who the link is for."]})
    if len(label) > PreviewLink._meta.get_field("label").max_length:
        raise ValidationError({"label": ["Keep it short: a name and a role."]})
    days = days or settings.PREVIEW_LINK_DAYS
    with transaction.atomic():
        stored = Story.objects.select_for_update().get(pk=story.pk)
        if stored.is_withdrawn:
            raise ValidationError("A withdrawn story cannot be shared for review.")
        link = PreviewLink(
            story=stored,
            label=label,
            edit_number=stored.edit_number,
            live_revision_id=stored.latest_revision_id,
            created_by=user,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.save_with_reason(link, user, f"Preview link for {label} (edit {stored.edit_number})")
    return link, token_for(link)


def token_for(link: PreviewLink) -> str:
    return signing.dumps({"link": link.pk, "edit": link.edit_number}, salt=SALT, compress=True)


def revoke(link: PreviewLink, *, user) -> PreviewLink:
    require_permission(user, PUBLISH_STORY, "revoke preview links")
    with transaction.atomic():
        stored = PreviewLink.objects.select_for_update().get(pk=link.pk)
        if stored.revoked_at is None:
            stored.revoked_at = timezone.now()
            stored.revoked_by = user
            audit.save_with_reason(stored, user, "Revoked")
    return stored


def ended(link: PreviewLink, story: Story, now=None) -> str:
    """Why the link no longer opens ("" while it does)."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return "This link has been revoked by the newsroom."
    if link.expires_at <= now:
        return "This link has expired."
    if story.is_withdrawn or story.latest_revision_id != link.live_revision_id:
        return "The story has been published since this link was made: read it on the site."
    if story.edit_number != link.edit_number:
        return "The story has been edited since this link was made: ask for a new link."
    return ""


def open_link(token: str, *, client: str = "", record: bool = True):
    """The link and the story (with its section and credits) a token opens; raises
    ``LinkEnded`` saying why not. Each opening is recorded (``PreviewVisit``)."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=timedelta(days=settings.PREVIEW_LINK_DAYS + 1)
        )
    except signing.SignatureExpired:
        raise LinkEnded("This link has expired.") from None
    except signing.BadSignature:
        raise LinkEnded("This link is not valid: check that it was copied whole.") from None
    link = PreviewLink.objects.filter(pk=data.get("link"), edit_number=data.get("edit")).first()
    if link is None:
        raise LinkEnded("This link is not valid: check that it was copied whole.")
    story = (
        Story.objects.select_related("section", "latest_revision", "picture")
        .prefetch_related("credits__contributor")
        .get(pk=link.story_id)
    )
    reason = ended(link, story)
    if record:
        PreviewVisit.objects.create(
            link=link, shown=not reason, outcome=reason or "shown", client=network_of(client)
        )
    if reason:
        raise LinkEnded(reason)
    return link, story


def add_outside_comment(token: str, *, name: str, body: str, client: str = "") -> Comment:
    """A comment from the link's visitor, under their name; the link's maker and the
    story's watchers are told."""
    link, story = open_link(token, client=client, record=False)
    name = clean_text(name.strip())
    body = clean_text(body.strip(), multiline=True)
    errors = {}
    if not name:
        errors["name"] = ["Tell us your name."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"At most {NAME_MAX_LENGTH} characters."]
    if not body:
        errors["body"] = ["Write your comment."]
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = [f"At most {BODY_MAX_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        comment = Comment(
            story=story,
            author=None,
            visitor_name=name,
            preview_link=link,
            body=body,
            edit_number=link.edit_number,
        )
        audit.save_with_reason(
            comment,
            link.created_by,
            f"Comment from {name}, through the preview link for {link.label}",
        )
        PreviewVisit.objects.create(
            link=link, shown=True, outcome="commented", client=network_of(client)
        )
        notifications.notify(
            [link.created_by, *notifications.watchers(story)],
            story=story,
            actor=None,
            action="outside_comment",
            text=f"{name} ({link.label}) commented on “{story.headline}” through a preview "
            f"link: {' '.join(body.split())[:200]}",
        )
    return comment


def links_of(story: Story) -> list[PreviewLink]:
    return list(
        PreviewLink.objects.filter(story=story)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")[:20]
    )


def network_of(address: str) -> str:
    """The visitor's network, not their address: an IPv4 /24 or an IPv6 /48."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
