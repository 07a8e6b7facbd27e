"""Who may change the record, and what they did with their accounts: the audit trail of
logins, failed logins, permission changes and second factors (append-only), and the
staff's open sessions, which an administrator can list and end."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import AppendOnlyModel


class AccountEvent(AppendOnlyModel):
    """One event in the life of a staff account, for the audit trail. Append-only: an
    account it names is deactivated, never deleted (``audit.refuse_deleting_people_in_the_record``;
    the database would refuse to blank the column anyway, as for every history row)."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login_failed", "Failed to log in"
        LOGOUT = "logout", "Logged out"
        SECOND_FACTOR_FAILED = "second_factor_failed", "Second factor refused"
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", "Second factor set up"
        RECOVERY_CODES = "recovery_codes", "New recovery codes"
        PERMISSIONS_CHANGED = "permissions_changed", "Permissions changed"
        GROUPS_CHANGED = "groups_changed", "Groups changed"
        GROUP_PERMISSIONS_CHANGED = "group_permissions_changed", "A group's permissions changed"
        STATUS_CHANGED = "status_changed", "Staff, superuser or active status changed"
        SESSION_ENDED = "session_ended", "Session ended"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account_events",
        help_text="The account concerned (none for an unknown username or a group).",
    )
    username = models.CharField(max_length=150, blank=True, help_text="As typed, for failures.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it, when it was someone else (an administrator).",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.TextField(blank=True)

    REFUSED_CHANGE = "The audit trail of accounts is never changed."
    REFUSED_DELETE = "The audit trail of accounts is never deleted."

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.username or self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class StaffSession(models.Model):
    """An open session of a staff account: listed in the admin, where it can be ended.

    Django's session store cannot list a user's sessions (they are keyed by a random key
    only), so each login records its session here and each logout removes it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    started_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "open session"

    def __str__(self):
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"
