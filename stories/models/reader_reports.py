"""Readers' error reports: what a reader said was wrong, and what the desk did about it.

A report is private. It names the story and the exact version the reader was looking
at, what they say is wrong, the passage, and (only if they want to hear back) a name
and an email address. The corrections desk triages it in the admin; publishing a
correction from it resolves it and emails the reader. Only ``stories.reporting``
changes a report, so every change is in its audit trail with a user and a reason.

Nothing a reader can see reads this table, except one fact with no personal data in
it: that a published version was prompted by a reader report (``ErrorReport.resolved_by``).

It refers to the story and revision models by name, so that the editorial models and
the reader reports can change independently.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import AuditTrail

#: Length limits of what a reader may send (the form and the model agree).
DESCRIPTION_MAX_LENGTH = 2000
PASSAGE_MAX_LENGTH = 1000
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254


class ReportStatus(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Investigating"
    CORRECTED = "corrected", "Corrected"
    NO_CHANGE = "no_change", "No change needed"
    SPAM = "spam", "Spam"


#: Reports still waiting for the desk: these may be resolved by a publish.
OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.INVESTIGATING)


class ErrorReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class ErrorReport(models.Model):
    """One reader's report of an error in one version of a story."""

    story = models.ForeignKey(
        "stories.Story", on_delete=models.PROTECT, related_name="error_reports"
    )
    seen_revision = models.ForeignKey(
        "stories.Revision",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="version the reader saw",
    )
    description = models.TextField("what is wrong", max_length=DESCRIPTION_MAX_LENGTH)
    passage = models.TextField(blank=True, max_length=PASSAGE_MAX_LENGTH)
    reporter_name = models.CharField("reader's name", max_length=NAME_MAX_LENGTH, blank=True)
    reporter_email = models.EmailField("reader's email", max_length=EMAIL_MAX_LENGTH, blank=True)
    wants_reply = models.BooleanField(
        "agreed to be emailed",
        default=False,
        help_text="The reader asked to hear back, and agreed that we use the address for that only.",
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    internal_notes = models.TextField(blank=True, help_text="For the desk only.")

    resolved_by = models.ForeignKey(
        "stories.Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prompting_reports",
        help_text="The published version that answered this report.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reply_sent_at = models.DateTimeField(
        "reader emailed at", null=True, blank=True, help_text="When the reader was told."
    )
    desk_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the desk's digest listed this report."
    )

    #: The audit trail is append-only, so it never holds the reader's contact details:
    #: they live on the report alone, until ``reporting.forget_reader_contacts``.
    history = AuditTrail(excluded_fields=["reporter_name", "reporter_email"])
    objects = ErrorReportQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "reader report"
        indexes = [models.Index(fields=["story", "status"], name="errorreport_story_status")]

    def __str__(self):
        return f"Report {self.pk} ({self.get_status_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
