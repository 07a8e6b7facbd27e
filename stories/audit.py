"""Who is responsible for a history row, and why that person's account stays.

The admin's history rows get their user from ``HistoryRequestMiddleware``. Commands
and imports have no request, so they run inside ``acting_as(user)``; when no user is
named they act as the named system user, never as nobody.

The audit trail is append-only (``append_only``), so it keeps naming the person: an
account that wrote it is deactivated, never deleted (``refuse_deleting_people_in_the_record``).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import ProtectedError

_acting_user: ContextVar = ContextVar("newsroom_acting_user", default=None)

#: What the system user does: publish scheduled stories, import stories (which creates
#: their sections and contributors) and withdraw when a command is told to. Imports of
#: archived stories were checked where they were first published: the importer publishes
#: them without review, with the reason recorded (``interchange.importing``).
SYSTEM_PERMISSIONS = (
    "publish_story", "withdraw_story", "add_story", "change_story",
    "add_section", "add_contributor", "publish_without_review",
)  # fmt: skip


def history_user(request=None, instance=None, **kwargs):
    """``HistoricalRecords(get_user=...)``: the request's user, else the acting user."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return _acting_user.get()


@contextmanager
def acting_as(user):
    """Attribute every history row written inside the block to ``user``."""
    token = _acting_user.set(user)
    try:
        yield user
    finally:
        _acting_user.reset(token)


def save_with_reason(obj, user, reason: str) -> None:
    """Save ``obj`` with its history row's user and reason, cleared afterwards so they
    never stick to the next save (django-simple-history keeps them on the object)."""
    obj._history_user = user
    obj._change_reason = reason
    try:
        obj.save()
    finally:
        for attribute in ("_change_reason", "_history_user"):
            obj.__dict__.pop(attribute, None)


def system_user():
    """The account that commands act as when no person is named (cannot log in)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=settings.NEWSROOM_SYSTEM_USERNAME,
        defaults={"first_name": "Newsroom", "last_name": "system"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    granted = set(user.user_permissions.values_list("codename", flat=True))
    if not granted.issuperset(SYSTEM_PERMISSIONS):  # created, or made by an older release
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="stories", codename__in=SYSTEM_PERMISSIONS
            )
        )
    return user


def display_name(user) -> str:
    """How messages name a person: "Elena Marsh", else the username."""
    if user is None:
        return "Someone"
    return user.get_full_name() or user.username


def user_by_username(username: str | None):
    """The user a command acts as: ``--as USERNAME`` or the system user."""
    if not username:
        return system_user()
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise LookupError(f"no user named {username!r}") from None


def audit_entries_by(user) -> int:
    """How many rows of the audit trail (every simple-history table, and the trail of
    accounts: logins, permissions) name ``user``."""
    from django.apps import apps
    from simple_history.models import registered_models
    from simple_history.utils import get_history_model_for_model

    events = apps.get_model("stories", "AccountEvent").objects
    return (
        sum(
            get_history_model_for_model(model).objects.filter(history_user=user).count()
            for model in registered_models.values()
        )
        + events.filter(user=user).count()
        + events.filter(actor=user).count()
    )


def why_the_account_stays(user, entries: int) -> str:
    return (
        f"{user.get_username()} made {entries} change{'s' if entries != 1 else ''} recorded "
        "in the audit trail, which keeps who made each change: deactivate the account "
        "(untick “Active”) instead of deleting it."
    )


def refuse_deleting_people_in_the_record(sender, instance, **kwargs):
    """``pre_delete`` of the user model: deleting would have to blank the audit trail's
    user column, which the database refuses; say so plainly, from any caller."""
    entries = audit_entries_by(instance)
    if entries:
        raise ProtectedError(why_the_account_stays(instance, entries), set())
