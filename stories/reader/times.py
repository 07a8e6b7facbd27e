"""How reader pages, feeds and structured data write a time, so they always agree."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.dateformat import format as format_date

#: Times as readers see them: AP style with the newsroom's time-zone abbreviation,
#: e.g. "Nov. 28, 2025, 3:37 p.m. EST".
DISPLAY_FORMAT = "N j, Y, P T"


def iso_time(value: datetime) -> str:
    """The machine-readable form of a time, in the newsroom's zone with its offset.

    Used for ``<time datetime>``, JSON-LD, Open Graph and feeds alike, so they match.
    """
    return _iso(value, timezone.get_current_timezone_name())


def display_time(value: datetime) -> str:
    return _display(value, timezone.get_current_timezone_name(), translation.get_language())


# A page shows the same few published times over and over (and Django's date format
# costs a tenth of a millisecond each): each is written once per zone and language.
@lru_cache(maxsize=4096)
def _iso(value: datetime, zone: str) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


@lru_cache(maxsize=4096)
def _display(value: datetime, zone: str, language: str | None) -> str:
    return format_date(timezone.localtime(value), DISPLAY_FORMAT)
