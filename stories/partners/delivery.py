"""Webhook delivery: the outbox written inside each publish, and the task that sends it.

1. **The outbox.** Inside the transaction that writes a version
   (``publishing.revision_recorded``) or removes a version's content
   (``removal.content_removal_recorded``), ``write_outbox`` adds one ``WebhookMessage``
   per active endpoint that wants the event. A publish that rolls back leaves none, so
   nothing is ever sent about it; once it commits, the messages are enqueued.
2. **The task** (django-tasks; ``make worker`` runs them): ``deliver`` claims attempt N
   of one message (a second worker holding the same task finds it claimed and does
   nothing), POSTs the payload signed by the Standard Webhooks specification
   (``standardwebhooks``: ``webhook-id``, the same on every attempt, ``webhook-timestamp``
   and ``webhook-signature``), and records the attempt. Only a 2xx answer delivers.
3. **Retries**: exponential backoff from 30 seconds, doubling up to 12 hours, each delay
   moved by up to a fifth either way (jitter, so endpoints that failed together do not
   retry together), ``MAX_ATTEMPTS`` attempts over about three days
   (``retry_schedule``); a ``Retry-After`` answer is honoured (up to 12 hours). A 410
   disables the endpoint at once; an endpoint failing for ``WEBHOOK_DISABLE_AFTER_DAYS``
   is disabled; either way its contact is told by email.
4. **The network**: requests go through ``requests-hardened`` (Saleor's SSRF filter for
   ``requests``), which resolves the host, refuses loopback, private, link-local and
   other internal addresses, and connects to the address it checked (so DNS cannot
   change between the check and the connection); redirects are never followed. Set
   ``NEWSROOM_WEBHOOKS_ALLOW_PRIVATE`` for development and tests only.

Messages left pending by a worker that died, or by a backend that cannot defer (the
immediate backend of development and tests), are sent by ``deliver_due`` (``manage.py
deliver_webhooks``, for cron).
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.http import parse_http_date_safe
from django_tasks import task
from requests_hardened import Config, Manager
from requests_hardened.ip_filter import InvalidIPAddress
from standardwebhooks import Webhook

from stories.models import Revision, WebhookAttempt, WebhookEndpoint, WebhookMessage

from . import endpoints, events

logger = logging.getLogger(__name__)

#: Attempts at one message before it is given up (about three days: ``retry_schedule``).
MAX_ATTEMPTS = 17
#: The first retry's delay, doubled for each later one up to ``MAX_DELAY``.
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=12)
#: Each delay is moved by up to this fraction either way.
JITTER = 0.2
#: A pending message this late is taken to be stranded (its task lost): ``deliver_due``.
STRANDED_AFTER = timedelta(minutes=5)
USER_AGENT = "Newsroom-Webhooks/1 (Standard Webhooks)"


# -- 1. the outbox -----------------------------------------------------------------------


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def write_outbox(event_type: str, revision: Revision, *, note: str | None = None) -> list[int]:
    """One message per active endpoint that wants ``event_type``, in the caller's
    transaction; enqueued once it commits. Returns the messages' ids."""
    now = timezone.now()
    body = events.payload(event_type, revision, now, note=note)
    wanting = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "event_types")
        if event_type in events.wanted(endpoint.event_types)
    ]
    messages = WebhookMessage.objects.bulk_create(
        WebhookMessage(
            webhook_id=new_webhook_id(),
            endpoint=endpoint,
            event_type=event_type,
            payload=body,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in wanting
    )
    ids = [message.pk for message in messages]
    if ids:
        # After the commit, never inside it: a partner hears only of what happened, and a
        # queue that cannot be reached cannot undo a publish (``deliver_due`` catches up).
        transaction.on_commit(lambda: enqueue(ids), robust=True)
    return ids


def on_revision_recorded(sender, story, revision, **kwargs):
    """Receiver of ``publishing.revision_recorded`` (inside the publish's transaction)."""
    write_outbox(events.EVENT_FOR_KIND[revision.kind], revision)


def on_content_removal_recorded(sender, story, revisions, public_note, **kwargs):
    """Receiver of ``removal.content_removal_recorded`` (inside the removal's transaction):
    one event per version whose content was removed, with the removal's note."""
    for revision in revisions:
        write_outbox(events.CONTENT_REMOVED, revision, note=public_note)


def enqueue(message_ids) -> None:
    for message_id, attempts in WebhookMessage.objects.filter(pk__in=list(message_ids)).values_list(
        "pk", "attempts"
    ):
        deliver.enqueue(message_id, attempts + 1)


# -- 2. one attempt ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one POST came to: a status code, or an error, and how long it took."""

    status_code: int | None = None
    error: str = ""
    retry_after: timedelta | None = None
    duration_ms: int = 0

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(
    message: WebhookMessage, body: str, at: datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of ``message``: one signature per signing secret."""
    at = (at or timezone.now()).astimezone(UTC)
    signatures = [
        Webhook(secret).sign(message.webhook_id, at, body)
        for secret in endpoints.signing_secrets(message.endpoint)
    ]
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def body_of(message: WebhookMessage) -> str:
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def http_session() -> requests.Session:
    """A ``requests`` session that refuses internal addresses after resolving them
    (unless ``WEBHOOKS_ALLOW_PRIVATE``) and never follows a redirect."""
    timeout = settings.WEBHOOK_TIMEOUT
    return Manager(
        Config(
            default_timeout=(timeout, timeout),
            never_redirect=True,
            ip_filter_enable=not settings.WEBHOOKS_ALLOW_PRIVATE,
            ip_filter_allow_loopback_ips=False,
            user_agent_override=USER_AGENT,
        )
    ).get_session()


def post(message: WebhookMessage) -> Answer:
    """POST ``message`` once. Never raises: a failure is an ``Answer`` with an error."""
    body = body_of(message)
    started = time.monotonic()
    try:
        # Streamed and closed unread: only the status and headers matter, and a receiver
        # that trickles a body cannot hold the worker.
        with (
            http_session() as session,
            session.post(
                message.endpoint.url,
                data=body.encode(),
                headers=signed_headers(message, body),
                stream=True,
                allow_redirects=False,
            ) as response,
        ):
            status, retry_after = response.status_code, response.headers.get("Retry-After")
    except InvalidIPAddress as error:
        return _failed(started, f"Refused: the address resolves to an internal address ({error}).")
    except requests.Timeout:
        return _failed(started, f"No answer within {settings.WEBHOOK_TIMEOUT} seconds.")
    except requests.ConnectionError as error:
        return _failed(started, f"Could not connect: {_first_line(error)}")
    except requests.RequestException as error:
        return _failed(started, f"Request failed: {_first_line(error)}")
    return Answer(
        status_code=status,
        retry_after=parse_retry_after(retry_after),
        duration_ms=_elapsed_ms(started),
    )


def _failed(started: float, error: str) -> Answer:
    return Answer(error=error[:500], duration_ms=_elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def parse_retry_after(value: str | None, now: float | None = None) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date (RFC 9110), else ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    when = parse_http_date_safe(value)
    if when is None:
        return None
    return timedelta(seconds=max(0, when - (now if now is not None else time.time())))


@task()
def deliver(message_id: int, attempt: int) -> str:
    """Attempt ``attempt`` of one message (background work: django-tasks)."""
    claimed = WebhookMessage.objects.filter(
        pk=message_id,
        status=WebhookMessage.Status.PENDING,
        attempts=attempt - 1,
        endpoint__active=True,
    ).update(attempts=attempt)
    if not claimed:
        return "nothing to do: delivered, given up, disabled or claimed by another worker"
    message = WebhookMessage.objects.select_related("endpoint").get(pk=message_id)
    answer = post(message)
    return record(message, attempt, answer)


def record(message: WebhookMessage, attempt: int, answer: Answer) -> str:
    """Write attempt ``attempt``'s outcome, and decide what follows."""
    now = timezone.now()
    endpoint = message.endpoint
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            number=attempt,
            attempted_at=now,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
        message.last_status_code = answer.status_code
        message.last_error = answer.error or (
            "" if answer.delivered else f"Answered {answer.status_code}."
        )
        if answer.delivered:
            message.status = WebhookMessage.Status.DELIVERED
            message.delivered_at = now
            message.next_attempt_at = None
            message.save()
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            return f"delivered ({answer.status_code})"
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        if answer.status_code == 410:
            message.status = WebhookMessage.Status.FAILED
            message.next_attempt_at = None
            message.save()
            _disable(endpoint, "it answered 410 Gone")
            return "gone: endpoint disabled"
        if attempt >= MAX_ATTEMPTS:
            message.status = WebhookMessage.Status.FAILED
            message.next_attempt_at = None
            message.save()
            logger.warning(
                "webhook %s to %s given up after %s attempts",
                message.webhook_id,
                endpoint.url,
                attempt,
            )
        else:
            delay = retry_delay(attempt, answer.retry_after)
            message.next_attempt_at = now + delay
            message.save()
            transaction.on_commit(lambda: _retry_later(message, attempt + 1), robust=True)
        failing_since = WebhookEndpoint.objects.values_list("failing_since", flat=True).get(
            pk=endpoint.pk
        )
        limit = timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
        if failing_since is not None and failing_since <= now - limit:
            _disable(
                endpoint, f"it has failed every delivery since {failing_since:%Y-%m-%d %H:%M} UTC"
            )
    return f"failed ({answer.status_code or answer.error})"


def _retry_later(message: WebhookMessage, attempt: int) -> None:
    if not deliver.get_backend().supports_defer:
        # The immediate backend (development, tests) cannot wait: ``deliver_due`` sends it.
        return
    deliver.using(run_after=message.next_attempt_at).enqueue(message.pk, attempt)


# -- 3. when to try again ------------------------------------------------------------------


def nominal_delay(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (1-based), before jitter."""
    return min(FIRST_DELAY * 2 ** (attempt - 1), MAX_DELAY)


def retry_schedule() -> list[timedelta]:
    """The nominal wait before each retry, in order (the docs' table)."""
    return [nominal_delay(attempt) for attempt in range(1, MAX_ATTEMPTS)]


def retry_delay(attempt: int, retry_after: timedelta | None = None, rng=random) -> timedelta:
    """The wait after failed attempt ``attempt``: the backoff with jitter, or the
    receiver's ``Retry-After`` when that is longer (at most ``MAX_DELAY``)."""
    delay = nominal_delay(attempt) * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_DELAY))
    return delay


# -- 4. disabling, telling, redelivering -----------------------------------------------------


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    if endpoints.disable(endpoint, reason=reason):
        logger.warning("webhook endpoint %s disabled: %s", endpoint.url, reason)
        if endpoint.contact:
            transaction.on_commit(lambda: tell_contact.enqueue(endpoint.pk), robust=True)


@task()
def tell_contact(endpoint_id: int) -> str:
    """Email an endpoint's contact that deliveries to it stopped, and why."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if endpoint.active or not endpoint.contact:
        return "nothing to tell"
    EmailMessage(
        subject=f"{settings.PUBLICATION_NAME}: webhooks to {endpoint.url} are stopped",
        body=(
            f"Deliveries of {settings.PUBLICATION_NAME}'s webhooks to\n\n    {endpoint.url}\n\n"
            f"were stopped on {endpoint.disabled_at:%Y-%m-%d %H:%M} UTC because "
            f"{endpoint.disabled_reason}.\n\nNothing more will be sent there. When the "
            "endpoint works again, ask us to enable it: the messages it missed can be "
            "sent again, with their original webhook-id, so your receiver can tell "
            "which it already has.\n"
        ),
        to=[endpoint.contact],
    ).send()
    return f"told {endpoint.contact}"


def redeliver(message: WebhookMessage, *, user=None) -> None:
    """Send ``message`` again (same ``webhook-id``), whatever became of it before."""
    if not message.endpoint.active:
        raise ValidationError("This endpoint is disabled: enable it before redelivering.")
    with transaction.atomic():
        locked = WebhookMessage.objects.select_for_update().get(pk=message.pk)
        locked.status = WebhookMessage.Status.PENDING
        locked.next_attempt_at = timezone.now()
        locked.save()
        attempt = locked.attempts + 1
        transaction.on_commit(lambda: deliver.enqueue(locked.pk, attempt), robust=True)
    logger.info("webhook %s redelivered by %s", message.webhook_id, user)


def deliver_due(*, now: datetime | None = None) -> int:
    """Send every pending message whose next attempt is overdue (stranded by a lost task
    or waiting on a backend that cannot defer). Returns how many it enqueued."""
    now = now or timezone.now()
    # With a worker that runs deferred tasks, a message is only overdue once its task
    # had time to run; without one (the immediate backend) it is due at its time.
    grace = STRANDED_AFTER if deliver.get_backend().supports_defer else timedelta(0)
    due = WebhookMessage.objects.filter(
        status=WebhookMessage.Status.PENDING,
        next_attempt_at__lte=now - grace,
        endpoint__active=True,
    ).values_list("pk", "attempts")
    count = 0
    for message_id, attempts in due:
        deliver.enqueue(message_id, attempts + 1)
        count += 1
    return count


# -- 5. health -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """An endpoint at a glance, for the admin (over the last ``HEALTH_WINDOW``)."""

    delivered: int
    failed: int
    pending: int
    last_delivered_at: datetime | None
    failing_since: datetime | None

    @property
    def summary(self) -> str:
        if self.failing_since:
            return f"failing since {self.failing_since:%Y-%m-%d %H:%M} UTC"
        return (
            "healthy"
            if self.delivered or not (self.failed or self.pending)
            else "not yet delivered"
        )


HEALTH_WINDOW = timedelta(days=7)


def health(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> Health:
    now = now or timezone.now()
    statuses = WebhookMessage.Status
    counts = WebhookMessage.objects.filter(
        endpoint=endpoint, created_at__gte=now - HEALTH_WINDOW
    ).aggregate(
        delivered=Count("pk", filter=Q(status=statuses.DELIVERED)),
        failed=Count("pk", filter=Q(status=statuses.FAILED)),
        pending=Count("pk", filter=Q(status=statuses.PENDING)),
        last=Max("delivered_at"),
    )
    return Health(
        delivered=counts["delivered"],
        failed=counts["failed"],
        pending=counts["pending"],
        last_delivered_at=counts["last"],
        failing_since=endpoint.failing_since,
    )
