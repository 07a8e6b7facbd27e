"""How reader pages, feeds and structured data write a time, so they always agree.

Readers read times in the newsroom's zone (``NEWSROOM_TIME_ZONE``), with the zone named;
machines read them in UTC (``<time datetime>``, JSON-LD, Open Graph, sitemaps), the one
form that never depends on where the site or the reader is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.dateformat import format as format_date

#: Times as readers see them: AP style, then the zone (``zone_name``), e.g.
#: "Nov. 28, 2025, 3:37 p.m. EST".
DISPLAY_FORMAT = "N j, Y, P"


def iso_time(value: datetime) -> str:
    """The machine-readable form of a time, in UTC: "2025-11-28T20:37:00+00:00".

    Used for ``<time datetime>``, JSON-LD, Open Graph and sitemaps alike, so they match.
    """
    return _iso(value)


def zone_name(value: datetime) -> str:
    """The zone a local time is in, as readers know it: "EST", "CET", "UTC"; a zone whose
    only abbreviation is its offset ("-03") is named by it ("UTC-03")."""
    abbreviation = value.tzname() or ""
    return f"UTC{abbreviation}" if abbreviation[:1] in ("+", "-") else abbreviation


def display_time(value: datetime) -> str:
    return _display(value, timezone.get_current_timezone_name(), translation.get_language())


# A page shows the same few published times over and over (and Django's date format
# costs a tenth of a millisecond each): each is written once per zone and language.
@lru_cache(maxsize=4096)
def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


@lru_cache(maxsize=4096)
def _display(value: datetime, zone: str, language: str | None) -> str:
    local = timezone.localtime(value)
    return f"{format_date(local, DISPLAY_FORMAT)} {zone_name(local)}"
