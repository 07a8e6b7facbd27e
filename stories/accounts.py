"""Staff accounts in the audit trail: every login, failed login, logout and change of
permissions becomes an ``AccountEvent`` (append-only), and each login's session is
recorded (``StaffSession``) so that an administrator can list a person's sessions and
end them.

Django's signals carry these events from wherever they happen (the admin, a shell, a
command): ``user_logged_in``, ``user_login_failed`` and ``user_logged_out``, and
``m2m_changed`` of users' permissions and groups and of groups' permissions;
``pre_save``/``post_save`` of a user catch a change of its staff, superuser or active
flag. Who made a change is the request's user (simple-history's middleware keeps the
request), else the user a command acts as (``audit.acting_as``). ``StoriesConfig.ready``
connects them.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.base import SessionBase
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.utils import timezone
from django.utils.module_loading import import_string

from . import audit
from .models import AccountEvent, StaffSession

Kind = AccountEvent.Kind
#: The flags of an account whose change is recorded.
STATUS_FIELDS = ("is_active", "is_staff", "is_superuser")


def record(kind: str, *, user=None, username: str = "", request=None, detail: str = "", actor=None):
    """Write one event of the audit trail of accounts."""
    return AccountEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        actor=actor,
        ip_address=client_ip(request),
        detail=detail,
    )


def client_ip(request) -> str | None:
    """The client's address as the login throttle reads it; ``None`` if it is not one
    (a proxy's header can carry anything)."""
    if request is None:
        return None
    key = settings.CLIENT_IP_META_KEY or "REMOTE_ADDR"
    value = request.META.get(key, "").split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _actor():
    """Who is acting now: the request's user, else the user a command acts as."""
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    return audit.history_user(request)


# -- logins and sessions ----------------------------------------------------------------


def logged_in(sender, request, user, **kwargs):
    record(Kind.LOGIN, user=user, request=request, detail=_second_factor(user))
    if request is not None and getattr(request, "session", None) is not None:
        if request.session.session_key is None:
            request.session.save()
        StaffSession.objects.update_or_create(
            session_key=request.session.session_key,
            defaults={
                "user": user,
                "started_at": timezone.now(),
                "ip_address": client_ip(request),
                "user_agent": request.headers.get("User-Agent", "")[:300],
            },
        )


def _second_factor(user) -> str:
    device = getattr(user, "otp_device", None)
    return f"second factor: {device.name}" if device is not None else ""


def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    record(Kind.LOGIN_FAILED, user=user, username=username, request=request)


def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    record(Kind.LOGOUT, user=user, request=request)
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        StaffSession.objects.filter(session_key=session.session_key).delete()


def end_sessions(sessions, *, by) -> int:
    """End these open sessions: their people must log in again. Returns how many."""
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    ended = 0
    for session in sessions:
        store: SessionBase = engine(session_key=session.session_key)
        store.delete()
        record(
            Kind.SESSION_ENDED,
            user=session.user,
            actor=by,
            detail=f"session started {session.started_at:%Y-%m-%d %H:%M} from {session.ip_address}",
        )
        session.delete()
        ended += 1
    return ended


def forget_ended_sessions() -> int:
    """Forget the recorded sessions that ended without a logout: expired, or removed from
    the session store (``clearsessions``). The admin lists open sessions, and a session
    nobody logged out of would otherwise stay listed for ever. Returns how many."""
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    ended = [
        recorded.pk
        for recorded in StaffSession.objects.only("pk", "session_key").iterator()
        # A live staff session always holds its user's id; load() is empty once it ended.
        if not engine(session_key=recorded.session_key).load()
    ]
    StaffSession.objects.filter(pk__in=ended).delete()
    return len(ended)


# -- permissions -------------------------------------------------------------------------


def permissions_changed(sender, instance, action, pk_set, model, reverse, **kwargs):
    """``m2m_changed`` of ``User.user_permissions``, ``User.groups`` and ``Group.permissions``."""
    if action not in ("post_add", "post_remove", "pre_clear") or reverse:
        return
    verb = {"post_add": "added", "post_remove": "removed", "pre_clear": "all removed"}[action]
    if action == "pre_clear":
        manager = {
            Group.permissions.through: "permissions",
            get_user_model().groups.through: "groups",
        }.get(sender, "user_permissions")
        names = sorted(_name(item) for item in _with_apps(getattr(instance, manager).all()))
        if not names:
            return
    else:
        names = sorted(
            _name(item) for item in _with_apps(model.objects.filter(pk__in=pk_set or ()))
        )
    detail = f"{verb}: {', '.join(names)}"
    if isinstance(instance, Group):
        record(
            Kind.GROUP_PERMISSIONS_CHANGED, username=instance.name, detail=detail, actor=_actor()
        )
    elif sender is get_user_model().groups.through:
        record(Kind.GROUPS_CHANGED, user=instance, detail=detail, actor=_actor())
    else:
        record(Kind.PERMISSIONS_CHANGED, user=instance, detail=detail, actor=_actor())


def _with_apps(items):
    """Permissions with their apps in the same query (``_name`` reads them), groups as they are."""
    return items.select_related("content_type") if items.model is Permission else items


def _name(item) -> str:
    """A permission as code names it (``stories.publish_story``), a group by its name."""
    if isinstance(item, Permission):
        return f"{item.content_type.app_label}.{item.codename}"
    return str(item)


def remember_status(sender, instance, update_fields=None, **kwargs):
    """``pre_save`` of a user: its flags before, to tell afterwards what changed."""
    if instance.pk is None or (
        update_fields is not None and not set(update_fields) & set(STATUS_FIELDS)
    ):
        instance._status_before = None
        return
    instance._status_before = (
        type(instance).objects.filter(pk=instance.pk).values(*STATUS_FIELDS).first()
    )


def status_changed(sender, instance, created, **kwargs):
    before = getattr(instance, "_status_before", None)
    instance._status_before = None
    if before is None:
        return
    changes = [
        f"{name} {'on' if getattr(instance, name) else 'off'}"
        for name in STATUS_FIELDS
        if before[name] != getattr(instance, name)
    ]
    if changes:
        record(Kind.STATUS_CHANGED, user=instance, detail=", ".join(changes), actor=_actor())


def connect() -> None:
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    User = get_user_model()
    user_logged_in.connect(logged_in, dispatch_uid="stories.accounts.logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="stories.accounts.login_failed")
    user_logged_out.connect(logged_out, dispatch_uid="stories.accounts.logged_out")
    for through in (User.user_permissions.through, User.groups.through, Group.permissions.through):
        m2m_changed.connect(
            permissions_changed, sender=through, dispatch_uid=f"stories.accounts.{through.__name__}"
        )
    pre_save.connect(remember_status, sender=User, dispatch_uid="stories.accounts.status_before")
    post_save.connect(status_changed, sender=User, dispatch_uid="stories.accounts.status_after")
