"""The editors' admin. Thin: rules live in ``publishing``, forms in ``forms``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from stories import publishing
from stories.diffing import compare_snapshots, has_changes
from stories.models import Contributor, Credit, Revision, Section, Story

from .forms import CreditInlineFormSet, PublishForm, StoryAdminForm, WithdrawForm
from .history import AuditTrailContextHelper

#: Story fields only the publishing service writes; an admin save (or a revert) keeps them.
PUBLISHING_STATE = (
    "status",
    "scheduled_at",
    "first_published_at",
    "updated_at",
    "latest_revision_id",
    "created_at",
    "created_by_id",
)


class AuditedAdmin(SimpleHistoryAdmin):
    """Skips saves that change nothing, records the user of every save, and shows
    text changes in the History page as word diffs."""

    object_history_list_template = "admin/stories/object_history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return AuditTrailContextHelper(self.model, historical_record)

    # Saves that change nothing (including a revert to identical values) are skipped by
    # the models themselves (``SkipUnchangedSavesMixin``), so no check is needed here.

    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, _numeric_id(object_id), extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert saves through the same locked, validated form as a normal edit.
        with transaction.atomic():
            return super().history_form_view(
                request, _numeric_id(object_id), _numeric_id(version_id), extra_context
            )

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL rejects NUL characters in a query; nobody searches for one.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))


def _numeric_id(value) -> str:
    """Admin ids in URLs are numbers; anything else is a page that does not exist."""
    if not str(value).isdigit():
        raise Http404("No such record.")
    return value


class PublicSlugMixin:
    """A slug that published versions link to is fixed, like a published story's."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.slug_is_public(obj):
            fields.append("slug")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and self.slug_is_public(obj):
            return {}
        return super().get_prepopulated_fields(request, obj)


@admin.register(Section)
class SectionAdmin(PublicSlugMixin, AuditedAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def slug_is_public(self, section):
        return section.stories.filter(first_published_at__isnull=False).exists()


@admin.register(Contributor)
class ContributorAdmin(PublicSlugMixin, AuditedAdmin):
    list_display = ["name", "affiliation", "user"]
    search_fields = ["name", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}

    def slug_is_public(self, contributor):
        return contributor.credits.filter(story__first_published_at__isnull=False).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # A plain list of staff accounts: editors need no permission on user accounts.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CreditInline(admin.TabularInline):
    model = Credit
    formset = CreditInlineFormSet
    extra = 1
    fields = ["position", "contributor", "role", "affiliation"]
    autocomplete_fields = ["contributor"]
    ordering = ["position", "id"]


class RevisionInline(admin.TabularInline):
    """The published record, read-only: revisions are never edited."""

    model = Revision
    extra = 0
    can_delete = False
    fields = ["number", "kind", "published_at", "published_by", "public_note", "internal_reason"]
    readonly_fields = fields
    ordering = ["-number"]
    verbose_name = "published version"
    verbose_name_plural = "published versions"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Story)
