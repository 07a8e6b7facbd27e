"""How the admin's History pages show what changed in a save.

django-simple-history cuts long values to "The c[522 chars]d it.", shows times as
stored ("2026-11-30 03:22:09.876469+00:00") and an empty foreign key as "Deleted ...
(pk=None)". Editors need to see which words of a paragraph changed, times as the rest of
the admin writes them, and empty values as empty: long text fields get the word-level
diff readers see on the public compare page.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from simple_history.template_utils import HistoricalRecordContextHelper

from stories.content.diffing import diff_body, word_diff_html

EMPTY = "(none)"
#: The working copy's save counter (``Story.edit_number``), shown as edits ("Working copy:
#: edit 4 → edit 5"), never beside published version numbers as if it were one.
EDIT_COUNTER = "edit_number"


class AuditTrailContextHelper(HistoricalRecordContextHelper):
    def context_for_delta_changes(self, delta):
        context = super().context_for_delta_changes(delta)
        for entry, change in zip(context, delta.changes, strict=True):
            if change.field == EDIT_COUNTER:
                entry["field"] = "Working copy"
                continue
            field = self.model._meta.get_field(change.field)
            if (
                isinstance(field, models.TextField | models.CharField)
                and not field.choices
                and _is_text(change)
            ):
                entry["diff"] = text_diff_html(change.old or "", change.new or "")
        return context

    def prepare_delta_change_value(self, change, value):
        if change.field == EDIT_COUNTER and value is not None:
            return f"edit {value}"
        if getattr(value, "pk", EMPTY) is None:  # simple-history's stand-in for an empty FK
            return EMPTY
        if value is None or value == "":
            return EMPTY
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if hasattr(value, "number") and hasattr(value, "get_kind_display"):  # a Revision
            return f"version {value.number} ({value.get_kind_display()})"
        return super().prepare_delta_change_value(change, value)


def text_diff_html(old: str, new: str):
    """A word diff; for multi-paragraph text only the changed paragraphs, the rest counted."""
    if "\n\n" not in old and "\n\n" not in new:
        return word_diff_html(old, new)
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    "<p><em>… {} unchanged paragraph{} …</em></p>",
                    block.count,
                    pluralize(block.count),
                )
                if block.is_collapsed
                else format_html("<p>{}</p>", block.html),
            )
            for block in diff_body(old, new, context=0)
        ),
    )


def _is_text(change) -> bool:
    return all(isinstance(value, str | None) for value in (change.old, change.new))
