"""Stories in the admin: the working copy, its credits, publishing and the audit trail.

Thin: saving goes through ``stories.editing``, publishing through ``stories.publishing``;
these classes turn requests into service calls and service errors into form errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_time
from django.utils.html import format_html
from django.utils.http import urlencode

from stories import editing, publishing, releasing, reporting
from stories.content import rendering
from stories.content.kinds import RevisionKind
from stories.desk import autosave
from stories.media import pictures
from stories.models import Credit, Revision, Story
from stories.roles import PUBLISH_STORY, PUBLISH_WITHOUT_REVIEW, WITHDRAW_STORY, require_permission

from .base import AuditedAdmin, numeric_id
from .desk import DeskViews, item_urls, panel, publish_verdict
from .forms import (
    PUBLISH_BUTTON,
    ContributorAutocomplete,
    CreditInlineFormSet,
    PublishForm,
    StoryAdminForm,
    WithdrawForm,
    add_service_errors,
    credit_lines,
    service_errors,
)

#: What the admin says of a scheduled story whose working copy moved after an editor
#: approved it (``Story.changed_since_scheduled``): it will not be published as it is.
CHANGED_AFTER_SCHEDULING = "changed after scheduling: review and schedule again"


def schedule_warning(story: Story) -> str:
    """The warning shown with a scheduled story held back (empty when there is none)."""
    return CHANGED_AFTER_SCHEDULING if story.changed_since_scheduled else ""


def editor_time(value) -> str:
    """A time as the admin's sentences say it: "3:41 a.m. EST on Dec. 6, 2026"."""
    return format_time(timezone.localtime(value), r"P T \o\n N j, Y")


@dataclass(frozen=True)
class ScheduleState:
    """What the change form says of a scheduled story, in the editor's words."""

    text: str
    warning: bool = False


def schedule_state(story: Story) -> ScheduleState | None:
    if not story.is_scheduled:
        return None
    due = editor_time(story.scheduled_at)
    if story.changed_since_scheduled:
        return ScheduleState(
            f"Scheduled for {due}, but {CHANGED_AFTER_SCHEDULING}. The working copy has "
            "changed since an editor approved it, so it will not be published as it is: an "
            "editor must review the changes and schedule it again (“Save and publish…”).",
            warning=True,
        )
    if publishing.is_overdue(story):
        return ScheduleState(
            f"Overdue: this story was due to be published at {due} and has not been. "
            "Scheduled stories are published automatically, and that has stopped: tell "
            "whoever runs the site, or publish it now (“Save and publish…”).",
            warning=True,
        )
    return ScheduleState(
        f"Scheduled: this story will be published at {due}, as an editor approved it "
        f"(edit {story.scheduled_edit}). Saving it again holds it back until an editor "
        "approves it again."
    )


def removal_warning(removed: list[str]) -> str:
    """What the editor is told when the body holds what publishing will leave out."""
    return (
        "When this story is published, its body will lose: "
        + "; ".join(removed)
        + ". The saved text keeps them; change the body if readers should see something else."
    )


#: The story form's fieldsets shown after the credits (the rest come before them).
FIELDSETS_AFTER_CREDITS = ("Audit", "Published versions", "Publication")
#: Versions listed on a story's change form; the rest are one link away.
LATEST_VERSIONS_SHOWN = 10
#: The query parameter of the credits' page on a story's History page.
CREDITS_PAGE_VAR = "credits_page"


