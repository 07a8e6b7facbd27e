"""Webhooks (stories/partners/): every publishing path delivers exactly its events to a
real local HTTP receiver, signed so that ``standardwebhooks`` verifies them, after the
commit only; retries keep the ``webhook-id``; a 410 disables; internal addresses are
refused; nothing carries a draft or an internal reason."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from stories import editing, publishing, reporting
from stories.content.kinds import RevisionKind
from stories.models import Revision, Story, WebhookAttempt, WebhookEndpoint, WebhookMessage
from stories.partners import delivery, endpoints, events
from stories.record import removal
from tests.factories import CreditFactory, StoryFactory, UserFactory, approved
from tests.receiver import Receiver
from tests.tampering import owner_test

pytestmark = pytest.mark.django_db

SITE = "https://news.example"
SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """The receivers of these tests serve on 127.0.0.1: allowed here, as in development."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.PUBLICATION_URL = SITE


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(receiver):
    return endpoints.add_endpoint(
        url=receiver.url, name="Island Gazette", contact="dev@gazette.example"
    )


def verified(endpoint, received) -> dict:
    """The payload, after ``standardwebhooks`` verified its signature."""
    return Webhook(endpoint.secret).verify(received.body, received.headers)


def draft(**fields):
    story = StoryFactory(**fields)
    CreditFactory(story=story, contributor__name="Maria Ortiz")
    return story


def edit(story, editor, **changes):
    for name, value in changes.items():
        setattr(story, name, value)
    editing.save_story(story, user=editor, reason="Edited", expected_edit=story.edit_number)


# -- every publishing path ------------------------------------------------------------------