class StoryAdmin(AuditedAdmin):
    form = StoryAdminForm
    inlines = [CreditInline, RevisionInline]
    list_display = ["headline", "status", "section", "updated_at", "modified_at", "modified_by"]
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
        ("Audit", {"fields": ["change_reason", "loaded_version"]}),
        (
            "Publication",
            {
                "fields": [
                    "publication_status",
                    "first_published_at",
                    "updated_at",
                    "version",
                    "imported_from",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = [
        "publication_status",
        "first_published_at",
        "updated_at",
        "version",
        "imported_from",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.first_published_at:
            fields.append("slug")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.first_published_at else self.prepopulated_fields

    @admin.display(description="Status")
    def publication_status(self, obj):
        if obj.status == Story.Status.SCHEDULED:
            return f"Scheduled for {timezone.localtime(obj.scheduled_at):%Y-%m-%d %H:%M %Z}"
        return obj.get_status_display()

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

    # -- saving the working copy -------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            stored = Story.objects.get(pk=obj.pk)
            for name in PUBLISHING_STATE:
                setattr(obj, name, getattr(stored, name))
        else:
            obj.created_by = request.user
        if obj.has_unsaved_changes():  # else the model skips the save: no history row
            obj.modified_by = request.user
            obj._change_reason = form.cleaned_data.get("change_reason") or (
                "Created" if not change else ""
            )
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data.get("change_reason") or "Credits edited"
        credits_changed = False
        to_save = formset.save(commit=False)
        # Deletions first: a credit removed and added back in one save must not collide.
        for credit in formset.deleted_objects:
            credit._history_user = request.user
            credit._change_reason = reason
            credit.delete()
            credits_changed = True
        for credit in to_save:
            credit._history_user = request.user
            credit._change_reason = reason
            credit.save()
            credits_changed = True
        formset.save_m2m()
        if credits_changed and change and not form.content_changed():
            # Credits are part of the story: move its version so stale forms are refused.
            story = form.instance
            story.modified_by = request.user
            story._history_user = request.user
            story._change_reason = reason
            story.version += 1
            story.save()

    def delete_view(self, request, object_id, extra_context=None):
        story = Story.objects.filter(pk=_numeric_id(object_id)).first()
        if story is not None and story.is_live:
            self.message_user(
                request,
                "A published story cannot be deleted: its versions are a public record. "
                "Withdraw it instead.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        _numeric_id(object_id)
        credit_history = (
            Credit.history.filter(story_id=object_id)
            .select_related("history_user", "contributor")
            .order_by("-history_date", "-history_id")
        )
        extra_context = {**(extra_context or {}), "credit_history": credit_history}
        return super().history_view(request, object_id, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        if "_publish" in request.POST:
            return HttpResponseRedirect(self._url("publish", obj))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            return HttpResponseRedirect(self._url("publish", obj))
        return super().response_change(request, obj)

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
        return custom + super().get_urls()

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

    def _working_copy_diffs(self, story):
        live = story.latest_revision.snapshot() if story.latest_revision else {}
        return compare_snapshots(live, Revision(**publishing.snapshot_story(story)).snapshot())

    def publish_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        first = not story.is_live
        form = PublishForm(
            request.POST if request.method == "POST" else None,
            first_publication=first,
            initial={"loaded_version": story.version},
        )
        try:
            publishing.require_permission(request.user, publishing.PUBLISH_PERMISSION)
            if request.method == "POST" and form.is_valid():
                self._publish(request, story, form.cleaned_data)
                return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            return self._refused(request, story, error)
        story.refresh_from_db()
        diffs = self._working_copy_diffs(story)
        return self._render(
            request,
            story,
            "admin/stories/story/publish.html",
            title=f"Publish: {story.headline}" if first else f"Publish an update: {story.headline}",
            form=form,
            first_publication=first,
            diffs=diffs,
            has_changes=has_changes(diffs),
        )

    def _publish(self, request, story, data):
        if data.get("scheduled_at"):
            publishing.schedule(story, user=request.user, at=data["scheduled_at"])
            self.message_user(request, f"“{story.headline}” is scheduled.", messages.SUCCESS)
            return
        revision = publishing.publish(
            story,
            user=request.user,
            kind=data.get("kind") or None,
            public_note=data.get("public_note", ""),
            internal_reason=data.get("internal_reason", ""),
            expected_version=data["loaded_version"],
        )
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
        form = WithdrawForm(request.POST if request.method == "POST" else None)
        try:
            publishing.require_permission(request.user, publishing.WITHDRAW_PERMISSION)
            if request.method == "POST" and form.is_valid():
                publishing.withdraw(story, user=request.user, **form.cleaned_data)
                self.message_user(
                    request, f"“{story.headline}” has been withdrawn.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:stories_story_change", args=[story.pk]))
        except ValidationError as error:
            form.add_error(None, error)
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
        diffs = self._working_copy_diffs(story)
        return self._render(
            request,
            story,
            "admin/stories/story/compare.html",
            title=f"Working copy compared with the live version: {story.headline}",
            diffs=diffs,
            has_changes=has_changes(diffs),
        )


@admin.register(Revision)
class RevisionAdmin(SimpleHistoryAdmin):
    """Published revisions can be read here, never changed or deleted."""

    list_display = ["story", "number", "kind", "published_at", "published_by"]
    list_filter = ["kind"]
    list_select_related = ["story", "published_by"]
    search_fields = ["headline", "public_note", "story__slug"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
