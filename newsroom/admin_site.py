"""The newsroom's admin site: Django's, with a second factor for whoever can change the
public record.

A password is all that would otherwise stand between an attacker and the front page.
Accounts that can publish, withdraw or (superusers) remove content for a legal reason
(``roles.changes_the_record``) need a second factor: a code from an authenticator app
(TOTP) or one of ten single-use recovery codes, through django-otp, the library the
Django ecosystem keeps for it. Where ``SECOND_FACTOR_REQUIRED`` is on (production, which
a system check holds to it), the admin lets such an account in only once its session
has passed the second factor: the login form asks for the code, and an account without
one is sent to set it up (an account's first setup needs its password only: set up new
editors' factors promptly). Elsewhere (a laptop, the demo) anyone may set one up at
``/admin/second-factor/``, and the login form checks the code of whoever has one.
Reporters, who only draft, log in with their password alone.

The login keeps django-axes in front of it (``AxesStandaloneBackend`` counts failed
passwords), and django-otp throttles wrong codes per device.
"""

from __future__ import annotations

import base64
import re

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stories import accounts
from stories.models import AccountEvent
from stories.roles import changes_the_record

#: How many recovery codes an account gets (each works once).
RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
_APP_CODE = re.compile(r"\d{6}")


def needs_second_factor(user) -> bool:
    """The admin asks this account for a second factor before letting it in."""
    return settings.SECOND_FACTOR_REQUIRED and changes_the_record(user)


def verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class SecondFactorLoginForm(AdminAuthenticationForm):
    """The admin's login: username, password, and for an account that has a second
    factor, its code (an authenticator app's six digits, or a recovery code)."""

    otp_token = forms.CharField(
        label="Code",
        required=False,
        max_length=16,
        help_text="From your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user):
            return cleaned
        code = "".join(self.cleaned_data.get("otp_token", "").split())
        if not code:
            raise forms.ValidationError(
                "This account has a second factor: enter the code from your authenticator "
                "app, or a recovery code.",
                code="token_required",
            )
        device, throttled = verify_code(user, code)
        if device is None:
            accounts.record(AccountEvent.Kind.SECOND_FACTOR_FAILED, user=user, request=self.request)
            raise forms.ValidationError(
                "Too many wrong codes: wait a few seconds, then try the newest one."
                if throttled
                else "That code is not right (or was used already). Try the newest one.",
                code="invalid_token",
            )
        user.otp_device = device  # django-otp marks the session verified on login
        return cleaned


def verify_code(user, code: str):
    """The device of ``user`` that accepts ``code`` (using up a recovery code), or
    ``None``, and whether a device was held back by django-otp's throttle of wrong
    codes. Six digits are an app's code; anything else is a recovery code."""
    kind = TOTPDevice if _APP_CODE.fullmatch(code) else StaticDevice
    throttled = False
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if not isinstance(device, kind):
                continue
            if not device.verify_is_allowed()[0]:
                throttled = True
            elif device.verify_token(code):
                return device, False
    return None, throttled


class EnrolmentForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app",
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class NewsroomAdminSite(admin.AdminSite):
    login_form = SecondFactorLoginForm
    login_template = "admin/newsroom_login.html"

    def has_permission(self, request):
        user = request.user
        if not super().has_permission(request):
            return False
        return not needs_second_factor(user) or verified(user)

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and needs_second_factor(user)
            and not user_has_device(user)
        ):
            return redirect("admin:second_factor")
        context = {
            **(extra_context or {}),
            "needs_code": user.is_authenticated and needs_second_factor(user),
        }
        return super().login(request, context)

    def get_urls(self):
        return [
            path("second-factor/", self.second_factor_view, name="second_factor"),
            *super().get_urls(),
        ]

    @method_decorator(csrf_protect)
    @method_decorator(never_cache)
    def second_factor_view(self, request):
        """Set up a second factor (an authenticator app and recovery codes), or see it."""
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        context = {
            **self.each_context(request),
            "title": "Two-factor authentication",
            "required": needs_second_factor(user),
            "has_device": user_has_device(user),
            "verified": verified(user),
        }
        if context["has_device"]:
            if request.method == "POST" and "new_codes" in request.POST and context["verified"]:
                context["codes"] = new_recovery_codes(user)
                accounts.record(AccountEvent.Kind.RECOVERY_CODES, user=user, request=request)
            context["codes_left"] = StaticToken.objects.filter(device__user=user).count()
            return TemplateResponse(request, "admin/second_factor.html", context)
        device = _pending_app(user)
        form = EnrolmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["otp_token"].strip()):
                device.confirmed = True
                device.save()
                context["codes"] = new_recovery_codes(user)
                otp_login(request, device)
                accounts.record(
                    AccountEvent.Kind.SECOND_FACTOR_ENROLLED, user=user, request=request
                )
                context.update(has_device=True, verified=True, codes_left=RECOVERY_CODES)
                return TemplateResponse(request, "admin/second_factor.html", context)
            form.add_error("otp_token", "That code is not right: try the newest one.")
        context.update(
            form=form,
            secret=_base32(device.bin_key),
            config_url=device.config_url,
            qr_code=_qr_code(device.config_url),
            next=request.GET.get(REDIRECT_FIELD_NAME, reverse("admin:index")),
        )
        return TemplateResponse(request, "admin/second_factor.html", context)


def _pending_app(user) -> TOTPDevice:
    """The account's authenticator app being set up (the same key until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def new_recovery_codes(user) -> list[str]:
    """Ten new single-use codes, replacing any the account had; shown once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _base32(key: bytes) -> str:
    secret = base64.b32encode(key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_code(url: str) -> str:
    """The provisioning address as a QR code, an SVG data URI (allowed by the admin's
    Content-Security-Policy: ``img-src data:``)."""
    return segno.make(url, error="m").svg_data_uri(scale=4)
