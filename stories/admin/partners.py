"""Partners: API keys, webhook endpoints and the delivery log.

Thin, as the rest of the admin: keys are made and revoked by ``stories.partners.keys``,
endpoints added, disabled, enabled and given new secrets by
``stories.partners.endpoints``, messages redelivered by ``stories.partners.delivery``.
A new key and a new signing secret are shown once, on the page that made them, and
never stored where the admin could show them again (a key) or shown again (a secret).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from stories.models import PartnerKey, WebhookAttempt, WebhookEndpoint, WebhookMessage
from stories.partners import delivery, endpoints, events, keys

from .base import numeric_id


def shown_once(request, admin_site, *, title: str, label: str, secret: str, back: str, note: str):
    """The one page that shows a new key or secret (never cached)."""
    context = {
        **admin_site.each_context(request),
        "title": title,
        "label": label,
        "secret": secret,
        "back": back,
        "note": note,
    }
    response = TemplateResponse(request, "admin/stories/shown_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


# -- partner keys -------------------------------------------------------------------------


class PartnerKeyForm(forms.ModelForm):
    class Meta:
        model = PartnerKey
        fields = ["name", "contact"]


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    form = PartnerKeyForm
    list_display = ["name", "prefix", "contact", "created_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact", "prefix"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the record says who had a key

    @admin.display(description="State")
    def state(self, key):
        return "active" if key.is_active else f"revoked {key.revoked_at:%Y-%m-%d}"

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            obj._change_reason = "Name or contact changed"
            obj.save()
            return
        made, raw = keys.create_key(name=obj.name, contact=obj.contact, user=request.user)
        obj.pk, obj.prefix, obj.created_at = made.pk, made.prefix, made.created_at
        request._shown_once = raw

    def response_add(self, request, obj, post_url_continue=None):
        return shown_once(
            request,
            self.admin_site,
            title=f"API key for {obj.name}",
            label="Partner API key",
            secret=request._shown_once,
            back=reverse("admin:stories_partnerkey_changelist"),
            note="Give it to the partner now: it is stored as a hash and cannot be shown "
            "again. They send it as “Authorization: Bearer <key>”.",
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(keys.revoke(key, user=request.user) for key in queryset)
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)


# -- webhook endpoints -----------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(event, event) for event in events.EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event but story.minor_edit.",
    )

    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text="An https:// address that accepts POST.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "contact", "event_types"]

    def clean(self):
        data = super().clean()
        problems = endpoints.endpoint_errors(
            data.get("url", ""), data.get("event_types", []), data.get("contact", "")
        )
        for field, message in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "events", "health", "deliveries"]
    list_filter = ["active"]
    search_fields = ["name", "url", "contact"]
    readonly_fields = ["health", "deliveries", "created_at", "disabled_at", "disabled_reason"]
    actions = ["disable", "enable", "rotate_secret"]

    def has_delete_permission(self, request, obj=None):
        return False  # disabled, never deleted: its delivery log stays

    @admin.display(description="Events")
    def events(self, endpoint):
        return ", ".join(events.wanted(endpoint.event_types))

    @admin.display(description="Health (7 days)")
    def health(self, endpoint):
        found = delivery.health(endpoint)
        last = (
            f"; last delivery {found.last_delivered_at:%Y-%m-%d %H:%M}"
            if found.last_delivered_at
            else ""
        )
        return (
            f"{found.summary}: {found.delivered} delivered, {found.failed} failed, "
            f"{found.pending} pending{last}"
        )

    @admin.display(description="Delivery log")
    def deliveries(self, endpoint):
        url = reverse("admin:stories_webhookmessage_changelist")
        return format_html('<a href="{}?endpoint__id__exact={}">Messages</a>', url, endpoint.pk)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            obj.event_types = sorted(data["event_types"])
            obj._history_user = request.user
            obj._change_reason = "Endpoint changed"
            obj.save()
            return
        added = endpoints.add_endpoint(
            url=data["url"],
            name=data["name"],
            event_types=data["event_types"],
            contact=data["contact"],
            user=request.user,
        )
        obj.pk = added.pk
        request._shown_once = added.secret

    def response_add(self, request, obj, post_url_continue=None):
        return shown_once(
            request,
            self.admin_site,
            title=f"Webhook endpoint {obj.url}",
            label="Signing secret",
            secret=request._shown_once,
            back=reverse("admin:stories_webhookendpoint_change", args=[obj.pk]),
            note="Give it to the partner now: their receiver verifies each message with it "
            "(Standard Webhooks). It is not shown again; rotate it to make a new one.",
        )

    @admin.action(description="Disable the selected endpoints", permissions=["change"])
    def disable(self, request, queryset):
        done = sum(
            endpoints.disable(
                endpoint, reason=f"disabled by {request.user.get_username()}", user=request.user
            )
            for endpoint in queryset
        )
        self.message_user(request, f"{done} endpoint(s) disabled.", messages.SUCCESS)

    @admin.action(description="Enable the selected endpoints", permissions=["change"])
    def enable(self, request, queryset):
        done = sum(endpoints.enable(endpoint, user=request.user) for endpoint in queryset)
        self.message_user(request, f"{done} endpoint(s) enabled.", messages.SUCCESS)

    @admin.action(description="Rotate the signing secret (one endpoint)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint's secret at a time.", messages.ERROR)
            return None
        endpoint = queryset.get()
        secret = endpoints.rotate_secret(endpoint, user=request.user)
        return shown_once(
            request,
            self.admin_site,
            title=f"New signing secret for {endpoint.url}",
            label="Signing secret",
            secret=secret,
            back=reverse("admin:stories_webhookendpoint_change", args=[endpoint.pk]),
            note=f"The previous secret keeps signing until "
            f"{endpoint.previous_secret_until:%Y-%m-%d %H:%M} UTC (each message carries both "
            "signatures until then): give the partner the new one before.",
        )


# -- the delivery log ---------------------------------------------------------------------------


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "attempted_at", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["number"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "endpoint", "event_type", "version", "status", "attempts",
        "last_status_code", "delivered_at",
    ]  # fmt: skip
    list_filter = ["status", "event_type", ("endpoint", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["endpoint"]
    search_fields = ["webhook_id", "endpoint__url", "endpoint__name"]
    date_hierarchy = "created_at"
    fields = [
        "webhook_id", "endpoint", "event_type", "status", "attempts", "next_attempt_at",
        "delivered_at", "last_status_code", "last_error", "created_at", "payload",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    change_form_template = "admin/stories/webhookmessage/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Story, version")
    def version(self, message):
        data = message.payload.get("data", {})
        return f"{data.get('story', '')[:8]}…, {data.get('version', '')}"

    def get_urls(self):
        redeliver = self.admin_site.admin_view(self.redeliver_view)
        return [
            path("<path:object_id>/redeliver/", redeliver, name="stories_webhookmessage_redeliver"),
            *super().get_urls(),
        ]

    def redeliver_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        message = get_object_or_404(WebhookMessage, pk=numeric_id(object_id))
        self._redeliver(request, [message])
        return HttpResponseRedirect(
            reverse("admin:stories_webhookmessage_change", args=[message.pk])
        )

    @admin.action(description="Redeliver the selected messages", permissions=["change"])
    def redeliver(self, request, queryset):
        self._redeliver(request, queryset.select_related("endpoint"))

    def _redeliver(self, request, found):
        sent = 0
        for message in found:
            try:
                delivery.redeliver(message, user=request.user)
                sent += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{message.webhook_id}: {' '.join(error.messages)}", messages.ERROR
                )
        if sent:
            self.message_user(
                request, f"{sent} message(s) sent again, with their webhook-id.", messages.SUCCESS
            )
