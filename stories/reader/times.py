"""How reader pages, feeds and structured data write a time, so they always agree."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date

#: Times as readers see them: AP style with the newsroom's time-zone abbreviation,
#: e.g. "Nov. 28, 2025, 3:37 p.m. EST".
DISPLAY_FORMAT = "N j, Y, P T"


def iso_time(value: datetime) -> str:
    """The machine-readable form of a time, in the newsroom's zone with its offset.

    Used for ``<time datetime>``, JSON-LD, Open Graph and feeds alike, so they match.
    """
    return timezone.localtime(value).isoformat(timespec="seconds")


def display_time(value: datetime) -> str:
    return format_date(timezone.localtime(value), DISPLAY_FORMAT)
