"""Internal comments: on the whole story, or anchored to a field and a passage.

An anchored comment keeps the field, the quoted passage and where it stood in the edit
it was written on. Later edits may move the passage (the comment then points to where
it is now) or change it away (the comment says so and quotes what it was about, rather
than pointing at the wrong words): ``anchor_of``.

Replies hang under the first comment of a thread; a thread is resolved and reopened as
a whole. ``@username`` mentions a colleague, who is notified; the story's watchers are
told of new comments too. Comments are never public: no reader page, feed, export for
readers or version hash reads this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from stories import audit
from stories.content.text import clean_text
from stories.models import Comment, Story
from stories.roles import CHANGE_STORY, require_permission

from . import notifications

#: The fields a comment may be anchored to, as the change form labels them.
ANCHOR_FIELDS = {
    "headline": "Headline",
    "dek": "Summary (dek)",
    "body": "Body",
    "image_alt": "Alt text",
    "image_caption": "Caption",
}
BODY_MAX_LENGTH = Comment._meta.get_field("body").max_length
QUOTE_MAX_LENGTH = Comment._meta.get_field("quote").max_length
#: ``@username``: letters, digits and Django's username punctuation, not inside an address.
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*[\w+-])")


@dataclass(frozen=True)
class Anchor:
    """Where a comment's passage is in the working copy now."""

    state: str  # "story" (not anchored), "here", "moved" or "gone"
    label: str = ""
    note: str = ""
    position: int | None = None


@dataclass
class Thread:
    comment: Comment
    anchor: Anchor
    replies: list[Comment] = field(default_factory=list)


def add_comment(
    story: Story,
    *,
    user,
    body: str,
    field: str = "",
    quote: str = "",
    position: int | None = None,
    parent: Comment | None = None,
) -> Comment:
    """Comment on ``story`` (anchored when ``field`` and ``quote`` are given), or reply to
    ``parent``. Raises ``ValidationError`` keyed by form field."""
    require_permission(user, CHANGE_STORY, "comment on stories")
    body = clean_text(body.strip(), multiline=True)
    quote = clean_text(quote, multiline=True)
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = ["Write a comment."]
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = [f"Keep a comment under {BODY_MAX_LENGTH} characters."]
    mentioned, unknown = _mentioned(body)
    if unknown:
        errors.setdefault("body", []).append(
            f"No colleague here is called {', '.join('@' + name for name in unknown)}."
        )
    with transaction.atomic():
        stored = Story.objects.select_for_update().filter(pk=story.pk).first()
        if stored is None:
            raise ValidationError("This story has been deleted.")
        if parent is not None:
            if parent.story_id != stored.pk:
                errors.setdefault("parent", []).append("That comment is about another story.")
            parent = parent.parent or parent  # replies hang under the thread's first comment
            field, quote, position = "", "", None
        elif field or quote:
            position = _anchor_errors(stored, field, quote, position, errors)
        if errors:
            raise ValidationError(errors)
        comment = Comment(
            story=stored,
            parent=parent,
            author=user,
            body=body,
            field=field,
            quote=quote,
            position=position,
            edit_number=stored.edit_number,
        )
        audit.save_with_reason(comment, user, "Replied" if parent else "Commented")
        comment.mentions.set(mentioned)
        _notify(stored, comment, user, mentioned, parent)
    return comment


def _anchor_errors(story: Story, field: str, quote: str, position, errors) -> int | None:
    if field not in ANCHOR_FIELDS:
        errors.setdefault("field", []).append("Choose the field the passage is in.")
        return None
    if not quote.strip():
        errors.setdefault("quote", []).append("Select the passage the comment is about.")
        return None
    if len(quote) > QUOTE_MAX_LENGTH:
        errors.setdefault("quote", []).append(f"Quote at most {QUOTE_MAX_LENGTH} characters.")
        return None
    text = _normalised(getattr(story, field) or "")
    if position is not None and text[position : position + len(quote)] == quote:
        return position
    found = text.find(quote)
    if found < 0:
        errors.setdefault("quote", []).append(
            f"“{_short(quote)}” is not in the {ANCHOR_FIELDS[field].lower()} as saved (edit "
            f"{story.edit_number}): save your changes first, or select the passage again."
        )
        return None
    return found


