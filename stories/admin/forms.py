"""Forms editors fill in: the story working copy, publishing and withdrawal."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.formats import date_format

from stories.kinds import REPUBLISH_KINDS, CreditRole
from stories.models import Story


class StoryAdminForm(forms.ModelForm):
    """The working copy, guarded against lost edits by the story's version counter.

    The form carries the version it was loaded from; a save against a newer version is
    refused with a message naming who saved in between, and the editor's text stays in
    the bound form so nothing they typed is lost.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Recorded in the audit trail. Required once the story has been published.",
    )

    #: Fields that describe the edit rather than the story: they never count as a change.
    EDIT_METADATA = ("loaded_version", "change_reason")

    class Meta:
        model = Story
        fields = ["headline", "slug", "dek", "section", "dateline", "body"]
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "dek": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "body": forms.Textarea(attrs={"rows": 20, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored version, not the instance's: a history revert starts from an old row.
            stored = (
                Story.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
            self.fields["loaded_version"].initial = stored

    def content_changed(self) -> bool:
        return any(name not in self.EDIT_METADATA for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._refuse_stale_edit(cleaned.get("loaded_version"))
            if (
                self.instance.first_published_at
                and self.content_changed()
                and not cleaned.get("change_reason")
            ):
                self.add_error(
                    "change_reason", "This story has been published: say why you are changing it."
                )
        return cleaned

    def _refuse_stale_edit(self, loaded_version):
        if loaded_version is None:
            raise ValidationError(
                "This form does not say which version of the story it was opened on. "
                "Reload the page and make your changes again.",
                code="stale",
            )
        current = (
            Story.objects.select_for_update(of=("self",))
            .filter(pk=self.instance.pk)
            .values(
                "version",
                "modified_at",
                "modified_by__username",
                "modified_by__first_name",
                "modified_by__last_name",
            )
            .first()
        )
        if current is None or loaded_version == current["version"]:
            return
        name = " ".join(
            filter(None, [current["modified_by__first_name"], current["modified_by__last_name"]])
        )
        who = name or current["modified_by__username"] or "Someone"
        when = date_format(timezone.localtime(current["modified_at"]), "DATETIME_FORMAT")
        raise ValidationError(
            f"{who} saved this story at {when}, after you opened it. Your changes have not been "
            "saved and are still in the form below: copy what you need, reload the page to see "
            "their version, and apply your changes again.",
            code="stale",
        )


class CreditInlineFormSet(BaseInlineFormSet):
    """Credits of one story, checked as a whole before anything is saved."""

    def clean(self):
        super().clean()
        story = self.instance
        if (
            story.pk
            and story.first_published_at
            and self.has_changed()
            and not self.data.get("change_reason", "").strip()
        ):
            raise ValidationError(
                "This story has been published: give a reason for changing its credits "
                "(“Reason for this change”)."
            )
        self._refuse_taking_another_rows_credit()

    def _refuse_taking_another_rows_credit(self):
        """A row may not take the contributor and role another kept row still holds.

        Saving it would collide with that row before the other is saved (a swap can never
        be saved row by row). Reordering is what positions are for.
        """
        kept = [f for f in self.forms if f.instance.pk and f not in self.deleted_forms]
        # ``initial`` holds the stored values (validation has already changed ``instance``).
        held = {(f.initial.get("contributor"), f.initial.get("role")): f for f in kept}
        for form in kept:
            if not form.has_changed() or not hasattr(form, "cleaned_data"):
                continue
            contributor, role = form.cleaned_data.get("contributor"), form.cleaned_data.get("role")
            holder = held.get((getattr(contributor, "pk", None), role))
            if holder is not None and holder is not form:
                raise ValidationError(
                    f"{contributor.name} is already credited as “{CreditRole(role).label}” on "
                    "another row. To reorder credits, change their positions; to replace a "
                    "contributor, delete the old row first."
                )


class PublishForm(forms.Form):
    """Kind, public note and internal reason of a publish; the rules live in ``publishing``."""

    #: The working-copy version shown on the page, so unseen changes are never published.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput)

    kind = forms.ChoiceField(
        choices=[("", "Choose the kind of change")]
        + [(kind.value, kind.label) for kind in REPUBLISH_KINDS],
        required=False,
    )
    public_note = forms.CharField(
        label="Public note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Shown to readers, e.g. “This story has been updated to include comments from the mayor.”",
    )
    internal_reason = forms.CharField(
        label="Internal reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="For the audit trail only. Required for a minor edit.",
    )

    def __init__(self, *args, first_publication: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if first_publication:
            del self.fields["kind"]
            del self.fields["public_note"]
            self.fields["scheduled_at"] = forms.DateTimeField(
                label="Publish at",
                required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                help_text="Leave empty to publish now. A later time schedules the story.",
            )


class WithdrawForm(forms.Form):
    public_note = forms.CharField(
        label="Editor's note",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Shown to readers at the story's address, which will answer “410 Gone”.",
    )
    internal_reason = forms.CharField(
        label="Internal reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
    )
