"""Published versions in the admin: readable, never changed or deleted."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from stories.models import Revision

from .base import ReadOnlyAdmin


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["story", "number", "kind", "published_at", "published_by"]
    list_filter = ["kind"]
    list_select_related = ["story", "published_by"]
    search_fields = ["headline", "public_note", "story__slug"]
