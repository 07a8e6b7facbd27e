"""The reader's "Report an error" form, and what it is about (plain data, as pages give).

The form is the reader site's first: rendered with django-crispy-forms' Bootstrap 5
pack, it collects what a reader says and shows each problem next to its field; the
rules of receiving a report are ``stories.reporting``'s. It carries a honeypot field
that people never see (bots fill it in) and refuses control characters, so what
reaches the desk is text a person typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.http import Http404
from django.urls import reverse

from stories import reporting
from stories.models import Revision
from stories.models.reader_reports import (
    DESCRIPTION_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSAGE_MAX_LENGTH,
)

from . import pages

#: The honeypot's name: a field a person never sees, so only a bot fills it in.
HONEYPOT = "website"

CONSENT_TEXT = (
    "Email me what comes of this report. I agree that the newsroom keeps my name and "
    "address with the report and uses them only to reply to it; they are erased {days} "
    "days after the report, once the desk has closed it."
)


@dataclass(frozen=True)
class ReportTarget:
    """The story and version a report is about."""

    slug: str
    headline: str
    number: int
    latest_number: int

    @property
    def story_url(self) -> str:
        return pages.story_url(self.slug)

    @property
    def version_url(self) -> str:
        if self.number == self.latest_number:
            return self.story_url
        return reverse("reader:revision", kwargs={"slug": self.slug, "number": self.number})

    @property
    def form_url(self) -> str:
        return reverse("reader:report", kwargs={"slug": self.slug})

    @property
    def thanks_url(self) -> str:
        return reverse("reader:report_thanks", kwargs={"slug": self.slug})


def report_target(slug: str, number: int | None = None) -> ReportTarget:
    """Version ``number`` (default: the live one) of a live story. ``Http404`` if there
    is none, ``pages.StoryWithdrawn`` if the story was withdrawn."""
    row = pages.latest_version(slug)
    latest = row["number"]
    number = latest if number is None else number
    if not 1 <= number <= latest:
        raise Http404(f"This story has no version {number}; it has {latest}.")
    headline = row["headline"]
    if number != latest:
        versions = Revision.objects.filter(story_id=row["story_id"], number=number)
        headline = versions.values_list("headline", flat=True).get()
    return ReportTarget(slug=slug, headline=headline, number=number, latest_number=latest)


def version_number(raw: str | None) -> int | None:
    """A version number from the query or the form; ``Http404`` for anything but one."""
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise Http404("Version numbers are whole numbers from 1.")
    return int(raw)


def without_controls(text: str) -> str:
    """Text with control characters dropped (for prefilling the passage from a link)."""
    bad = set(reporting.control_characters(text))
    return "".join(char for char in text if char not in bad)


class SendButton(Submit):
    """The form's button, in the reader site's dark style (crispy's default is primary)."""

    field_classes = "btn btn-dark"


class ReportForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    description = forms.CharField(
        label="What is wrong?",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Tell us what the story gets wrong and, if you can, how you know.",
    )
    passage = forms.CharField(
        label="The passage (optional)",
        required=False,
        max_length=PASSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The sentence or words concerned. Text you selected in the story before "
        "following the link is filled in here.",
    )
    name = forms.CharField(label="Your name (optional)", required=False, max_length=NAME_MAX_LENGTH)
    email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text="Only if you want to hear what comes of your report.",
    )
    wants_reply = forms.BooleanField(required=False)  # labelled with the retention period
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, target: ReportTarget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wants_reply"].label = CONSENT_TEXT.format(
            days=settings.REPORT_CONTACT_RETENTION_DAYS
        )
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = target.form_url
        self.helper.form_id = "report-form"
        self.helper.layout = Layout(
            "version",
            Field("description", css_class="report-description"),
            Field("passage", css_class="report-passage"),
            Fieldset(
                "If you want a reply",
                "name",
                "email",
                "wants_reply",
                css_class="report-reply",
            ),
            # Off-screen rather than display:none, which some bots look for.
            Div(HONEYPOT, css_class="report-extra", aria_hidden="true"),
            HTML(
                '<p class="small text-body-secondary">We read every report. Your report is '
                "private: it is never published.</p>"
            ),
            SendButton("submit", "Send report"),
        )

    def _clean_text(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        if reporting.control_characters(value):
            raise forms.ValidationError(
                "This text contains control characters, which a person does not type. "
                "Please type it again.",
                code="control_characters",
            )
        return value

    def clean_description(self):
        return self._clean_text("description")

    def clean_passage(self):
        return self._clean_text("passage")

    def clean_name(self):
        return self._clean_text("name")

    def clean(self):
        cleaned = super().clean()
        email, wants_reply = cleaned.get("email"), cleaned.get("wants_reply")
        if wants_reply and not email and "email" not in self.errors:
            self.add_error(
                "email", "Give an email address so that we can reply, or untick the box."
            )
        if email and not wants_reply:
            self.add_error(
                "wants_reply",
                "Tick this box so that we may use your address to reply, or leave the address empty.",
            )
        return cleaned

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in (people never see it)."""
        return bool(self.data.get(HONEYPOT, "").strip())
