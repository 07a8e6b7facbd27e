"""Partners in the admin: keys and signing secrets shown once, endpoints checked and
kept, the delivery log with every attempt, per-endpoint health and a redeliver button."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from stories import publishing
from stories.models import PartnerKey, WebhookEndpoint, WebhookMessage
from stories.partners import endpoints, keys
from tests.factories import StoryFactory, UserFactory, approved
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(username="chief", is_superuser=True)


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


def shown(response) -> str:
    return re.search(r'<code class="shown-once">([^<]+)</code>', response.content.decode()).group(1)


def test_a_key_is_made_in_the_admin_shown_once_and_revoked(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:stories_partnerkey_add"),
        {"name": "Coastal Ledger app", "contact": "apps@ledger.example"},
    )

    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    raw = shown(response)
    key = PartnerKey.objects.get()
    assert keys.authenticate(raw) == key
    assert key.history.get().history_user == admin_user
    for page in (
        reverse("admin:stories_partnerkey_changelist"),
        reverse("admin:stories_partnerkey_change", args=[key.pk]),
    ):
        assert raw not in admin_client.get(page).content.decode()

    admin_client.post(
        reverse("admin:stories_partnerkey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert keys.authenticate(raw) is None


def test_an_endpoint_is_added_in_the_admin_and_its_secret_shown_once(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    refused = admin_client.post(
        reverse("admin:stories_webhookendpoint_add"),
        {"name": "Sneaky", "url": "http://169.254.169.254/latest/", "contact": ""},
    )
    assert refused.status_code == 200
    assert "private or internal" in refused.content.decode()
    assert WebhookEndpoint.objects.count() == 0

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    response = admin_client.post(
        reverse("admin:stories_webhookendpoint_add"),
        {
            "name": "Island Gazette",
            "url": "http://127.0.0.1:9/hooks",
            "contact": "dev@gazette.example",
            "event_types": ["story.corrected", "story.withdrawn"],
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert shown(response) == endpoint.secret
    assert endpoint.event_types == ["story.corrected", "story.withdrawn"]
    change = admin_client.get(reverse("admin:stories_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()

    rotated = admin_client.post(
        reverse("admin:stories_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert shown(rotated) == endpoint.secret


def test_the_delivery_log_shows_attempts_health_and_redelivers(
    admin_client, editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver(answers=[(500, {})]) as receiver:
        endpoint = endpoints.add_endpoint(url=receiver.url, name="Gazette")
        with django_capture_on_commit_callbacks(execute=True):
            publishing.publish(approved(StoryFactory()), user=editor)
        message = WebhookMessage.objects.get()

        listing = admin_client.get(
            reverse("admin:stories_webhookendpoint_changelist")
        ).content.decode()
        assert "failing since" in listing and "0 delivered, 0 failed, 1 pending" in listing
        page = admin_client.get(reverse("admin:stories_webhookmessage_change", args=[message.pk]))
        assert "500" in page.content.decode()
        assert "Redeliver (same webhook-id)" in page.content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:stories_webhookmessage_redeliver", args=[message.pk])
            )
        assert response.status_code == 302
        assert [r.headers["webhook-id"] for r in receiver.received] == [message.webhook_id] * 2

    message.refresh_from_db()
    assert message.status == "delivered"
    assert (
        admin_client.get(
            reverse("admin:stories_webhookmessage_redeliver", args=[message.pk])
        ).status_code
        == 405
    )
    healthy = admin_client.get(reverse("admin:stories_webhookendpoint_changelist")).content.decode()
    assert "healthy: 1 delivered" in healthy
    assert endpoint.pk


def test_editors_without_the_permissions_see_no_partners(client_for, editor):
    client = client_for(editor)
    assert client.get(reverse("admin:stories_partnerkey_changelist")).status_code == 403
    assert client.get(reverse("admin:stories_webhookmessage_changelist")).status_code == 403
