"""Who can change the record: a second factor (TOTP and recovery codes, django-otp) for
every account that can publish, withdraw or remove content, required in production;
staff sessions listed and ended in the admin; logins, failed logins and changes of
permissions in the audit trail (newsroom/admin_site.py, stories/accounts.py)."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stories import audit
from stories.models import AccountEvent, StaffSession
from tests.envsettings import evaluate_settings, production
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
Kind = AccountEvent.Kind


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def login(client, username, code="", password=PASSWORD):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "otp_token": code, "next": "/admin/"},
    )


def app_code(device, steps_ahead=0) -> str:
    """What the authenticator app shows (``steps_ahead``: the next code, which the
    device's tolerance accepts; a code is never accepted twice)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


@pytest.fixture
def enrolled(editor):
    """The editor with an authenticator app and recovery codes, set up as a person would."""
    client = Client()
    client.force_login(editor)
    client.get(reverse("admin:second_factor"))
    device = TOTPDevice.objects.get(user=editor)
    page = client.post(reverse("admin:second_factor"), {"otp_token": app_code(device)})
    return device, page.context["codes"]


def events(kind, **filters):
    return list(AccountEvent.objects.filter(kind=kind, **filters))


# -- the second factor ----------------------------------------------------------------------


def test_an_editor_sets_up_a_second_factor_before_the_admin_lets_them_in(client, editor, required):
    assert login(client, "editor").status_code == 302
    assert client.get(reverse("admin:index")).url.startswith(reverse("admin:login"))
    assert client.get(reverse("admin:login")).url == reverse("admin:second_factor")

    setup = client.get(reverse("admin:second_factor"))
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    done = client.post(reverse("admin:second_factor"), {"otp_token": app_code(device)})

    page = setup.content.decode()
    assert "needs a second factor before you can use the admin" in page
    assert 'src="data:image/svg+xml' in page and setup.context["secret"] in page
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert client.get(reverse("admin:index")).status_code == 200  # this session is verified
    assert len(events(Kind.SECOND_FACTOR_ENROLLED, user=editor)) == 1


def test_a_wrong_code_sets_nothing_up(client, editor, required):
    client.force_login(editor)
    client.get(reverse("admin:second_factor"))
    wrong = client.post(reverse("admin:second_factor"), {"otp_token": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_login_asks_for_the_code_and_refuses_a_wrong_one(editor, enrolled, required):
    device, _ = enrolled
    client = Client()

    without = login(client, "editor")
    right = login(client, "editor", app_code(device, steps_ahead=1))
    assert client.get(reverse("admin:index")).status_code == 200
    wrong = login(Client(), "editor", "123456")
    again = login(Client(), "editor", app_code(device, steps_ahead=1))

    assert "This account has a second factor" in without.content.decode()
    assert right.status_code == 302
    assert "That code is not right" in wrong.content.decode()
    assert "Too many wrong codes: wait a few seconds" in again.content.decode()  # throttled
    assert len(events(Kind.SECOND_FACTOR_FAILED, user=editor)) == 2
    assert events(Kind.LOGIN, user=editor)[0].detail == "second factor: Authenticator app"


def test_a_password_alone_does_not_reach_the_admin_of_an_enrolled_editor(
    editor, enrolled, required
):
    client = Client()
    client.force_login(editor)  # a session that never passed the second factor
    assert client.get(reverse("admin:index")).status_code == 302
    page = client.get(reverse("admin:login")).content.decode()
    assert "log in again with the code from your authenticator app" in page


def test_a_recovery_code_works_once(editor, enrolled, required):
    _, codes = enrolled
    assert login(Client(), "editor", codes[0]).status_code == 302
    assert "That code is not right" in login(Client(), "editor", codes[0]).content.decode()
    assert StaticToken.objects.filter(device__user=editor).count() == 9


def test_a_reporter_who_cannot_publish_logs_in_with_a_password(client, reporter, required):
    assert login(client, "reporter").status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_superusers_need_it_too(client, db, required):
    UserFactory(username="chief", is_superuser=True)
    login(client, "chief")
    assert client.get(reverse("admin:index")).status_code == 302


def test_without_the_requirement_a_password_is_enough_and_a_factor_is_optional(
    client, editor, enrolled
):
    """The demo and a laptop: nothing required, but whoever set up a factor uses it."""
    assert client.get(reverse("admin:login")).status_code == 200
    assert "This account has a second factor" in login(client, "editor").content.decode()
    newcomer = UserFactory(username="newcomer", permissions=["publish_story"])
    other = Client()
    assert login(other, newcomer.username).status_code == 302
    assert other.get(reverse("admin:index")).status_code == 200
    page = other.get(reverse("admin:second_factor")).content.decode()
    assert "This site does not require one, but you can set it up" in page


def test_production_requires_it_and_the_system_check_holds_it_there(settings):
    assert evaluate_settings(production())["SECOND_FACTOR_REQUIRED"] is True
    settings.PRODUCTION = True
    settings.SECOND_FACTOR_REQUIRED = False
    errors = [error for error in run_checks() if error.id == "newsroom.E102"]
    assert (
        len(errors) == 1 and "NEWSROOM_REQUIRE_SECOND_FACTOR is off in production" in errors[0].msg
    )


def test_new_recovery_codes_replace_the_old_ones(editor, enrolled):
    device, old = enrolled
    client = Client()
    login(client, "editor", app_code(device, steps_ahead=1))
    page = client.post(reverse("admin:second_factor"), {"new_codes": "1"})
    new = page.context["codes"]
    assert set(new).isdisjoint(old) and len(new) == 10
    assert len(events(Kind.RECOVERY_CODES, user=editor)) == 1
    assert "That code is not right" in login(Client(), "editor", old[0]).content.decode()


# -- sessions ------------------------------------------------------------------------------


@pytest.fixture
def chief(db):
    return UserFactory(username="chief", is_superuser=True)


def test_a_superuser_lists_a_persons_sessions_and_ends_one(editor, chief):
    laptop, phone = Client(), Client()
    login(laptop, "editor")
    login(phone, "editor")
    admin = Client()
    admin.force_login(chief)

    listing = admin.get(
        reverse("admin:stories_staffsession_changelist"), {"user__id__exact": editor.pk}
    )
    laptop_session = StaffSession.objects.get(session_key=laptop.session.session_key)
    ended = admin.post(
        reverse("admin:stories_staffsession_changelist"),
        {"action": "end_sessions", "_selected_action": [laptop_session.pk]},
    )

    assert listing.status_code == 200 and listing.context["cl"].result_count == 2
    assert ended.status_code == 302
    assert laptop.get(reverse("admin:index")).status_code == 302  # logged out
    assert phone.get(reverse("admin:index")).status_code == 200
    (event,) = events(Kind.SESSION_ENDED, user=editor)
    assert event.actor == chief
    assert StaffSession.objects.filter(user=editor).count() == 1


def test_only_superusers_see_sessions_and_logging_out_forgets_the_session(client, editor):
    login(client, "editor")
    assert client.get(reverse("admin:stories_staffsession_changelist")).status_code == 403
    client.post(reverse("admin:logout"))
    assert not StaffSession.objects.filter(user=editor).exists()
    assert len(events(Kind.LOGOUT, user=editor)) == 1


def test_sessions_that_ended_without_a_logout_are_forgotten(editor, settings):
    """Expired sessions (and those clearsessions removed) leave the admin's list; open
    ones stay, whatever the session store."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    expired, open_one = Client(), Client()
    login(expired, "editor")
    login(open_one, "editor")
    # The browser's session ran out yesterday: Django's store keeps the row until
    # clearsessions, and nobody logged out.
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    assert StaffSession.objects.filter(user=editor).count() == 2

    call_command("forget_ended_sessions", stdout=io.StringIO())

    (left,) = StaffSession.objects.filter(user=editor)
    assert left.session_key == open_one.session.session_key
    assert open_one.get(reverse("admin:index")).status_code == 200
    assert not Session.objects.filter(session_key=expired.session.session_key).exists()
    out = io.StringIO()
    call_command("forget_ended_sessions", stdout=out)
    assert "forgot 0 staff sessions" in out.getvalue()


# -- the audit trail of accounts ---------------------------------------------------------


def test_logins_and_failed_logins_are_in_the_audit_trail(editor):
    client = Client(REMOTE_ADDR="198.51.100.7")
    login(client, "editor", password="wrong")
    login(client, "nobody-here")
    login(client, "editor")

    failed = events(Kind.LOGIN_FAILED)
    assert {(event.username, event.user) for event in failed} == {
        ("editor", editor),
        ("nobody-here", None),
    }
    assert {event.ip_address for event in failed} == {"198.51.100.7"}
    (logged_in,) = events(Kind.LOGIN, user=editor)
    assert logged_in.ip_address == "198.51.100.7"


def test_changes_of_permissions_groups_and_flags_are_in_the_audit_trail(reporter, chief):
    publish = Permission.objects.get(codename="publish_story")
    editors = Group.objects.create(name="Editors")
    already = AccountEvent.objects.count()
    with audit.acting_as(chief):
        reporter.user_permissions.add(publish)
        reporter.groups.add(editors)
        editors.permissions.add(publish)
        reporter.is_superuser = True
        reporter.save()
        editors.permissions.clear()

    new = list(AccountEvent.objects.order_by("pk"))[already:]
    assert [(event.kind, event.username, event.detail) for event in new] == [
        (Kind.PERMISSIONS_CHANGED, "reporter", "added: stories.publish_story"),
        (Kind.GROUPS_CHANGED, "reporter", "added: Editors"),
        (Kind.GROUP_PERMISSIONS_CHANGED, "Editors", "added: stories.publish_story"),
        (Kind.STATUS_CHANGED, "reporter", "is_superuser on"),
        (
            Kind.GROUP_PERMISSIONS_CHANGED,
            "Editors",
            "all removed: stories.publish_story",
        ),
    ]
    assert {event.actor for event in new} == {chief}


def test_a_login_does_not_record_a_change_of_flags(client, editor):
    login(client, "editor")  # saves last_login only
    assert not events(Kind.STATUS_CHANGED)


def test_the_audit_trail_of_accounts_cannot_be_rewritten(editor):
    from tests import tampering

    event = AccountEvent.objects.first()
    with tampering.refused_by_the_database(), tampering.as_database_user() as cursor:
        cursor.execute("DELETE FROM stories_accountevent WHERE id = %s", [event.pk])


def test_axes_still_locks_out_repeated_failures(settings, editor):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="203.0.113.200")
    answers = [login(client, "editor", password="wrong").status_code for _ in range(3)]
    assert answers[-1] == 429
    assert login(client, "editor").status_code == 429


def test_an_address_that_is_not_one_is_not_recorded(settings, editor):
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    login(Client(HTTP_X_REAL_IP="not-an-address"), "editor")
    assert events(Kind.LOGIN, user=editor)[0].ip_address is None
