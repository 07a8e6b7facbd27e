"""Editing: the one way to change a working copy (a story and its credits, a section, a
contributor), beside ``publishing``, the one way to make it public.

The rules of saving live here, so the admin, a revert, a command and a shell session
all meet them:

* permissions: reporters and editors may draft (``stories.change_story``...);
* no lost edits: a save names the edit of the working copy the editor started from, and is
  refused if someone saved since ("Elena Marsh saved this story at ..."); every real
  change, credits included, moves the edit number;
* publishing state (status, public times, the live version) is never changed by an
  edit or a revert: only ``publishing`` writes it;
* a published story's slug is its public address and never changes;
* once a story has been published, every change needs a reason for the audit trail;
* every history row carries the user and the reason; a save that changes nothing
  writes nothing.

Errors are ``ValidationError`` keyed by form field, exactly as ``publish()`` raises
them, so a form can show each next to its field; ``story_edit_errors`` gives the same
verdict without writing, for forms that validate before they save.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format

from stories.content.kinds import CreditRole
from stories.content.text import clean_model_text, clean_text
from stories.media import pictures
from stories.models import Contributor, Credit, Section, Story, refuse_public_slug_change

from .roles import (
    ADD_CONTRIBUTOR,
    ADD_SECTION,
    ADD_STORY,
    CHANGE_CONTRIBUTOR,
    CHANGE_SECTION,
    CHANGE_STORY,
    PUBLISH_STORY,
    require_permission,
)

#: Story fields only the publishing service writes (and the permanent id, which nothing
#: writes after creation): an edit or a revert keeps them as stored.
PUBLISHING_STATE = (
    "public_id",
    "status",
    "scheduled_at",
    "scheduled_edit",
    "first_published_at",
    "updated_at",
    "latest_revision_id",
    "created_at",
    "created_by_id",
)

#: The reason recorded when a new story is saved without one.
CREATED = "Created"
#: The reason recorded for credit changes of a draft saved without one.
CREDITS_EDITED = "Credits edited"


@dataclass(frozen=True)
class CreditLine:
    """One credit as an editor wants it: who, in what role, in which position."""

    contributor: Contributor
    role: str = CreditRole.BYLINE
    affiliation: str = ""
    position: int = 0

    @property
    def key(self) -> tuple[int, str]:
        # A story credits a contributor once per role: that pair names a credit.
        return (self.contributor.pk, self.role)


@dataclass
class CreditPlan:
    """What saving a list of credit lines would do to a story's stored credits."""

    add: list[CreditLine] = field(default_factory=list)
    change: list[tuple[Credit, CreditLine]] = field(default_factory=list)
    remove: list[Credit] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.change or self.remove)


@dataclass
class StoryEdit:
    """What a save did: whether the story's own fields changed, and its credits."""

    story: Story
    story_changed: bool = False
    added: list[Credit] = field(default_factory=list)
    changed: list[tuple[Credit, list[str]]] = field(default_factory=list)
    removed: list[Credit] = field(default_factory=list)

    @property
    def credits_changed(self) -> bool:
        return bool(self.added or self.changed or self.removed)


# -- stories ---------------------------------------------------------------------------


def story_edit_errors(
    story: Story,
    *,
    user,
    reason: str = "",
    expected_edit: int | None = None,
    credits: Iterable[CreditLine] | None = None,
) -> dict[str, list[str]]:
    """The rules for saving ``story`` as it now holds, as ``{field: [messages]}``.

    Locks the story row for the rest of the caller's transaction, so a form that asks
    here before it saves keeps the verdict true until it does. Credit problems are keyed
    ``"credits"``; a stale edit, ``"__all__"``.
    """
    try:
        _check(story, user=user, reason=reason, expected_edit=expected_edit, credits=credits)
    except ValidationError as error:
        return error.message_dict
    return {}


def save_story(
    story: Story,
    *,
    user,
    reason: str = "",
    expected_edit: int | None = None,
    credits: Iterable[CreditLine] | None = None,
) -> StoryEdit:
    """Save the working copy as ``story`` now holds it and, when ``credits`` is given,
    make the story's credits exactly those lines (in their positions).

    ``expected_edit`` is the ``Story.edit_number`` the editor started from (``None``
    skips the check, for code that has just read the story). A revert passes the fields
    of an old history row: they are saved like any edit, and the publishing state and a
    published slug stay as stored. Raises ``PermissionDenied`` or ``ValidationError``
    (keyed by field) and then writes nothing.
    """
    with transaction.atomic():
        stored, plan = _check(
            story, user=user, reason=reason, expected_edit=expected_edit, credits=credits
        )
        return _write(story, stored, plan, user=user, reason=reason.strip())


