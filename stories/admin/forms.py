"""Forms editors fill in: the working copy, credits, sections, contributors, publishing.

They collect input and show errors; the rules are the services'. A story form asks
``stories.editing`` whether the save is allowed (and so shows a stale edit, a missing
reason or a fixed slug next to the field), and the admin then saves through it.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from stories import editing, publishing, releasing
from stories.content.credits import join_names
from stories.content.kinds import REPUBLISH_KINDS, CreditRole
from stories.media import images, pictures
from stories.models import Contributor, Picture, Section, Story

#: The name of the change form's "Save and publish…" button.
PUBLISH_BUTTON = "_publish"


def _reason_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=help_text,
    )


def service_errors(error: ValidationError) -> dict[str, list[str]]:
    """A service's ``ValidationError`` as ``{field: [messages]}``, keyed or not."""
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def add_service_errors(form, errors: dict[str, list[str]], only=None) -> None:
    """Show a service's ``{field: [messages]}`` on the form: by a field the form has,
    else above the form."""
    for name, messages in errors.items():
        if only is not None and name not in only:
            continue
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class CountedTextInput(forms.TextInput):
    """A line of text with a limit, counted as the editor types
    (static/stories/character-count.js: "230 of 200 characters: 30 too many") instead of
    the browser's ``maxlength``, which cut a pasted headline short without a word. A text
    over the limit is let in whole, and the form refuses it at the field, keeping it."""

    class Media:
        js = ["stories/character-count.js"]

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        limit = attrs.pop("maxlength", None)
        if limit is not None:
            attrs["data-character-limit"] = limit
        return attrs


