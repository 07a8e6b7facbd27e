"""Sections in the admin: saved through ``stories.editing`` (slug fixed once published)."""

from django.contrib import admin

from stories import editing
from stories.models import Section

from .base import AuditedAdmin
from .forms import SectionAdminForm


@admin.register(Section)
class SectionAdmin(AuditedAdmin):
    form = SectionAdminForm
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        editing.save_section(obj, user=request.user, reason=form.cleaned_data["change_reason"])