class CreditInline(admin.TabularInline):
    model = Credit
    formset = CreditInlineFormSet
    extra = 1
    fields = ["position", "contributor", "role", "affiliation"]
    autocomplete_fields = ["contributor"]
    ordering = ["position", "id"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.editor = request.user
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contributor")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "contributor":
            kwargs["widget"] = ContributorAutocomplete(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Story)
class StoryAdmin(DeskViews, AuditedAdmin):
    form = StoryAdminForm
    inlines = [CreditInline]
    list_display = [
        "headline",
        "status_in_list",
        "section",
        "updated_at",
        "modified_at",
        "modified_by",
    ]
    list_filter = ["status", "section"]
    list_select_related = ["section", "modified_by"]
    search_fields = ["headline", "dek", "slug", "body"]
    date_hierarchy = "modified_at"
    prepopulated_fields = {"slug": ["headline"]}
    change_form_template = "admin/stories/story/change_form.html"
    view_on_site = False  # the change form has "View live" (only when there is a live version)
    object_history_template = "admin/stories/story/object_history.html"
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "section", "dateline", "body"]}),
        (
            "Lead image",
            {
                "fields": [
                    "current_image",
                    "image_upload",
                    "uploaded_picture",
                    "image_alt",
                    "image_caption",
                    "remove_image",
                ],
                "description": "Published with the story: replacing the picture or changing its "
                "alt text or caption after publication is a change readers see in the history. "
                "The photo credit comes from the Photography credits below.",
            },
        ),
        ("Audit", {"fields": ["change_reason", "loaded_edit"]}),
        ("Published versions", {"fields": ["published_versions"]}),
        (
            "Publication",
            {
                "fields": [
                    "publication_status",
                    "first_published_at",
                    "updated_at",
                    "edit_number",
                    "imported_from",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = [
        "current_image",
        "published_versions",
        "publication_status",
        "first_published_at",
        "updated_at",
        "edit_number",
        "imported_from",
    ]

    @admin.display(description="Current image")
    def current_image(self, obj):
        picture = obj.picture if obj is not None and obj.picture_id else None
        if picture is None:
            return "None"
        return render_to_string(
            "admin/stories/story/current_image.html",
            {
                "thumbnail": pictures.thumbnail(picture.renditions, obj.image_alt),
                "picture": picture,
            },
        )

    @admin.display(description="Status")
    def publication_status(self, obj):
        if obj.is_scheduled:
            status = f"Scheduled for {timezone.localtime(obj.scheduled_at):%Y-%m-%d %H:%M %Z}"
            if obj.changed_since_scheduled:
                status += f" ({schedule_warning(obj)})"
            elif publishing.is_overdue(obj):
                status += " (overdue: not published)"
            return status
        return obj.get_status_display()

    @admin.display(description="Status", ordering="status")
    def status_in_list(self, obj):
        if obj.changed_since_scheduled:
            return format_html(
                '<span class="story-warning">Scheduled: {}</span>', schedule_warning(obj)
            )
        if publishing.is_overdue(obj):
            return format_html(
                '<span class="story-warning">Overdue: due at {}, not published</span>',
                editor_time(obj.scheduled_at),
            )
        if obj.is_scheduled:
            return f"Scheduled for {editor_time(obj.scheduled_at)}"
        unpublished = getattr(obj, "unpublished_edits", None)
        if unpublished and unpublished.count:
            return format_html(
                '{}<br><span class="story-warning">{}</span>',
                obj.get_status_display(),
                unpublished.marker,
            )
        return obj.get_status_display()

    def get_changelist_instance(self, request):
        """The page of stories, each with its unpublished edits (one query for the page)."""
        changelist = super().get_changelist_instance(request)
        found = publishing.unpublished_edits_of(changelist.result_list)
        for story in changelist.result_list:
            story.unpublished_edits = found.get(story.pk)
        return changelist

    @admin.display(description="Latest versions")
    def published_versions(self, obj):
        """The latest versions readers have seen (one query, however long the record),
        and a link to all of them, paginated, in the published versions' list."""
        if obj.pk is None or not obj.has_published_version:
            return "None yet: readers see nothing until the story is published."
        latest = list(
            Revision.objects.filter(story_id=obj.pk)
            .order_by("-number")
            .values_list("number", "kind", "published_at", "published_by__username", "public_note")[
                :LATEST_VERSIONS_SHOWN
            ]
        )
        all_versions = reverse("admin:stories_revision_changelist") + f"?story__id__exact={obj.pk}"
        return render_to_string(
            "admin/stories/story/published_versions.html",
            {
                "versions": [
                    {
                        "number": number,
                        "kind": RevisionKind(kind).label,
                        "published_at": published_at,
                        "published_by": username or "(deleted user)",
                        "public_note": note,
                    }
                    for number, kind, published_at, username, note in latest
                ],
                "count": obj.latest_revision.number if obj.latest_revision else len(latest),
                "all_versions_url": all_versions,
            },
        )

    @admin.display(description="Imported from")
    def imported_from(self, obj):
        source = getattr(obj, "source", None) if obj.pk else None
        if source is None:
            return "Written in the newsroom"
        notes = "; ".join(f"{note['kind']}: {note['text']}" for note in source.notes)
        who = source.imported_by.username if source.imported_by else "unknown"
        when = timezone.localtime(source.imported_at)
        summary = f"{source.filename}, by {who} on {when:%Y-%m-%d %H:%M %Z}"
        return f"{summary}. Notes in the file: {notes}" if notes else summary

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["fieldsets_after_credits"] = FIELDSETS_AFTER_CREDITS
        if obj is not None:
            context["schedule_state"] = schedule_state(obj)
            context["unpublished_edits"] = publishing.unpublished_edits(obj)
            # The desk: review state and actions, comments, presence, autosave, timeline.
            context["desk"] = panel(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- saving the working copy -------------------------------------------------

    def save_model(self, request, obj, form, change):
        # A revert saves the story's own fields; a normal save does it with the credits,
        # in one service call, in ``save_related`` (same transaction, same row lock).
        if self.is_revert(request):
            self._save(request, obj, form, credits=None)

    def save_related(self, request, form, formsets, change):
        credits = next((formset for formset in formsets if formset.model is Credit), None)
        lines = None if credits is None else credit_lines(credits)
        edit = self._save(request, form.instance, form, credits=lines)
        # Saved: the autosaved copy of this person's unsaved changes has done its job.
        autosave.discard(form.instance, request.user)
        # What the admin's change message and log entry report (published versions: nothing).
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if credits is not None:
            credits.new_objects, credits.deleted_objects = edit.added, edit.removed
            credits.changed_objects = edit.changed

    def _save(self, request, story, form, *, credits):
        edit = editing.save_story(
            story,
            user=request.user,
            reason=form.cleaned_data.get("change_reason", ""),
            expected_edit=form.cleaned_data.get("loaded_edit"),
            credits=credits,
        )
        if removed := rendering.removed_on_publication(story.body):
            self.message_user(request, removal_warning(removed), messages.WARNING)
        return edit

    def delete_view(self, request, object_id, extra_context=None):
        story = Story.objects.filter(pk=numeric_id(object_id)).first()
        if story is not None and not story.can_delete:
            self.message_user(
                request,
                "A withdrawn story cannot be deleted: its versions stay a public record."
                if story.is_withdrawn
                else "A published story cannot be deleted: its versions are a public record. "
                "Withdraw it instead.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        numeric_id(object_id)
        credit_history = (
            Credit.history.filter(story_id=object_id)
            .select_related("history_user", "contributor")
            .order_by("-history_date", "-history_id")
        )
        pages = Paginator(credit_history, self.history_list_per_page)
        credits_page = pages.get_page(request.GET.get(CREDITS_PAGE_VAR))
        extra_context = {
            **(extra_context or {}),
            "credit_history": credits_page,
            "credits_page_var": CREDITS_PAGE_VAR,
        }
        return super().history_view(request, object_id, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        if PUBLISH_BUTTON in request.POST:
            return self._to_publish_page(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if PUBLISH_BUTTON in request.POST:
            return self._to_publish_page(request, obj)
        return super().response_change(request, obj)

    def _to_publish_page(self, request, story):
        """ "Save and publish…": the publish page, its internal reason prefilled with the
        reason just given for the edit (the editor said it once)."""
        url = self._url("publish", story)
        reason = request.POST.get("change_reason", "").strip()
        return HttpResponseRedirect(f"{url}?{urlencode({'reason': reason})}" if reason else url)

    # -- publishing views ----------------------------------------------------------

    def get_urls(self):
        views = [
            ("publish", self.publish_view),
            ("withdraw", self.withdraw_view),
            ("unschedule", self.unschedule_view),
            ("compare", self.compare_view),
        ]
        custom = [
            path(
                f"<int:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"stories_story_{name}",
            )
            for name, view in views
        ]
        return custom + self.desk_urls() + item_urls(self) + super().get_urls()

    def _url(self, name, story):
        return reverse(f"admin:stories_story_{name}", args=[story.pk])

    def _story_or_404(self, request, object_id):
        story = get_object_or_404(
            Story.objects.select_related("section", "latest_revision"), pk=object_id
        )
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        return story

    def _render(self, request, story, template, status=200, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": story,
            "story": story,
            "title": context.pop("title"),
            **context,
        }
        return TemplateResponse(request, template, context, status=status)

    def _refused(self, request, story, error: PermissionDenied):
        """The service's own refusal, in the admin, as a 403 (a forged POST gets it too)."""
        return self._render(
            request,
            story,
            "admin/stories/story/refused.html",
            status=403,
            title="Not allowed",
            message=str(error) or "You do not have permission to do that.",
        )

    def publish_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        first = not story.has_published_version
        reports = reporting.open_reports(story).select_related("seen_revision")
        unpublished = publishing.unpublished_edits(story)
        form = PublishForm(
            request.POST if request.method == "POST" else None,
            first_publication=first,
            open_reports=reports if reports.exists() else None,
            others_edits=unpublished.others_than(request.user),
            initial={
                "loaded_edit": story.edit_number,
                "internal_reason": request.GET.get("reason", "")[:1000],
                # "Publish a correction from this report…" in the desk's queue.
                "reports": [pk for pk in request.GET.getlist("report") if pk.isdigit()],
            },
            may_bypass=request.user.has_perm(PUBLISH_WITHOUT_REVIEW),
        )
        try:
            require_permission(request.user, PUBLISH_STORY)
            if request.method == "POST" and form.is_valid():
                self._publish(request, story, form.cleaned_data)
                return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        except ValidationError as error:
            # Rules about fields this form does not have (an empty body) show above it.
            add_service_errors(form, service_errors(error))
        except PermissionDenied as error:
            return self._refused(request, story, error)
        story.refresh_from_db()
        diffs = publishing.pending_changes(story)
        return self._render(
            request,
            story,
            "admin/stories/story/publish.html",
            title=f"Publish: {story.headline}" if first else f"Publish an update: {story.headline}",
            form=form,
            first_publication=first,
            diffs=diffs,
            removals=rendering.removed_on_publication(story.body),
            unpublished=unpublished,
            review_verdict=publish_verdict(story),
            **self._pictures(story),
        )

    def _publish(self, request, story, data):
        done = releasing.release(
            story,
            user=request.user,
            expected_edit=data["loaded_edit"],
            scheduled_at=data.get("scheduled_at"),
            reports=data.get("reports") or (),
            kind=data.get("kind"),
            public_note=data.get("public_note", ""),
            internal_reason=data.get("internal_reason", ""),
            others_edits_confirmed=data.get(releasing.CONFIRM_OTHERS_EDITS, False),
            review_bypass=data.get("review_bypass", ""),
        )
        if done.revision is None:
            self.message_user(
                request,
                f"“{story.headline}” will be published at {editor_time(done.scheduled_at)}.",
                messages.SUCCESS,
            )
            return
        revision = done.revision
        self.message_user(
            request,
            format_html(
                'Published version {} of “{}”. <a href="{}">View it live</a>.',
                revision.number,
                story.headline,
                story.get_absolute_url(),
            ),
            messages.SUCCESS,
        )

    def withdraw_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        form = WithdrawForm(
            request.POST if request.method == "POST" else None,
            may_bypass=request.user.has_perm(PUBLISH_WITHOUT_REVIEW),
        )
        try:
            require_permission(request.user, WITHDRAW_STORY)
            if request.method == "POST" and form.is_valid():
                publishing.withdraw(story, user=request.user, **form.cleaned_data)
                self.message_user(
                    request, f"“{story.headline}” has been withdrawn.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        except ValidationError as error:
            add_service_errors(form, service_errors(error))
        except PermissionDenied as error:
            return self._refused(request, story, error)
        return self._render(
            request,
            story,
            "admin/stories/story/withdraw.html",
            title=f"Withdraw: {story.headline}",
            form=form,
        )

    def unschedule_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        try:
            publishing.unschedule(story, user=request.user)
            self.message_user(
                request, f"“{story.headline}” is no longer scheduled.", messages.SUCCESS
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except PermissionDenied as error:
            return self._refused(request, story, error)
        return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))

    def compare_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        diffs = publishing.pending_changes(story)
        return self._render(
            request,
            story,
            "admin/stories/story/compare.html",
            title=f"Working copy compared with the live version: {story.headline}",
            diffs=diffs,
            **self._pictures(story),
        )

    def _pictures(self, story):
        """The live version's picture and the working copy's, side by side in a diff."""
        live = story.latest_revision
        old = live.picture if live is not None and live.picture_id else None
        new = story.picture if story.picture_id else None
        return {
            "old_picture": pictures.thumbnail(old.renditions, live.image_alt) if old else None,
            "new_picture": pictures.thumbnail(new.renditions, story.image_alt) if new else None,
            "old_label": f"version {live.number}" if live is not None else None,
            "new_label": "working copy",
        }
