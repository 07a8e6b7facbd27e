"""The desk in the admin: the review panel of a story's change form and its actions,
comments, presence and autosave endpoints, outside preview links, the review queue, one's
notifications, and the list of publishes without review.

Thin, like the rest of the admin: every change goes through ``stories.reviewing`` or
``stories.desk``; these views turn requests into service calls and service errors into
messages. The endpoints the change form's script calls (heartbeat, autosave) answer
JSON, need the CSRF token and check permissions like every other admin view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from stories import audit, publishing, reviewing
from stories.desk import autosave, comments, notifications, presence, previews, queue, timeline
from stories.models import (
    Comment,
    Notification,
    PreviewLink,
    Priority,
    Review,
    ReviewBypass,
    ReviewPurpose,
    ReviewState,
    Section,
    SectionEditor,
    Story,
)
from stories.roles import CHANGE_STORY, PUBLISH_STORY, WITHDRAW_STORY

User = get_user_model()


def approvers():
    """Active staff who may approve (the publish permission, directly or by group)."""
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="publish_story")
            | Q(groups__permissions__codename="publish_story")
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return audit.display_name(user)


# -- forms ---------------------------------------------------------------------------------


class SubmitForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="What the reviewer should know or check.",
    )
    reviewer = PersonChoice(
        queryset=User.objects.none(),
        required=False,
        empty_label="The section's editors",
        help_text="A person, or leave the section's editors.",
    )
    reviewer_section = forms.ModelChoiceField(
        label="Section desk",
        queryset=Section.objects.all(),
        required=False,
        empty_label="The story's own section",
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    purpose = forms.ChoiceField(
        label="Review for",
        choices=ReviewPurpose.choices,
        initial=ReviewPurpose.PUBLISH,
        required=False,
    )
    loaded_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = approvers()


class DecisionForm(forms.Form):
    message = forms.CharField(
        label="Comment",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional with an approval; required when you request changes.",
    )
    loaded_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReassignForm(forms.Form):
    reviewer = PersonChoice(queryset=User.objects.none(), required=False, empty_label="—")
    reviewer_section = forms.ModelChoiceField(
        label="or section desk", queryset=Section.objects.all(), required=False, empty_label="—"
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    priority = forms.ChoiceField(choices=Priority.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = approvers()


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Mention a colleague with @username; they are notified.",
    )
    field = forms.ChoiceField(
        label="On",
        choices=[("", "The whole story"), *comments.ANCHOR_FIELDS.items()],
        required=False,
    )
    quote = forms.CharField(
        label="Passage",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Select words in a field above and press “Comment on the selection”, or type them.",
    )
    position = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class PreviewLinkForm(forms.Form):
    label = forms.CharField(
        label="For",
        max_length=100,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Who may read it, e.g. “Counsel, M. Reyes”. Anyone with the link can.",
    )


# -- what the change form shows ------------------------------------------------------------


@dataclass
class Panel:
    """Everything the desk panel of one story's change form shows, decided here."""

    story: Story
    review: Review | None
    approval_current: bool
    edit_author: str
    state: str
    actions: list[str] = field(default_factory=list)
    threads: list = field(default_factory=list)
    others: list = field(default_factory=list)
    draft: object = None
    links: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    muted: bool = False
    forms: dict = field(default_factory=dict)
    urls: dict = field(default_factory=dict)


def review_state(story: Story, review: Review | None, current: bool) -> str:
    if review is None:
        return "Not in review."
    who = audit.display_name(review.submitted_by)
    when = date_format(timezone.localtime(review.submitted_at), "DATETIME_FORMAT")
    submitted = f"Submitted by {who} on {when} (edit {review.submitted_edit})"
    if review.state == ReviewState.APPROVED and current:
        return (
            f"Approved by {audit.display_name(review.approved_by)} (edit {review.approved_edit}): "
            "it may be published as it is. " + submitted + "."
        )
    if review.state == ReviewState.APPROVED:
        return (
            f"Approval void: {audit.display_name(review.approved_by)} approved edit "
            f"{review.approved_edit}, and the story was edited since (edit {story.edit_number}). "
            "It waits for approval again. " + submitted + "."
        )
    if review.state == ReviewState.CHANGES_REQUESTED:
        return f"Changes requested: back with {who} to revise and submit again. " + submitted + "."
    return f"In review, waiting for {reviewer_label(review)}. " + submitted + "."


