"""The corrections desk's queue of reader reports.

Readers write reports, never editors: the admin adds and deletes none. The desk changes
a report's status, assignee and internal notes through ``stories.reporting`` (so every
change is in the report's History with the user and the reason), sees the version the
reader read against the live one, and publishes a correction from a report on the
story's usual publish page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator

from stories import reporting
from stories.content.diffing import compare_snapshots
from stories.models.reader_reports import ErrorReport

from .base import AuditedAdmin
from .forms import _reason_field


class ErrorReportAdminForm(forms.ModelForm):
    """What the desk may change; the reason goes to the report's audit trail."""

    change_reason = _reason_field(
        "Recorded in the report's History (what changed is recorded anyway)."
    )

    class Meta:
        model = ErrorReport
        fields = ["status", "assignee", "internal_notes"]

    #: The person saving (set by ``ErrorReportAdmin.get_form``).
    editor = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            staff = get_user_model().objects.filter(is_staff=True, is_active=True)
            self.fields["assignee"].queryset = staff.order_by("first_name", "last_name", "username")


@admin.register(ErrorReport)
class ErrorReportAdmin(AuditedAdmin):
    form = ErrorReportAdminForm
    list_display = [
        "received_at",
        "story_headline",
        "seen_version",
        "summary",
        "status",
        "assignee",
        "wants_reply",
    ]
    list_display_links = ["received_at", "summary"]
    list_filter = [
        "status",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "wants_reply",
        ("story__section", admin.RelatedOnlyFieldListFilter),
        "received_at",
    ]
    list_select_related = ["story", "seen_revision", "assignee"]
    search_fields = [
        "description",
        "passage",
        "internal_notes",
        "reporter_name",
        "reporter_email",
        "story__headline",
        "story__slug",
    ]
    date_hierarchy = "received_at"
    fieldsets = [
        (
            "What the reader said",
            {
                "fields": [
                    "story_link",
                    "seen_version_link",
                    "description",
                    "passage",
                    "received_at",
                ]
            },
        ),
        ("Triage", {"fields": ["status", "assignee", "internal_notes", "change_reason"]}),
        (
            "The reader (private)",
            {"fields": ["reporter_name", "reporter_email", "wants_reply", "reply_sent_at"]},
        ),
        (
            "Resolution",
            {"fields": ["publish_link", "resolved_by_link", "resolved_at", "desk_notified_at"]},
        ),
        ("The version the reader saw, compared with the live one", {"fields": ["seen_vs_live"]}),
    ]
    readonly_fields = [
        "story_link",
        "seen_version_link",
        "description",
        "passage",
        "received_at",
        "reporter_name",
        "reporter_email",
        "wants_reply",
        "reply_sent_at",
        "publish_link",
        "resolved_by_link",
        "resolved_at",
        "desk_notified_at",
        "seen_vs_live",
    ]

    def has_add_permission(self, request):
        return False  # readers write reports, on the reader site

    def has_delete_permission(self, request, obj=None):
        return False  # spam is marked as spam: the queue keeps its record

    def get_prepopulated_fields(self, request, obj=None):
        return {}  # a report has no slug

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("story__latest_revision", "seen_revision", "resolved_by", "assignee")
        )

    # -- columns and read-only fields ---------------------------------------------

    @admin.display(description="Story", ordering="story__headline")
    def story_headline(self, report):
        return Truncator(report.story.headline).chars(60)

    @admin.display(description="Version", ordering="seen_revision__number")
    def seen_version(self, report):
        return report.seen_revision.number

    @admin.display(description="What is wrong")
    def summary(self, report):
        return Truncator(report.description).chars(80)

    @admin.display(description="Story")
    def story_link(self, report):
        return format_html(
            '<a href="{}">{}</a> (<a href="{}">public page</a>)',
            reverse("admin:stories_story_change", args=[report.story_id]),
            report.story.headline,
            report.story.get_absolute_url(),
        )

    @admin.display(description="Version the reader saw")
    def seen_version_link(self, report):
        seen = report.seen_revision
        live = report.story.latest_revision
        state = "the live version" if live and live.pk == seen.pk else "not the live version"
        return format_html(
            '<a href="{}">Version {}</a> ({}), published {}',
            reverse("reader:revision", kwargs={"slug": report.story.slug, "number": seen.number}),
            seen.number,
            state,
            f"{timezone.localtime(seen.published_at):%Y-%m-%d %H:%M %Z}",
        )

    @admin.display(description="Resolved by")
    def resolved_by_link(self, report):
        revision = report.resolved_by
        if revision is None:
            return "Not yet"
        return format_html(
            '<a href="{}">Version {} ({})</a>: {}',
            reverse(
                "reader:compare",
                kwargs={
                    "slug": report.story.slug,
                    "old": revision.number - 1,
                    "new": revision.number,
                },
            ),
            revision.number,
            revision.get_kind_display().lower(),
            revision.public_note,
        )

    @admin.display(description="Publish")
    def publish_link(self, report):
        if not report.is_open:
            return "This report is closed."
        if not report.story.is_public:
            return "The story is no longer published: it cannot be corrected."
        url = reverse("admin:stories_story_publish", args=[report.story_id])
        return format_html(
            '<a class="button" href="{}?{}">Publish a correction from this report…</a> '
            "Edit and save the story first; the publish page links this report, and "
            "publishing resolves it and tells the reader.",
            url,
            urlencode({"report": report.pk}),
        )

    @admin.display(description="Differences")
    def seen_vs_live(self, report):
        live = report.story.latest_revision
        if live is None or live.pk == report.seen_revision_id:
            return "The reader saw the live version: nothing has changed since."
        diffs = compare_snapshots(report.seen_revision.snapshot(), live.snapshot())
        return render_to_string("includes/diff.html", {"diffs": diffs})

    # -- saving through the service ----------------------------------------------

    def save_model(self, request, obj, form, change):
        # An edit and a revert from the History page alike: the service writes, and
        # records who and why (the form has validated the values).
        data = form.cleaned_data
        reporting.change_report(
            obj,
            user=request.user,
            reason=data.get("change_reason", ""),
            **{name: data[name] for name in reporting.TRIAGE_FIELDS if name in data},
        )