def _check(story, *, user, reason, expected_edit, credits):
    adding = _is_new(story)
    # Nothing XML cannot carry is stored: feeds and sitemaps are XML (stories.content.text).
    clean_model_text(story)
    require_permission(user, ADD_STORY if adding else CHANGE_STORY)
    errors: dict[str, list[str]] = {}
    stored = None if adding else _lock(story)
    if stored is not None:
        if expected_edit is not None and expected_edit != stored["edit_number"]:
            errors.setdefault("__all__", []).append(_stale_message(stored))
        _keep_publishing_state(story, stored)
    try:
        # Field limits, the section, a unique slug, and a published slug kept (Story.clean).
        story.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    plan = None
    if credits is not None:
        lines = [replace(line, affiliation=clean_text(line.affiliation)) for line in credits]
        duplicate = _duplicate(lines)
        if duplicate:
            errors.setdefault("credits", []).append(duplicate)
        else:
            plan = _plan_credits(story, lines)
    _check_picture(story, errors)
    published = stored is not None and stored["first_published_at"] is not None
    if published and not reason.strip():
        content_changed = story.has_unsaved_changes()
        if content_changed or plan:
            what = "it" if content_changed else "its credits"
            errors.setdefault("change_reason", []).append(
                f"This story has been published: say why you are changing {what}."
            )
    if errors:
        raise ValidationError(errors)
    return stored, plan


def _check_picture(story: Story, errors: dict[str, list[str]]) -> None:
    """A picture newly given to the working copy must still have its files: those of a
    picture nobody used are deleted after a while (``pictures.delete_unused``), and a form
    kept open for days, or a revert to an old draft, may name one. Under the pictures'
    lock, so its files cannot go between this check and the commit."""
    changed = story.changed_fields()
    if story.picture_id is None or (changed is not None and "picture" not in changed):
        return
    pictures.lock()
    if pictures.missing_files(story.picture):
        errors.setdefault("picture", []).append(
            "This picture is no longer kept (no story used it for a while, so its files "
            "were deleted): upload it again."
        )


def _lock(story: Story) -> dict:
    """Lock the story row and read what the rules compare against."""
    row = (
        Story.objects.select_for_update(of=("self",))
        .filter(pk=story.pk)
        .values(
            *(name for name in PUBLISHING_STATE),
            "slug",
            "edit_number",
            "modified_at",
            "modified_by__username",
            "modified_by__first_name",
            "modified_by__last_name",
        )
        .first()
    )
    if row is None:
        raise ValidationError("This story has been deleted since you opened it.")
    return row


def _keep_publishing_state(story: Story, stored: dict) -> None:
    for name in PUBLISHING_STATE:
        setattr(story, name, stored[name])


def _stale_message(stored: dict) -> str:
    name = " ".join(
        filter(None, [stored["modified_by__first_name"], stored["modified_by__last_name"]])
    )
    who = name or stored["modified_by__username"] or "Someone"
    when = date_format(timezone.localtime(stored["modified_at"]), "DATETIME_FORMAT")
    return (
        f"{who} saved this story at {when}, after you opened it. Your changes have not been "
        "saved and are still in the form below: copy what you need, reload the page to see "
        "their edit, and apply your changes again."
    )


def _duplicate(lines: list[CreditLine]) -> str:
    seen = set()
    for line in lines:
        if line.key in seen:
            return (
                f"{line.contributor.name} is already credited as “{CreditRole(line.role).label}” "
                "on another row. To reorder credits, change their positions; to replace a "
                "contributor, delete the old row first."
            )
        seen.add(line.key)
    return ""


def _plan_credits(story: Story, lines: list[CreditLine]) -> CreditPlan:
    existing = (
        {}
        if story.pk is None
        else {
            (credit.contributor_id, credit.role): credit
            for credit in Credit.objects.filter(story_id=story.pk).select_related("contributor")
        }
    )
    plan = CreditPlan()
    for line in lines:
        credit = existing.pop(line.key, None)
        if credit is None:
            plan.add.append(line)
        elif (credit.affiliation, credit.position) != (line.affiliation, line.position):
            plan.change.append((credit, line))
    plan.remove = list(existing.values())
    return plan


def _write(story: Story, stored: dict | None, plan: CreditPlan | None, *, user, reason: str):
    edit = StoryEdit(story)
    if stored is None:
        story.created_by = user
    edit.story_changed = story.has_unsaved_changes()  # always true for a new story
    if plan and not edit.story_changed:
        # Credits are part of the story: move its edit number so stale forms are refused.
        story.edit_number = stored["edit_number"] + 1
    if edit.story_changed or plan:
        story.modified_by = user
        default = CREATED if stored is None else ("" if edit.story_changed else CREDITS_EDITED)
        _attribute(story, user, reason or default)
        story.save()
    if plan:
        _apply_credits(story, plan, edit, user=user, reason=reason or CREDITS_EDITED)
    return edit