def reviewer_label(review: Review) -> str:
    if review.reviewer_id:
        return audit.display_name(review.reviewer)
    if review.reviewer_section_id:
        return f"the {review.reviewer_section.name} desk"
    return "any editor"


def allowed_actions(user, story: Story, review: Review | None, current: bool, author) -> list:
    """What ``user`` may do to the review now (the services decide for real)."""
    actions = []
    may_edit = user.has_perm(CHANGE_STORY)
    if review is None:
        if may_edit and not story.is_withdrawn:
            actions.append("submit")
        return actions
    approver = user.has_perm(
        WITHDRAW_STORY if review.purpose == ReviewPurpose.WITHDRAW else PUBLISH_STORY
    )
    waiting = review.state == ReviewState.IN_REVIEW or (
        review.state == ReviewState.APPROVED and not current
    )
    if waiting and approver and (author is None or author.pk != user.pk):
        actions += ["approve", "request_changes"]
    if review.state == ReviewState.CHANGES_REQUESTED and may_edit:
        actions.append("submit")
    if review.submitted_by_id == user.pk or approver:
        actions.append("reassign")
    if review.submitted_by_id == user.pk:
        actions.append("cancel")
    return actions


def panel(request, story: Story) -> Panel:
    user = request.user
    review = reviewing.open_review(story)
    current = reviewing.approval_is_current(review, story)
    author = reviewing.edit_author(story)
    draft = autosave.draft_of(story, user)
    data = Panel(
        story=story,
        review=review,
        approval_current=current,
        edit_author=audit.display_name(author) if author else "",
        state=review_state(story, review, current),
        actions=allowed_actions(user, story, review, current, author),
        threads=comments.threads(story),
        others=presence.present(story.pk, exclude=user),
        draft=draft if draft is not None and autosave.differs(draft, story) else None,
        links=[
            (link, previews.ended(link, story), previews.token_for(link))
            for link in previews.links_of(story)
        ]
        if user.has_perm(PUBLISH_STORY)
        else [],
        entries=timeline.timeline(story),
        muted=notifications.is_muted(story, user),
    )
    edit = {"loaded_edit": story.edit_number}
    data.forms = {
        "submit": SubmitForm(initial=edit, auto_id="id_review_%s"),
        "decide": DecisionForm(initial=edit, auto_id="id_decision_%s"),
        "reassign": ReassignForm(auto_id="id_reassign_%s"),
        "comment": CommentForm(auto_id="id_comment_%s"),
        "link": PreviewLinkForm(auto_id="id_link_%s"),
    }
    data.urls = {name: _url(name, story) for name in STORY_VIEWS}
    return data


# -- the views on one story ------------------------------------------------------------------


def _url(name: str, story: Story, *args) -> str:
    return reverse(f"admin:stories_story_desk_{name}", args=[story.pk, *args])