def _mentioned(body: str):
    names = list(dict.fromkeys(MENTION.findall(body)))
    if not names:
        return [], []
    User = get_user_model()
    named = Q()
    for name in names:
        named |= Q(username__iexact=name)
    found = {
        user.username.lower(): user
        for user in User.objects.filter(named, is_active=True, is_staff=True)
    }
    users = [found[name.lower()] for name in names if name.lower() in found]
    unknown = [name for name in names if name.lower() not in found]
    return [user for user in users if user.has_perm(CHANGE_STORY)], unknown


def _notify(story: Story, comment: Comment, user, mentioned: list, parent: Comment | None):
    notifications.follow(story, user)
    for person in mentioned:
        notifications.follow(story, person)
    where = f" on the {ANCHOR_FIELDS[comment.field].lower()}" if comment.field else ""
    notifications.notify(
        mentioned,
        story=story,
        actor=user,
        action="mentioned",
        text=f"{audit.display_name(user)} mentioned you{where} of “{story.headline}”: "
        f"{_short(comment.body, 200)}",
    )
    told = {person.pk for person in mentioned}
    others = notifications.watchers(story)
    if parent is not None and parent.author is not None:
        others.append(parent.author)
    notifications.notify(
        [person for person in others if person.pk not in told],
        story=story,
        actor=user,
        action="commented",
        text=f"{audit.display_name(user)} {'replied' if parent else 'commented'}{where} on "
        f"“{story.headline}”: {_short(comment.body, 200)}",
    )


def resolve(comment: Comment, *, user) -> Comment:
    """Mark a thread resolved (a reply resolves its thread)."""
    return _set_resolved(comment, user, resolved=True)


def reopen(comment: Comment, *, user) -> Comment:
    return _set_resolved(comment, user, resolved=False)


def _set_resolved(comment: Comment, user, *, resolved: bool) -> Comment:
    require_permission(user, CHANGE_STORY, "resolve comments")
    with transaction.atomic():
        root = Comment.objects.select_for_update().get(pk=comment.parent_id or comment.pk)
        if root.is_resolved == resolved:
            raise ValidationError(
                "This thread is already resolved." if resolved else "This thread is open."
            )
        root.resolved_at = timezone.now() if resolved else None
        root.resolved_by = user if resolved else None
        audit.save_with_reason(root, user, "Resolved" if resolved else "Reopened")
    return root


def anchor_of(comment: Comment, story: Story) -> Anchor:
    """Where the comment's passage stands in the working copy as ``story`` holds it."""
    if not comment.field:
        return Anchor("story")
    label = ANCHOR_FIELDS.get(comment.field, comment.field)
    text = _normalised(getattr(story, comment.field, "") or "")
    quote = comment.quote
    if (
        comment.position is not None
        and text[comment.position : comment.position + len(quote)] == quote
    ):
        return Anchor("here", label, position=comment.position)
    found = text.find(quote)
    if found >= 0:
        return Anchor(
            "moved", label, f"The passage has moved since edit {comment.edit_number}.", found
        )
    return Anchor(
        "gone",
        label,
        f"The passage was changed or removed after edit {comment.edit_number}: this comment "
        "was about the words quoted, which the story no longer has.",
    )


def threads(story: Story) -> list[Thread]:
    """The story's comment threads, oldest first, each with its replies and anchor (one query)."""
    comments = list(
        Comment.objects.filter(story_id=story.pk)
        .select_related("author", "resolved_by")
        .order_by("created_at", "pk")
    )
    by_id = {}
    result = []
    for comment in comments:
        if comment.parent_id is None:
            by_id[comment.pk] = thread = Thread(comment, anchor_of(comment, story))
            result.append(thread)
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(comment)
    return result


def author_name(comment: Comment) -> str:
    if comment.author is not None:
        return audit.display_name(comment.author)
    return f"{comment.visitor_name} (outside reader)" if comment.visitor_name else "Someone"


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