def test_a_correction_from_the_admin_delivers_one_signed_event(
    client_for, editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
    edit(story, editor, body="The council voted 4-3 on Tuesday.")
    receiver.received.clear()
    approved(story)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(editor).post(
            reverse("admin:stories_story_publish", args=[story.pk]),
            {
                "loaded_edit": story.edit_number,
                "kind": "correction",
                "public_note": "The vote was 4-3, not 5-2.",
                "internal_reason": "INTERNAL: the clerk called.",
            },
        )

    assert response.status_code == 302
    assert len(receiver.received) == 1
    received = receiver.received[0]
    payload = verified(endpoint, received)
    revision = story.revisions.get(number=2)
    assert payload == {
        "type": "story.corrected",
        "timestamp": payload["timestamp"],
        "data": {
            "story": str(story.public_id),
            "version": 2,
            "kind": "correction",
            "public_note": "The vote was 4-3, not 5-2.",
            "hash": revision.content_hash,
            "url": f"{SITE}/stories/{story.slug}/",
            "version_url": f"{SITE}/stories/{story.slug}/history/2/",
            "api_url": f"{SITE}/api/v1/stories/{story.public_id}",
            "version_api_url": f"{SITE}/api/v1/stories/{story.public_id}/versions/2",
        },
    }
    assert received.headers["webhook-id"].startswith("msg_")
    assert received.headers["content-type"] == "application/json"
    assert "INTERNAL" not in received.body.decode()
    message = WebhookMessage.objects.get(event_type="story.corrected")
    assert message.status == WebhookMessage.Status.DELIVERED
    assert message.log.get().status_code == 204


def test_the_import_command_delivers_the_versions_it_publishes(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_story",
            str(SAMPLES / "harbor-street-flooding.txt"),
            "--publish",
            stdout=StringIO(),
            stderr=StringIO(),
        )

    revisions = Revision.objects.order_by("number")
    expected = [events.EVENT_FOR_KIND[revision.kind] for revision in revisions]
    payloads = [verified(endpoint, received) for received in receiver.received]
    assert [payload["type"] for payload in payloads] == expected
    assert expected[0] == "story.published"
    assert [payload["data"]["version"] for payload in payloads] == [r.number for r in revisions]


def test_a_scheduled_publish_delivers_when_it_goes_live(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(minutes=5))
    assert receiver.received == []

    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish_due(user=editor, now=timezone.now() + timedelta(minutes=6))

    [received] = receiver.received
    assert verified(endpoint, received)["type"] == "story.published"


def test_a_correction_from_reader_reports_delivers_one_event(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
    report = reporting.submit_report(story.slug, seen_number=1, description="The vote was 4-3.")
    edit(story, editor, body="The council voted 4-3 on Tuesday.")

    with django_capture_on_commit_callbacks(execute=True):
        reporting.publish_from_reports(
            approved(story),
            [report],
            user=editor,
            kind=RevisionKind.CORRECTION,
            public_note="The vote was 4-3.",
        )

    types = [verified(endpoint, received)["type"] for received in receiver.received]
    assert types == ["story.published", "story.corrected"]


def test_each_kind_makes_its_event_and_minor_edits_only_when_asked(
    editor, receiver, django_capture_on_commit_callbacks
):
    everything = endpoints.add_endpoint(url=receiver.url, event_types=events.EVENT_TYPES)
    default = endpoints.add_endpoint(url=receiver.url)
    story = draft()
    kinds = [
        RevisionKind.UPDATE,
        RevisionKind.CLARIFICATION,
        RevisionKind.EDITORS_NOTE,
        RevisionKind.MINOR,
    ]
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
        for number, kind in enumerate(kinds, start=2):
            edit(story, editor, dek=f"Change {number}.")
            publishing.publish(
                approved(story),
                user=editor,
                kind=kind,
                public_note=f"Note {number}.",
                internal_reason="Typo.",
            )
        publishing.withdraw(
            approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn."
        )

    def types(endpoint):
        return list(
            WebhookMessage.objects.filter(endpoint=endpoint)
            .order_by("pk")
            .values_list("event_type", flat=True)
        )

    expected = [
        "story.published", "story.updated", "story.clarified", "story.editors_note",
        "story.minor_edit", "story.withdrawn",
    ]  # fmt: skip
    assert types(everything) == expected
    assert types(default) == [event for event in expected if event != "story.minor_edit"]
    assert len(receiver.received) == 11
    assert all(message.status == "delivered" for message in WebhookMessage.objects.all())


@owner_test
def test_a_legal_removal_delivers_version_content_removed(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    publishing.publish(approved(story), user=editor)
    edit(story, editor, body="Corrected text.")
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="Fixed."
    )
    boss = UserFactory(username="boss", is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        removal.remove_content(
            story,
            [1],
            user=boss,
            public_note="Removed by court order.",
            internal_reason="Order 12/34",
        )

    [message] = WebhookMessage.objects.filter(event_type=events.CONTENT_REMOVED)
    data = verified(endpoint, receiver.received[-1])["data"]
    assert message.status == "delivered"
    assert (data["version"], data["public_note"]) == (1, "Removed by court order.")
    assert "Order 12/34" not in receiver.received[-1].body.decode()


# -- only after the commit, and nothing private -----------------------------------------------


def test_a_rolled_back_publish_sends_nothing(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publishing.publish(approved(story), user=editor)
        raise RuntimeError("the publish's transaction fails after the revision was written")

    assert receiver.received == []
    assert WebhookMessage.objects.count() == 0
    assert not Story.objects.get(pk=story.pk).has_published_version


def test_nothing_is_sent_before_the_commit(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publishing.publish(approved(story), user=editor)
        assert receiver.received == []
        assert WebhookMessage.objects.get().attempts == 0
    for callback in callbacks:
        callback()
    assert len(receiver.received) == 1


def test_no_event_carries_draft_text_or_an_internal_reason(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    story = draft(body="Published SENTENCE.")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
        edit(story, editor, body="Published SENTENCE. DRAFT-ONLY line.", headline="DRAFT headline")
        edit(story, editor, body="Published SENTENCE, fixed.", headline="Published headline")
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.MINOR, internal_reason="SECRET reason"
        )
        edit(story, editor, body="UNPUBLISHED draft text.")
        publishing.withdraw(
            approved(story, purpose="withdraw"),
            user=editor,
            public_note="Withdrawn.",
            internal_reason="SECRET legal advice",
        )

    bodies = " ".join(received.body.decode() for received in receiver.received)
    for private in ("DRAFT", "SECRET", "UNPUBLISHED", "SENTENCE", editor.username):
        assert private not in bodies
    assert len(receiver.received) == 2  # published and withdrawn: minor edits are off by default


# -- retries, 410, failing endpoints ---------------------------------------------------------


def test_a_receiver_that_fails_twice_then_succeeds_gets_one_webhook_id_three_times(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    receiver.answers = [(500, {}), (503, {"Retry-After": "120"})]
    story = draft()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
    message = WebhookMessage.objects.get()
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    waited = message.next_attempt_at - message.log.get().attempted_at
    assert timedelta(seconds=24) <= waited <= timedelta(seconds=36)  # 30 s, give or take a fifth

    # The worker's deferred retries, as ``deliver_due`` catches up with them here.
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due(now=timezone.now() + timedelta(minutes=1))
    message.refresh_from_db()
    assert message.last_status_code == 503
    honoured = message.next_attempt_at - message.log.first().attempted_at
    assert timedelta(seconds=119) <= honoured <= timedelta(seconds=121)  # Retry-After: 120
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.deliver_due(now=timezone.now()) == 0  # not due yet
        delivery.deliver_due(now=timezone.now() + timedelta(minutes=3))

    ids = [received.headers["webhook-id"] for received in receiver.received]
    assert ids == [message.webhook_id] * 3
    assert [verified(endpoint, received)["data"]["version"] for received in receiver.received] == [
        1,
        1,
        1,
    ]
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(message.log.order_by("number").values_list("number", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 204),
    ]
    assert WebhookEndpoint.objects.get().failing_since is None


def test_the_database_backend_defers_a_retry_to_the_worker(transactional_db, editor, settings):
    """Production's backend: a failed attempt enqueues the next with ``run_after``; the
    worker (``make worker``) runs it when it is due, with the same webhook-id."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    with Receiver(answers=[(500, {})]) as running:
        endpoint = endpoints.add_endpoint(url=running.url)
        publishing.publish(
            approved(draft()), user=UserFactory(username="ed", permissions=["publish_story"])
        )
        assert running.received == []  # enqueued after the commit, sent by the worker
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        assert len(running.received) == 1
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after > timezone.now() + timedelta(seconds=20)
        assert retry.args_kwargs["args"][1] == 2
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert len(running.received) == 2
    assert len({received.headers["webhook-id"] for received in running.received}) == 1
    assert WebhookMessage.objects.get().status == "delivered"
    assert endpoint.pk


def test_a_410_disables_the_endpoint_and_tells_its_contact(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    receiver.answers = [(410, {})]
    story = draft()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        edit(story, editor, dek="Later.")
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="More."
        )

    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "410" in endpoint.disabled_reason
    assert len(receiver.received) == 1  # nothing more is sent to a disabled endpoint
    assert WebhookMessage.objects.count() == 1
    assert [message.to for message in mail.outbox] == [["dev@gazette.example"]]
    assert endpoint.url in mail.outbox[0].body
    with pytest.raises(ValidationError):
        delivery.redeliver(WebhookMessage.objects.get())


def test_an_endpoint_failing_for_days_is_disabled(
    editor, receiver, endpoint, django_capture_on_commit_callbacks, settings
):
    receiver.answers = [(500, {})] * 3
    story = draft()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(story), user=editor)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now()
        - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS, minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due(now=timezone.now() + timedelta(minutes=5))

    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "failed every delivery since" in endpoint.disabled_reason
    assert WebhookMessage.objects.get().status == "failed"
    assert len(mail.outbox) == 1


def test_a_message_is_given_up_after_about_three_days(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    total = sum(delivery.retry_schedule(), timedelta())
    assert timedelta(days=2.5) < total < timedelta(days=3.5)
    assert delivery.retry_schedule()[:3] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
    ]
    assert max(delivery.retry_schedule()) == timedelta(hours=12)
    receiver.answers = [(500, {})] * delivery.MAX_ATTEMPTS
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)
        for _ in range(delivery.MAX_ATTEMPTS):
            WebhookEndpoint.objects.update(failing_since=timezone.now())
            delivery.deliver_due(now=timezone.now() + timedelta(days=1))
    message = WebhookMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert len(receiver.received) == delivery.MAX_ATTEMPTS


def test_jitter_and_retry_after_shape_the_wait():
    class Fixed:
        def __init__(self, value):
            self.value = value

        def uniform(self, low, high):
            return low if self.value == "low" else high

    assert delivery.retry_delay(3, rng=Fixed("low")) == timedelta(minutes=2) * 0.8
    assert delivery.retry_delay(3, rng=Fixed("high")) == timedelta(minutes=2) * 1.2
    assert delivery.retry_delay(1, timedelta(hours=1), rng=Fixed("low")) == timedelta(hours=1)
    assert delivery.retry_delay(1, timedelta(days=9), rng=Fixed("low")) == delivery.MAX_DELAY
    assert delivery.parse_retry_after("120") == timedelta(seconds=120)
    assert delivery.parse_retry_after(
        "Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60
    ) == timedelta(seconds=60)
    assert delivery.parse_retry_after("soon") is None


def test_redeliver_sends_the_same_message_again(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)
    message = WebhookMessage.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        delivery.redeliver(message, user=editor)

    assert [received.headers["webhook-id"] for received in receiver.received] == [
        message.webhook_id
    ] * 2
    assert receiver.received[0].body == receiver.received[1].body
    assert WebhookAttempt.objects.filter(message=message).count() == 2


def test_deliver_webhooks_sends_what_is_overdue(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    receiver.answers = [(502, {})]
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)
    out = StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue().strip() == "0 webhook message(s) sent for delivery."  # not due yet

    WebhookMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deliver_webhooks", stdout=out)
    assert "1 webhook message(s) sent for delivery." in out.getvalue()
    assert WebhookMessage.objects.get().status == "delivered"


# -- signatures and secrets --------------------------------------------------------------------


def test_a_rotated_secret_keeps_the_old_one_valid_for_the_overlap(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    old = endpoint.secret
    new = endpoints.rotate_secret(endpoint, user=editor)
    assert new.startswith("whsec_") and new != old

    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)

    received = receiver.received[0]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(received.body, received.headers)
    Webhook(new).verify(received.body, received.headers)
    endpoint.refresh_from_db()
    later = endpoint.previous_secret_until + timedelta(seconds=1)
    assert endpoints.signing_secrets(endpoint, now=later) == [new]


def test_a_signature_made_with_another_secret_fails(
    editor, receiver, endpoint, django_capture_on_commit_callbacks
):
    from standardwebhooks.webhooks import WebhookVerificationError

    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoints.new_secret()).verify(
            receiver.received[0].body, receiver.received[0].headers
        )
    tampered = receiver.received[0].body.replace(b'"version":1', b'"version":2')
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, receiver.received[0].headers)


# -- server-side request forgery ----------------------------------------------------------------


def test_deliveries_to_internal_addresses_are_refused_after_resolution(
    editor, receiver, settings, django_capture_on_commit_callbacks
):
    endpoint = endpoints.add_endpoint(url=receiver.url)
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as in production

    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)

    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "internal address" in attempt.error
    assert endpoint.pk


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://192.168.0.10/hook",
    ],
)
def test_internal_addresses_are_refused_when_an_endpoint_is_added(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        endpoints.add_endpoint(url=url)
    assert "private or internal" in refused.value.message_dict["url"][0]


@pytest.mark.parametrize(
    ("url", "events_named", "field"),
    [
        ("ftp://example.com/hook", (), "url"),
        ("https://user:pw@example.com/hook", (), "url"),
        ("https://example.com/hook", ("story.deleted",), "event_types"),
    ],
)
def test_bad_endpoints_are_refused_naming_the_field(url, events_named, field):
    with pytest.raises(ValidationError) as refused:
        endpoints.add_endpoint(url=url, event_types=events_named)
    assert field in refused.value.message_dict


# -- the command ---------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("webhook_endpoint", *args, stdout=out)
    return out.getvalue()


def test_the_webhook_endpoint_command(receiver, editor, django_capture_on_commit_callbacks):
    added = run(
        "add",
        receiver.url,
        "--events",
        "story.corrected",
        "story.withdrawn",
        "--name",
        "Gazette",
        "--contact",
        "ops@gazette.example",
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in added  # printed once, to hand to the partner
    assert endpoint.event_types == ["story.corrected", "story.withdrawn"]

    listed = run("list")
    assert receiver.url in listed and "story.corrected" in listed
    assert endpoint.secret not in listed

    rotated = run("rotate-secret", str(endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated and endpoint.previous_secret

    run("disable", str(endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.active is False
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(approved(draft()), user=editor)
    assert receiver.received == []

    from django.core.management import CommandError

    with pytest.raises(CommandError, match="event_types"):
        run("add", receiver.url, "--events", "story.exploded")
    with pytest.raises(CommandError, match="no webhook endpoint 999"):
        run("disable", "999")
