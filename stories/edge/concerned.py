"""Which surrogate keys a change makes stale: exactly those, so the rest stays cached.

Read after the change has committed (the signals' receivers), from the published
versions, which never change: a version and the one before it say which section and
contributors lost or gained a story.
"""

from __future__ import annotations

from stories.content.kinds import RevisionKind
from stories.models import Contributor, Revision, Section, Story

from . import keys


def published(story: Story, revision: Revision) -> set[str]:
    """A new version (a publication, an update of any kind, or a withdrawal): the
    story's own answers, and every list it was or is now on."""
    previous = (
        Revision.objects.filter(story_id=story.pk, number=revision.number - 1)
        .values("section_slug", "section_name", "credits")
        .first()
    )
    concerned = {keys.story(story.public_id), keys.LATEST, keys.SITEMAPS, keys.SEARCH, keys.LOG}
    sections = {revision.section_slug} | ({previous["section_slug"]} if previous else set())
    concerned |= {keys.section(slug) for slug in sections}
    credited = _credited(revision.credits)
    before = _credited(previous["credits"]) if previous else set()
    concerned |= {keys.contributor(slug) for slug in credited | before}
    if credited != before:
        concerned.add(keys.CONTRIBUTORS)
    if _on_corrections(story):
        concerned.add(keys.CORRECTIONS)
    if _menu_changed(revision, previous):
        concerned |= {keys.SECTION_MENU, keys.SECTIONS}
    return concerned


def removed(story: Story) -> set[str]:
    """A legal removal blanks earlier versions of a story: only its own answers show
    them (lists show live versions, which cannot be removed)."""
    return {keys.story(story.public_id)}


def profile_changed(instance: Section | Contributor) -> set[str]:
    """What readers see of a section or contributor changed: its page and directories.
    Story pages show the names as published in their versions, so they stay."""
    if isinstance(instance, Section):
        return {keys.section(instance.slug), keys.SECTIONS}
    return {keys.contributor(instance.slug), keys.CONTRIBUTORS}


def _credited(credits) -> set[str]:
    return {credit["slug"] for credit in credits or () if credit.get("slug")}


def _on_corrections(story: Story) -> bool:
    """Whether the corrections page and feed list the story (they show its latest
    headline, and whether it was withdrawn): any version after the first but minor ones."""
    return (
        Revision.objects.filter(story_id=story.pk, number__gt=1)
        .exclude(kind=RevisionKind.MINOR)
        .exists()
    )


def _menu_changed(revision: Revision, previous: dict | None) -> bool:
    """Whether the menu of sections (the section names of live versions) gained or lost
    an entry: the story's entry moved, and its new one is shown for it alone, or no live
    version shows its old one any more."""
    before = (previous["section_slug"], previous["section_name"]) if previous else None
    after = None
    if revision.kind != RevisionKind.WITHDRAWAL:
        after = (revision.section_slug, revision.section_name)
    if before == after:
        return False
    live = Revision.objects.live()
    if after and not _showing(live.exclude(story_id=revision.story_id), after).exists():
        return True
    return bool(before) and not _showing(live, before).exists()


def _showing(versions, entry: tuple[str, str]):
    slug, name = entry
    return versions.filter(section_slug=slug, section_name=name)
