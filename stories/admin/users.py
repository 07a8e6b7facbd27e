"""Staff accounts: Django's user admin, refusing to delete anyone the audit trail names.

The refusal itself is the domain's (``stories.audit``, raised from any caller); here it
becomes the admin's own "protected objects" page, for one account and for the bulk
action alike, instead of an error.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from stories import audit

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