def _apply_credits(story: Story, plan: CreditPlan, edit: StoryEdit, *, user, reason: str):
    # Removals first: a credit removed and added back in one save must not collide.
    for credit in plan.remove:
        _attribute(credit, user, reason)
        credit.delete()
        edit.removed.append(credit)
    for credit, line in plan.change:
        fields = [
            name
            for name in ("affiliation", "position")
            if getattr(credit, name) != getattr(line, name)
        ]
        credit.affiliation, credit.position = line.affiliation, line.position
        _attribute(credit, user, reason)
        credit.save()
        edit.changed.append((credit, fields))
    for line in plan.add:
        credit = Credit(
            story=story,
            contributor=line.contributor,
            role=line.role,
            affiliation=line.affiliation,
            position=line.position,
        )
        _attribute(credit, user, reason)
        credit.save()
        edit.added.append(credit)


def _attribute(obj, user, reason: str) -> None:
    """The user and reason of the history row the next save writes (cleared after it)."""
    obj._history_user = user
    obj._change_reason = reason or None


# -- sections and contributors ---------------------------------------------------------
#
# Readers see a section's or a contributor's page (name, description, affiliation, bio)
# as stored, not as a published version: there is no "publish" for them. So once
# published versions link to one, changing what readers see of it is itself a
# publication: it needs the publish permission and a reason (kept in the audit trail),
# and after it commits ``public_profile_changed`` is sent, which the reader site uses to
# make every cached page showing it stale at once (the domain knows nothing of the
# reader, as with ``publishing.revision_published``).

#: Sent after the transaction that changed what readers see of a section or contributor
#: commits (``sender``: the model; ``instance``; ``fields``: the public fields changed).
public_profile_changed = Signal()


def save_section(section: Section, *, user, reason: str = "") -> bool:
    """Save a section; its slug is fixed once a published version links to it, and what
    readers see of it then changes only with the publish permission and a reason.

    Returns whether anything changed (a save that changes nothing writes no history).
    """
    return _save_linked(section, user=user, reason=reason)


def save_contributor(contributor: Contributor, *, user, reason: str = "") -> bool:
    """Save a contributor: as ``save_section``, once a published version credits them."""
    return _save_linked(contributor, user=user, reason=reason)


def linked_edit_errors(obj: Section | Contributor, *, user, reason: str = "") -> dict:
    """The rules for saving a section or contributor, as ``{field: [messages]}``, for
    forms that validate before they save; a missing permission is an ``"__all__"`` error."""
    try:
        _check_linked(obj, user=user, reason=reason, adding=_is_new(obj))
    except ValidationError as error:
        return error.message_dict
    except PermissionDenied as error:
        return {"__all__": [str(error)]}
    return {}


#: The permissions that add or change each kind of linked object.
_LINKED_PERMISSIONS = {
    Section: (ADD_SECTION, CHANGE_SECTION),
    Contributor: (ADD_CONTRIBUTOR, CHANGE_CONTRIBUTOR),
}


def _check_linked(obj, *, user, reason: str, adding: bool) -> list[str]:
    """Check a save of ``obj``; returns the public fields it changes (readers see them)."""
    add, change = _LINKED_PERMISSIONS[type(obj)]
    require_permission(user, add if adding else change)
    obj.full_clean()
    refuse_public_slug_change(obj)
    public = _public_changes(obj, adding)
    if public:
        what = type(obj)._meta.verbose_name
        require_permission(
            user,
            PUBLISH_STORY,
            f"change what readers see of a {what} that published stories link to",
        )
        if not reason.strip():
            raise ValidationError(
                {
                    "change_reason": f"Readers see this {what} on the site: say why you are "
                    f"changing its {_field_names(obj, public)}."
                }
            )
    return public


def _public_changes(obj, adding: bool) -> list[str]:
    if adding:
        return []
    changed = set(obj.changed_fields() or [])
    public = [name for name in obj.PUBLIC_FIELDS if name in changed]
    return public if public and obj.has_public_address() else []


def _field_names(obj, names: list[str]) -> str:
    """ "name", "name and short bio", "name, slug and short bio"."""
    labels = [str(obj._meta.get_field(name).verbose_name) for name in names]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _is_new(obj) -> bool:
    """Whether saving ``obj`` creates a row. A history row's instance (what a revert
    saves) says it is new, yet its row exists: it is an edit of that row."""
    if obj._state.adding and obj.pk is not None:
        obj._state.adding = not type(obj)._base_manager.filter(pk=obj.pk).exists()
    return obj._state.adding


def _save_linked(obj, *, user, reason: str) -> bool:
    adding = _is_new(obj)
    clean_model_text(obj)
    with transaction.atomic():
        if not obj.has_unsaved_changes():
            return False
        public = _check_linked(obj, user=user, reason=reason, adding=adding)
        _attribute(obj, user, reason.strip() or (CREATED if adding else ""))
        obj.save()
        if public:
            transaction.on_commit(
                lambda: public_profile_changed.send(
                    sender=type(obj), instance=obj, fields=tuple(public)
                )
            )
    return True
