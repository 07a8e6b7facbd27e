"""Autosave: one person's unsaved changes to one story, kept on the server.

The change form sends its fields every ``INTERVAL_SECONDS`` while they differ from what
it loaded; ``keep`` replaces that person's one draft of the story (an update of one
row, never an audit row per save: the audit trail records saves of the working copy,
and this is not one). Reopening the story offers the draft back, with its time; saving
the story or discarding the draft removes it. So a closed laptop or a crashed browser
loses at most one interval of typing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stories.models import AutosaveDraft, Story
from stories.roles import CHANGE_STORY, require_permission

INTERVAL_SECONDS = 20
#: The form fields kept, and the most each may hold (a browser could send anything).
FIELDS = {
    "headline": 200,
    "slug": 200,
    "dek": 300,
    "dateline": 100,
    "body": 200_000,
    "image_alt": 300,
    "image_caption": 500,
    "change_reason": 1000,
}


def keep(story: Story, user, fields: dict, *, based_on_edit: int) -> AutosaveDraft:
    """Replace ``user``'s draft of ``story`` with ``fields`` (unknown fields are ignored)."""
    require_permission(user, CHANGE_STORY)
    kept = {}
    for name, limit in FIELDS.items():
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValidationError({name: "Expected text."})
        if len(value) > limit:
            raise ValidationError({name: f"At most {limit:,} characters can be kept."})
        kept[name] = value
    draft, _ = AutosaveDraft.objects.update_or_create(
        story=story,
        user=user,
        defaults={"fields": kept, "based_on_edit": based_on_edit, "saved_at": timezone.now()},
    )
    return draft


def draft_of(story: Story, user) -> AutosaveDraft | None:
    """``user``'s kept draft of ``story``, if any."""
    if user is None or not user.is_authenticated:
        return None
    return AutosaveDraft.objects.filter(story=story, user=user).first()


def discard(story: Story, user) -> bool:
    """Remove ``user``'s draft of ``story`` (after a save, or when they decline it)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Only a person who is logged in has drafts.")
    deleted, _ = AutosaveDraft.objects.filter(story=story, user=user).delete()
    return bool(deleted)


def differs(draft: AutosaveDraft, story: Story) -> bool:
    """Whether the draft holds anything the saved story does not."""
    return any(
        name != "change_reason" and value.replace("\r\n", "\n") != (getattr(story, name) or "")
        for name, value in draft.fields.items()
    )
