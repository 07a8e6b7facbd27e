"""Presence: who has a story's change form open, as advice, never a lock.

The change form sends a heartbeat every ``BEAT_SECONDS``; each beat records the person
and the time they started in the cache under the story's key, and an entry older than
``EXPIRES_SECONDS`` is forgotten (a closed tab, a crashed browser). It works with any
Django cache that several processes share, Redis in production, the local-memory cache
on a laptop. A lost update (two beats at once) costs one beat, corrected by the next;
the stale-edit check in ``editing`` stays the guard against lost work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from stories import audit

BEAT_SECONDS = 15
EXPIRES_SECONDS = 60
KEY = "desk:presence:{}"


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    since: datetime
    last_beat: datetime


def beat(story_id: int, user, *, now: datetime | None = None) -> list[Presence]:
    """Record that ``user`` has the story open; returns the others who do."""
    now = now or timezone.now()
    entries = _fresh(cache.get(KEY.format(story_id)) or {}, now)
    mine = entries.get(str(user.pk))
    since = mine["since"] if mine else now.timestamp()
    entries[str(user.pk)] = {
        "name": audit.display_name(user),
        "since": since,
        "last": now.timestamp(),
    }
    cache.set(KEY.format(story_id), entries, EXPIRES_SECONDS)
    return [person for person in _people(entries) if person.user_id != user.pk]


def present(story_id: int, *, exclude=None, now: datetime | None = None) -> list[Presence]:
    """Who has the story open now (beats in the last ``EXPIRES_SECONDS``)."""
    return present_on([story_id], exclude=exclude, now=now).get(story_id, [])


def present_on(story_ids, *, exclude=None, now: datetime | None = None) -> dict:
    """``{story_id: [Presence, ...]}`` for many stories in one cache round trip."""
    now = now or timezone.now()
    ids = list(story_ids)
    found = cache.get_many([KEY.format(pk) for pk in ids]) if ids else {}
    result = {}
    for pk in ids:
        people = [
            person
            for person in _people(_fresh(found.get(KEY.format(pk)) or {}, now))
            if exclude is None or person.user_id != exclude.pk
        ]
        if people:
            result[pk] = people
    return result


def _fresh(entries: dict, now: datetime) -> dict:
    cutoff = now.timestamp() - EXPIRES_SECONDS
    return {user_id: entry for user_id, entry in entries.items() if entry["last"] >= cutoff}


def _people(entries: dict) -> list[Presence]:
    zone = timezone.get_current_timezone()
    return sorted(
        (
            Presence(
                user_id=int(user_id),
                name=entry["name"],
                since=datetime.fromtimestamp(entry["since"], tz=zone),
                last_beat=datetime.fromtimestamp(entry["last"], tz=zone),
            )
            for user_id, entry in entries.items()
        ),
        key=lambda person: person.since,
    )