class DeskViews:
    """Mixed into ``StoryAdmin``: the desk's URLs under each story."""

    def desk_urls(self):
        return [
            path(
                f"<int:object_id>/desk/{route}",
                self.admin_site.admin_view(require_POST(getattr(self, f"desk_{name}"))),
                name=f"stories_story_desk_{name}",
            )
            for name, route in STORY_VIEWS.items()
        ]

    def _desk_story(self, request, object_id) -> Story:
        story = get_object_or_404(Story.objects.select_related("section"), pk=object_id)
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        return story

    def _back(self, story: Story, anchor: str = "desk"):
        return HttpResponseRedirect(
            reverse("admin:stories_story_change", args=[story.pk]) + f"#{anchor}"
        )

    def _act(self, request, story, action, form_class, success: str, anchor="desk"):
        """Validate ``form_class`` from the POST, call ``action(cleaned_data)``; the
        service's refusal is shown as messages, never a 500."""
        form = form_class(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                for error in errors:
                    label = form.fields[name].label if name in form.fields else ""
                    self.message_user(
                        request, f"{label}: {error}" if label else error, messages.ERROR
                    )
            return self._back(story, anchor)
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            if success:
                self.message_user(request, success, messages.SUCCESS)
        return self._back(story, anchor)

    def desk_submit(self, request, object_id):
        story = self._desk_story(request, object_id)

        def submit(data):
            reviewing.submit(
                story,
                user=request.user,
                message=data["message"],
                reviewer=data["reviewer"],
                section=data["reviewer_section"],
                due_at=data["due_at"],
                priority=data["priority"],
                purpose=data["purpose"] or ReviewPurpose.PUBLISH,
                expected_edit=data["loaded_edit"],
            )

        return self._act(request, story, submit, SubmitForm, "Submitted for review.")

    def desk_approve(self, request, object_id):
        return self._decide(request, object_id, reviewing.approve, "Approved.")

    def desk_request_changes(self, request, object_id):
        return self._decide(request, object_id, reviewing.request_changes, "Changes requested.")

    def _decide(self, request, object_id, service, success: str):
        story = self._desk_story(request, object_id)

        def decide(data):
            service(
                story, user=request.user, message=data["message"], expected_edit=data["loaded_edit"]
            )

        return self._act(request, story, decide, DecisionForm, success)

    def desk_reassign(self, request, object_id):
        story = self._desk_story(request, object_id)

        def reassign(data):
            reviewing.reassign(
                story,
                user=request.user,
                reviewer=data["reviewer"],
                section=data["reviewer_section"],
                due_at=data["due_at"],
                priority=data["priority"] or None,
            )

        return self._act(request, story, reassign, ReassignForm, "Reassigned.")

    def desk_cancel(self, request, object_id):
        story = self._desk_story(request, object_id)
        return self._act(
            request,
            story,
            lambda data: reviewing.cancel(story, user=request.user),
            forms.Form,
            "Review cancelled.",
        )

    def desk_comment(self, request, object_id):
        story = self._desk_story(request, object_id)
        parent = None
        if request.POST.get("parent", "").isdigit():
            parent = get_object_or_404(Comment, pk=request.POST["parent"], story=story)

        def comment(data):
            comments.add_comment(
                story,
                user=request.user,
                body=data["body"],
                field=data["field"] if parent is None else "",
                quote=data["quote"] if parent is None else "",
                position=data["position"],
                parent=parent,
            )

        form_class = ReplyForm if parent is not None else CommentForm
        return self._act(request, story, comment, form_class, "", anchor="desk-comments")

    def desk_resolve(self, request, object_id, comment_id):
        return self._resolve(request, object_id, comment_id, comments.resolve)

    def desk_reopen(self, request, object_id, comment_id):
        return self._resolve(request, object_id, comment_id, comments.reopen)

    def _resolve(self, request, object_id, comment_id, action):
        story = self._desk_story(request, object_id)
        comment = get_object_or_404(Comment, pk=comment_id, story=story)
        return self._act(
            request,
            story,
            lambda data: action(comment, user=request.user),
            forms.Form,
            "",
            anchor="desk-comments",
        )

    def desk_watch(self, request, object_id):
        story = self._desk_story(request, object_id)
        if request.POST.get("mute") == "1":
            notifications.mute(story, request.user)
            self.message_user(request, "Muted: you will hear nothing more of this story.")
        else:
            notifications.watch(story, request.user)
            self.message_user(request, "You follow this story.")
        return self._back(story)

    def desk_link(self, request, object_id):
        story = self._desk_story(request, object_id)
        return self._act(
            request,
            story,
            lambda data: previews.create_link(story, user=request.user, label=data["label"]),
            PreviewLinkForm,
            "Preview link made: copy it from the list below.",
            anchor="desk-links",
        )

    def desk_revoke(self, request, object_id, link_id):
        story = self._desk_story(request, object_id)
        link = get_object_or_404(PreviewLink, pk=link_id, story=story)
        return self._act(
            request,
            story,
            lambda data: previews.revoke(link, user=request.user),
            forms.Form,
            "Link revoked.",
            anchor="desk-links",
        )

    def desk_presence(self, request, object_id):
        """The form's heartbeat: record the beat, answer who else has the story open."""
        story = self._desk_story(request, object_id)
        if not request.user.has_perm(CHANGE_STORY):
            return JsonResponse({"error": "You cannot edit stories."}, status=403)
        others = presence.beat(story.pk, request.user)
        return JsonResponse({"others": [presence_json(person) for person in others]})

    def desk_autosave(self, request, object_id):
        """The form's unsaved fields, kept for this person (JSON in, JSON out)."""
        story = self._desk_story(request, object_id)
        try:
            data = json.loads(request.body or b"{}")
            fields = data["fields"]
            based_on = int(data.get("based_on_edit") or story.edit_number)
            if not isinstance(fields, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return JsonResponse(
                {"error": 'Send JSON: {"fields": {...}, "based_on_edit": N}.'}, status=400
            )
        try:
            draft = autosave.keep(story, request.user, fields, based_on_edit=based_on)
        except PermissionDenied as error:
            return JsonResponse({"error": str(error)}, status=403)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        saved = timezone.localtime(draft.saved_at)
        return JsonResponse({"saved_at": saved.isoformat(), "saved": f"{saved:%H:%M:%S}"})

    def desk_discard(self, request, object_id):
        story = self._desk_story(request, object_id)
        autosave.discard(story, request.user)
        self.message_user(request, "Your unsaved changes were discarded.")
        return self._back(story, "content")


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=5000)


def presence_json(person) -> dict:
    since = timezone.localtime(person.since)
    return {
        "name": person.name,
        "since": since.isoformat(),
        "text": f"{person.name} has been editing this story since {since:%H:%M}",
    }


#: The desk's views under a story: name -> route (after ``<id>/desk/``).
STORY_VIEWS = {
    "submit": "submit/",
    "approve": "approve/",
    "request_changes": "request-changes/",
    "reassign": "reassign/",
    "cancel": "cancel/",
    "comment": "comment/",
    "watch": "watch/",
    "link": "links/",
    "presence": "presence/",
    "autosave": "autosave/",
    "discard": "autosave/discard/",
}
#: Views that also take the id of a comment or link.
ITEM_VIEWS = {
    "resolve": "comments/<int:comment_id>/resolve/",
    "reopen": "comments/<int:comment_id>/reopen/",
    "revoke": "links/<int:link_id>/revoke/",
}


def item_urls(model_admin):
    return [
        path(
            f"<int:object_id>/desk/{route}",
            model_admin.admin_site.admin_view(require_POST(getattr(model_admin, f"desk_{name}"))),
            name=f"stories_story_desk_{name}",
        )
        for name, route in ITEM_VIEWS.items()
    ]


# -- the queue ---------------------------------------------------------------------------------


class ReadOnlyDeskAdmin(admin.ModelAdmin):
    """A list the desk reads: rows change only through the services, never here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.has_view_permission(request)


#: Rows on one page of the queue.
QUEUE_PAGE_SIZE = 100


@admin.register(Review)
class ReviewAdmin(ReadOnlyDeskAdmin):
    """The review queue: what awaits me, my sections, mine in review, changes asked of me.

    Reviews change only through ``stories.reviewing`` (from a story's page): the admin
    adds, changes and deletes none here.
    """

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and request.user.has_perm("stories.view_story")
        )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        name = request.GET.get("tab", "")
        counts = queue.counts(request.user)
        if name not in queue.TABS:
            name = next((tab for tab in ("mine", "sections", "changes") if counts[tab]), "all")
        now = timezone.now()
        page = Paginator(queue.tab(request.user, name, now=now), QUEUE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        reviews = list(page.object_list)
        looking = presence.present_on([review.story_id for review in reviews], now=now)
        rows = [
            {
                "review": review,
                "story": review.story,
                "overdue": review.is_overdue(now),
                "reviewer": reviewer_label(review),
                "state": (
                    "Approval void: edited since"
                    if review.state == ReviewState.APPROVED
                    and review.approved_edit != review.story.edit_number
                    else review.get_state_display()
                ),
                "looking": looking.get(review.story_id, []),
            }
            for review in reviews
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "What awaits me",
            "tabs": [
                {"name": tab, "label": label, "count": counts[tab], "current": tab == name}
                for tab, label in queue.TABS.items()
            ],
            "tab_label": queue.TABS[name],
            "rows": rows,
            "page": page,
            "unread": notifications.unread_count(request.user),
            "bypasses": ReviewBypass.objects.count()
            if request.user.has_perm(PUBLISH_STORY)
            else None,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/stories/review/queue.html", context)


# -- notifications -----------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyDeskAdmin):
    """One's own notifications: newest first, unread marked, one click to the story."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def get_urls(self):
        return [
            path(
                "<int:notification_id>/open/",
                self.admin_site.admin_view(self.open_view),
                name="stories_notification_open",
            ),
            path(
                "read/",
                self.admin_site.admin_view(require_POST(self.read_view)),
                name="stories_notification_read",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "My notifications",
            "notifications": notifications.latest(request.user),
            "unread": notifications.unread_count(request.user),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/stories/notification/list.html", context)

    def open_view(self, request, notification_id):
        """Mark one notification read and follow its link (one's own only)."""
        notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
        notifications.mark_read(request.user, [notification.pk])
        return HttpResponseRedirect(notification.link)

    def read_view(self, request):
        count = notifications.mark_read(request.user)
        self.message_user(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
        return HttpResponseRedirect(reverse("admin:stories_notification_changelist"))


# -- publishes without review, and section desks ---------------------------------------------


@admin.register(ReviewBypass)
class ReviewBypassAdmin(ReadOnlyDeskAdmin):
    """What went out without a second editor, with the reason: for the desk to check after."""

    list_display = ["at", "story", "action", "edit_number", "version", "user", "reason"]
    list_select_related = ["story", "user", "revision"]
    list_filter = ["action", "at"]
    date_hierarchy = "at"

    @admin.display(description="Version")
    def version(self, obj):
        return obj.revision.number if obj.revision_id else "—"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PUBLISH_STORY)


@admin.register(SectionEditor)
class SectionEditorAdmin(admin.ModelAdmin):
    """Who edits which section: reviews sent to a section reach its editors."""

    list_display = ["section", "user"]
    list_select_related = ["section", "user"]
    list_filter = ["section"]
    autocomplete_fields = []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = approvers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def publish_verdict(story: Story) -> dict:
    """What the publish page says of the two-person rule before the editor presses Publish."""
    review = reviewing.open_review(story)
    if not publishing.review_required():
        return {"ok": True, "text": "The two-person rule is off on this site."}
    if reviewing.approval_is_current(review, story):
        return {
            "ok": True,
            "text": f"Approved by {audit.display_name(review.approved_by)} (edit "
            f"{review.approved_edit}).",
        }
    errors = publishing.clearance_errors(story)
    return {"ok": not errors, "text": " ".join(errors.get("review_bypass", []))}


__all__ = ["DeskViews", "item_urls", "panel", "publish_verdict"]