class PublicSlugForm(forms.ModelForm):
    """A slug that published versions link to is shown, fixed, as stored.

    Disabled rather than read-only, so that a revert's form (which starts from an old
    row) still has the field, shows the address readers use, and submits nothing for it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" not in self.fields or self.instance.pk is None:
            return
        slug = self.instance.stored_slug()
        if slug is not None and self.instance.slug_is_public(slug):
            field = self.fields["slug"]
            field.disabled = True
            field.help_text = "Fixed: published versions link to this address."
            self.initial["slug"] = slug


class StoryAdminForm(PublicSlugForm):
    """The working copy, guarded against lost edits by the story's edit number.

    The form carries the edit it was loaded from; ``stories.editing`` refuses a save
    against a newer edit with a message naming who saved in between, and the
    editor's text stays in the bound form so nothing they typed is lost.
    """

    loaded_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = _reason_field(
        "Recorded in the audit trail. Required once the story has been published."
    )
    image_upload = forms.FileField(
        label="Upload a lead image",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=f"JPEG, PNG or WebP, at most {images.megabytes(images.MAX_BYTES)} and "
        f"{images.MAX_PIXELS / 1e6:.0f} megapixels. It replaces the current image. Location "
        "and camera data are removed before it is stored.",
    )
    #: A picture uploaded with a submission that was refused for another reason (a
    #: browser cannot fill a file input again): kept, by its hash, for the next one.
    uploaded_picture = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    remove_image = forms.BooleanField(label="Remove the lead image", required=False)

    #: The person saving (set by ``AuditedAdmin.get_form``): the service checks their rights.
    editor = None

    class Meta:
        model = Story
        fields = [
            "headline",
            "slug",
            "dek",
            "section",
            "dateline",
            "body",
            "image_alt",
            "image_caption",
        ]
        widgets = {
            "headline": CountedTextInput(attrs={"class": "vLargeTextField"}),
            "dek": CountedTextInput(attrs={"class": "vLargeTextField"}),
            "image_alt": CountedTextInput(attrs={"class": "vLargeTextField"}),
            "image_caption": CountedTextInput(attrs={"class": "vLargeTextField"}),
            "body": forms.Textarea(attrs={"rows": 20, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored edit, not the instance's: a revert starts from an old row.
            stored = Story.objects.filter(pk=self.instance.pk).values_list("edit_number", flat=True)
            self.fields["loaded_edit"].initial = stored.first()

    def clean(self):
        cleaned = super().clean()
        try:
            choice = pictures.choose_lead_image(
                current=self.instance.picture if self.instance.picture_id else None,
                upload=cleaned.get("image_upload"),
                kept_sha256=cleaned.get("uploaded_picture", ""),
                remove=cleaned.get("remove_image", False),
            )
        except ValidationError as error:
            add_service_errors(self, error.message_dict)
        else:
            self.instance.picture = choice.picture
            if choice.pending:
                self._keep_for_this_form(choice.picture)
        if self.instance.pk and cleaned.get("loaded_edit") is None:
            raise ValidationError(
                "This form does not say which edit of the story it was opened on. "
                "Reload the page and make your changes again.",
                code="stale",
            )
        return cleaned

    def _keep_for_this_form(self, picture: Picture) -> None:
        """A picture stored for this form rides in it by its hash, so the next submission
        (after a refusal of anything else) still has it, and the editor is told."""
        data = self.data.copy()
        data[self.add_prefix("uploaded_picture")] = picture.sha256
        self.data = data
        self.fields["image_upload"].help_text = (
            f"Uploaded: a {picture.width} × {picture.height} picture (SHA-256 "
            f"{picture.sha256[:12]}), kept for this form: it becomes the lead image when "
            "the story is saved. Upload another file to replace it."
        )

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        if self.errors:
            return
        errors = editing.story_edit_errors(
            self.instance,
            user=self.editor,
            reason=self.cleaned_data.get("change_reason", ""),
            expected_edit=self.cleaned_data.get("loaded_edit"),
        )
        # Credits are checked, and shown, by the credits formset.
        errors.pop("credits", None)
        if PUBLISH_BUTTON in self.data:
            # "Save and publish…" of a story that could not be published: said at the
            # field now, rather than on the publish page after the save.
            errors = {**publishing.content_errors(self.instance), **errors}
        add_service_errors(self, errors)


def credit_lines(formset) -> list[editing.CreditLine]:
    """The credits a validated formset asks for: every row kept, none of the empty ones.

    A row whose position is left empty comes after the rows above it (one more than the
    highest position so far), so credits added one under another keep that order.
    """
    lines = []
    highest = -1
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or form in formset.deleted_forms or not data.get("contributor"):
            continue
        position = data.get("position")
        position = highest + 1 if position is None else position
        highest = max(highest, position)
        lines.append(
            editing.CreditLine(
                contributor=data["contributor"],
                role=data["role"],
                affiliation=data.get("affiliation", ""),
                position=position,
            )
        )
    return lines


class ContributorAutocomplete(AutocompleteSelect):
    """The admin's contributor autocomplete, naming the already credited contributors
    without a query per row: the credits formset hands it those it has loaded."""

    known: dict[str, Contributor] | None = None

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        known = self.known or {}
        if not selected or any(pk not in known for pk in selected):
            return super().optgroups(name, value, attr)
        label = self.choices.field.label_from_instance
        options = [self.create_option(name, "", "", False, 0)] if not self.is_required else []
        options += [
            self.create_option(name, pk, label(known[pk]), True, index)
            for index, pk in enumerate(selected, start=len(options))
        ]
        return [(None, options, 0)]


class CreditInlineFormSet(BaseInlineFormSet):
    """Credits of one story, checked as a whole by ``stories.editing``, never saved
    row by row: the story admin saves the story and its credits in one service call."""

    #: The person saving (set by ``CreditInline.get_formset``).
    editor = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rows' contributors came with the credits (select_related): name them from there.
        known = {
            str(form.instance.contributor_id): form.instance.contributor
            for form in self.initial_forms
            if form.instance.contributor_id
        }
        for form in self.forms:
            widget = getattr(form.fields.get("contributor"), "widget", None)
            inner = getattr(widget, "widget", widget)
            if isinstance(inner, ContributorAutocomplete):
                inner.known = known

    def validate_unique(self):
        """A story credits a contributor once per role: a second row of the same pair is
        refused at that row, naming the contributor, the role and the row it repeats.

        Replaces the formset's own check, whose stock message ("Please correct the
        duplicate data for contributor and role") sat above the table naming neither;
        that pair is the credit's only unique constraint.
        """
        first_row: dict[tuple[int, str], int] = {}
        for number, form in enumerate(self.forms, start=1):
            data = getattr(form, "cleaned_data", None)
            if not data or self._should_delete_form(form) or not data.get("contributor"):
                continue
            contributor, role = data["contributor"], data.get("role")
            key = (contributor.pk, role)
            if key not in first_row:
                first_row[key] = number
                continue
            form.add_error(
                "contributor",
                f"{contributor.name} is already credited as “{CreditRole(role).label}” in row "
                f"{first_row[key]}. Choose another role or contributor, or delete this row.",
            )

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A new row's position starts empty, not at 0 like every other new row: empty
        # means after the rows above it (``credit_lines``).
        position = form.fields.get("position")
        if position is not None and form.instance.pk is None:
            position.required, position.initial = False, None
            form.initial.pop("position", None)

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        story = self.instance
        errors = editing.story_edit_errors(
            story,
            user=self.editor,
            reason=self.data.get("change_reason", ""),
            credits=credit_lines(self),
        )
        messages = errors.get("credits", [])
        if not story.has_unsaved_changes():
            # A reason missing for a change of the story's own fields shows on its form.
            messages += errors.get("change_reason", [])
        if messages:
            raise ValidationError(messages)


class LinkedAdminForm(PublicSlugForm):
    """A section or contributor, checked by ``stories.editing`` before it is saved: what
    readers see of one that published stories link to changes only with the publish
    permission and a reason, shown next to the fields."""

    change_reason = _reason_field(
        "Recorded in the audit trail. Required to change what readers see once published "
        "stories link here (editors only)."
    )

    #: The person saving (set by ``AuditedAdmin.get_form``): the service checks their rights.
    editor = None

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        if self.errors:
            return
        errors = editing.linked_edit_errors(
            self.instance, user=self.editor, reason=self.cleaned_data.get("change_reason", "")
        )
        add_service_errors(self, errors)


class SectionAdminForm(LinkedAdminForm):
    class Meta:
        model = Section
        fields = ["name", "slug", "description"]


class ContributorAdminForm(LinkedAdminForm):
    class Meta:
        model = Contributor
        fields = ["name", "slug", "affiliation", "bio", "user"]


class ReportChoiceField(forms.ModelMultipleChoiceField):
    """Open reader reports of the story, each named by what the reader said."""

    def label_from_instance(self, report):
        excerpt = (
            report.description if len(report.description) <= 120 else report.description[:119] + "…"
        )
        return f"Report {report.pk} (version {report.seen_revision.number}): {excerpt}"


class PublishForm(forms.Form):
    """Kind, public note and internal reason of a publish; the rules live in ``publishing``."""

    #: The edit of the working copy shown on the page, so unseen changes are never published.
    loaded_edit = forms.IntegerField(widget=forms.HiddenInput)

    kind = forms.ChoiceField(
        choices=[("", "Choose the kind of change")]
        + [(kind.value, kind.label) for kind in REPUBLISH_KINDS],
        required=False,
    )
    public_note = forms.CharField(
        label="Public note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Shown to readers, e.g. “An earlier version of this story misstated the "
        "date of the vote.” The site writes the kind in front of it (“Correction:”), so "
        "leave the label out: a leading one is removed.",
    )
    internal_reason = forms.CharField(
        label="Internal reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="For the audit trail only. Required for a minor edit.",
    )

    def __init__(
        self,
        *args,
        first_publication: bool,
        open_reports=None,
        others_edits=(),
        may_bypass=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if may_bypass:
            self.fields["review_bypass"] = review_bypass_field()
        if others_edits:
            # Publishing sends out every unpublished edit, a colleague's too: said, and
            # confirmed, before the button (``releasing`` refuses it unconfirmed).
            self.fields[releasing.CONFIRM_OTHERS_EDITS] = forms.BooleanField(
                label=f"I have reviewed the edits by {join_names(others_edits)} listed above "
                "and want to publish them with mine",
                required=False,
            )
        if open_reports is not None and not first_publication:
            self.fields["reports"] = ReportChoiceField(
                queryset=open_reports,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label="Reader reports answered",
                help_text="Publishing resolves the reports ticked here and emails each reader "
                "who asked to hear back. Publish a correction, clarification or update.",
            )
        if first_publication:
            del self.fields["kind"]
            del self.fields["public_note"]
            # A first publication has no kind, so nothing here is required.
            self.fields["internal_reason"].help_text = "For the audit trail only; optional."
            self.fields["scheduled_at"] = forms.DateTimeField(
                label="Publish at",
                required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                help_text="Leave empty to publish now. A later time schedules the story.",
            )


def review_bypass_field() -> forms.CharField:
    """Breaking news: the reason to go ahead without a second editor's approval, shown
    only to those with ``stories.publish_without_review`` (the service checks it)."""
    return forms.CharField(
        label="Go ahead without review, because",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Only when a second editor cannot approve in time (breaking news). The "
        "reason is recorded and listed for the desk. Leave empty to wait for approval.",
    )


class WithdrawForm(forms.Form):
    public_note = forms.CharField(
        label="Editor's note",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Shown to readers at the story's address, which will answer “410 Gone”, "
        "after the label “Editor's note:”, which the site adds: start with the note itself "
        "(a leading “Editor's note:” is removed).",
    )
    internal_reason = forms.CharField(
        label="Internal reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
    )

    def __init__(self, *args, may_bypass=False, **kwargs):
        super().__init__(*args, **kwargs)
        if may_bypass:
            self.fields["review_bypass"] = review_bypass_field()
