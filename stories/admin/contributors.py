"""Contributors in the admin: saved through ``stories.editing`` (slug fixed once credited
in a published version)."""

from django.contrib import admin
from django.contrib.auth import get_user_model

from stories import editing
from stories.models import Contributor

from .base import AuditedAdmin
from .forms import ContributorAdminForm


@admin.register(Contributor)
class ContributorAdmin(AuditedAdmin):
    form = ContributorAdminForm
    list_display = ["name", "affiliation", "user"]
    search_fields = ["name", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # A plain list of staff accounts: editors need no permission on user accounts.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        editing.save_contributor(obj, user=request.user, reason=form.cleaned_data["change_reason"])
