"""Staff accounts: Django's user admin, refusing to delete anyone the audit trail names;
their open sessions, which a superuser can end; and the audit trail of accounts (logins,
failed logins, changes of permissions), read only.

The refusal itself is the domain's (``stories.audit``, raised from any caller); here it
becomes the admin's own "protected objects" page, for one account and for the bulk
action alike, instead of an error.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from stories import accounts, audit
from stories.models import AccountEvent, StaffSession

from .base import ReadOnlyAdmin

User = get_user_model()


class NewsroomUserAdmin(UserAdmin):
    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            entries = audit.audit_entries_by(user)
            if entries:
                protected.append(audit.why_the_account_stays(user, entries))
        return to_delete, model_count, perms_needed, protected


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, NewsroomUserAdmin)


@admin.register(StaffSession)
class StaffSessionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Every open session of a staff account: who, since when, from where. Ending one
    logs that browser out at once (``accounts.end_sessions``)."""

    list_display = ["user", "started_at", "ip_address", "user_agent"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "ip_address"]
    actions = ["end_sessions"]
    list_display_links = None  # ending a session is the action below, which also records it

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_end_permission(self, request):
        return request.user.is_superuser

    @admin.action(description="End the selected sessions", permissions=["end"])
    def end_sessions(self, request, queryset):
        ended = accounts.end_sessions(queryset.select_related("user"), by=request.user)
        self.message_user(request, f"{ended} session{'s' if ended != 1 else ''} ended.")


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The audit trail of staff accounts: read only, as it is append-only."""

    list_display = ["at", "kind", "username", "actor", "ip_address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "detail", "ip_address"]
    date_hierarchy = "at"
    list_display_links = None

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
