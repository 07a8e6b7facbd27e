"""What every editorial ModelAdmin shares: the audit trail's History pages, and ids that
are numbers."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from stories.models import LinkedFromPublishedVersions

from .history import AuditTrailContextHelper


class ReadOnlyAdmin:
    """A ModelAdmin mixin for rows the admin shows but never adds, changes or deletes
    (published versions, the audit trail of accounts, open sessions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def numeric_id(value) -> str:
    """Admin ids in URLs are numbers; anything else is a page that does not exist."""
    if not str(value).isdigit():
        raise Http404("No such record.")
    return value


class AuditedAdmin(SimpleHistoryAdmin):
    """History pages with word diffs of text changes, and reverts that save through the
    same services (and so the same rules) as a normal edit."""

    object_history_list_template = "admin/stories/object_history_list.html"
    #: History rows a page: each row's changes are diffed against the row before it, so a
    #: page of 25 keeps the page quick to render and to scan under deadline.
    history_list_per_page = 25

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.editor = request.user  # the services check this person's rights
        return form

    def has_delete_permission(self, request, obj=None):
        # Published versions link to it: its address must never pass to anyone else.
        if isinstance(obj, LinkedFromPublishedVersions) and obj.has_public_address():
            return False
        return super().has_delete_permission(request, obj)

    def get_historical_record_context_helper(self, request, historical_record):
        return AuditTrailContextHelper(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, numeric_id(object_id), extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        with transaction.atomic():
            return super().history_form_view(
                request, numeric_id(object_id), numeric_id(version_id), extra_context
            )

    def get_prepopulated_fields(self, request, obj=None):
        # A fixed (public) slug is not filled in from the name as one types.
        form_slug_fixed = obj is not None and obj.pk and obj.slug_is_public()
        return {} if form_slug_fixed else super().get_prepopulated_fields(request, obj)

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL rejects NUL characters in a query; nobody searches for one.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    @staticmethod
    def is_revert(request) -> bool:
        """Whether this is simple-history's revert page (which saves the object only)."""
        match = request.resolver_match
        return match is not None and match.url_name.endswith("_simple_history")
