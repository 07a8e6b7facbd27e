"""Reader reports: the one way to receive, triage and resolve them, and to tell readers.

The loop, end to end:

1. ``submit_report``: a reader reports an error in the version of a live story they
   were reading (the reader site's form calls it).
2. ``change_report``: the corrections desk triages it in the admin (status, assignee,
   internal notes); every change is in the report's audit trail with user and reason.
3. ``publish_from_reports``: an editor publishes a correction, clarification or update
   from one or more reports. The publish and the resolution of every linked report are
   one transaction; once it commits, ``send_reply`` is enqueued (django-tasks) for each
   reader who asked to hear back, one message per address.
4. ``send_desk_digest``: new reports reach the desk's address as one digest (a command
   run from cron), not one email each.
5. ``forget_reader_contacts``: a reader's name and email are erased once the report is
   closed and ``REPORT_CONTACT_RETENTION_DAYS`` have passed (a command run from cron).

A reply that cannot be sent is retried by the worker and never holds up or undoes the
publish: the email is background work, enqueued only after the publish has committed.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from stories.content.kinds import RevisionKind
from stories.models import Revision, Story
from stories.models.reader_reports import OPEN_STATUSES, ErrorReport, ReportStatus

from . import addresses, audit, publishing
from .roles import CHANGE_REPORT, require_permission

logger = logging.getLogger(__name__)

#: Kinds of change an editor may publish from a report: each tells readers what changed.
REPORT_KINDS = (RevisionKind.CORRECTION, RevisionKind.CLARIFICATION, RevisionKind.UPDATE)
#: Attempts at emailing a reader before the worker gives up, and the wait before each retry.
REPLY_ATTEMPTS = 5
REPLY_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))

#: Reasons recorded in a report's audit trail by the service itself.
RECEIVED = "Received from a reader"
REPLY_SENT = "Reader emailed: the correction was published"
LISTED_IN_DIGEST = "Listed in the desk's digest"
CONTACT_ERASED = "Reader's name and email erased: the retention period is over"
#: Time the reply to a just-resolved report has to be sent (with its retries) before the
#: address it goes to may be erased.
REPLY_WINDOW = timedelta(days=1)

#: Line breaks and tabs a reader may type in a text box; every other control character
#: (and the invisible format characters that can disguise text) is refused.
ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def control_characters(text: str) -> list[str]:
    """The control and format characters in ``text`` that a reader should never send."""
    return [
        char
        for char in text
        if char not in ALLOWED_CONTROLS and unicodedata.category(char) in ("Cc", "Cf", "Cs")
    ]


# -- 1. receiving ----------------------------------------------------------------------


def submit_report(
    slug: str,
    *,
    seen_number: int,
    description: str,
    passage: str = "",
    name: str = "",
    email: str = "",
    wants_reply: bool = False,
) -> ErrorReport:
    """Record a reader's report about version ``seen_number`` of the live story ``slug``.

    Raises ``ValidationError`` (keyed by form field) when the story is not readable or
    the version does not exist. The email address is kept only if the reader agreed to
    be told what came of the report.
    """
    errors = {}
    for field_name, value in (("description", description), ("passage", passage), ("name", name)):
        if control_characters(value):
            errors[field_name] = "This text contains control characters; please type it again."
    if not description.strip():
        errors["description"] = "Tell us what is wrong."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        story = Story.objects.public().filter(slug=slug).first()
        if story is None:
            raise ValidationError("This story is no longer published; it cannot be reported.")
        seen = Revision.objects.filter(story=story, number=seen_number).first()
        if seen is None:
            raise ValidationError({"version": "This story has no such version."})
        report = ErrorReport(
            story=story,
            seen_revision=seen,
            description=description.strip(),
            passage=passage.strip(),
            reporter_name=name.strip() if wants_reply else "",
            reporter_email=email.strip() if wants_reply else "",
            wants_reply=bool(wants_reply and email.strip()),
        )
        report.full_clean()
        _save(report, audit.system_user(), RECEIVED)
    logger.info("reader report %s received about %s version %s", report.pk, story.slug, seen_number)
    return report


# -- 2. triage -------------------------------------------------------------------------

#: What the desk may change on a report, with how the audit trail names it.
TRIAGE_FIELDS = {"status": "status", "assignee": "assignee", "internal_notes": "internal notes"}


def change_report(report: ErrorReport, *, user, reason: str = "", **changes) -> bool:
    """Change a report's status, assignee or internal notes (``changes``), as ``user``.

    Every change is one history row naming the user and the reason (the reason given,
    else a summary of what changed). Returns whether anything changed.
    """
    require_permission(user, CHANGE_REPORT)
    unknown = set(changes) - set(TRIAGE_FIELDS)
    if unknown:
        raise ValueError(f"reports cannot be changed here: {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in ReportStatus.values:
        raise ValidationError({"status": f"“{changes['status']}” is not a report status."})
    with transaction.atomic():
        locked = ErrorReport.objects.select_for_update().get(pk=report.pk)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        if not changed:
            return False
        summary = "; ".join(_describe(locked, name, changes[name]) for name in changed)
        for name in changed:
            setattr(locked, name, changes[name])
        locked.full_clean()
        _save(locked, user, f"{reason.strip()} ({summary})" if reason.strip() else summary)
    for name in changed:
        setattr(report, name, getattr(locked, name))
    return True


def _describe(report: ErrorReport, name: str, new) -> str:
    if name == "status":
        return f"status: {report.get_status_display()} → {ReportStatus(new).label}"
    if name == "assignee":
        return f"assignee: {audit.display_name(new) if new else 'nobody'}"
    return f"{TRIAGE_FIELDS[name]} edited"


# -- 3. resolving, by publishing -------------------------------------------------------


def open_reports(story: Story):
    """The story's reports still waiting for the desk, oldest first."""
    return ErrorReport.objects.open().filter(story=story).order_by("received_at", "pk")


def publish_from_reports(
    story: Story,
    reports,
    *,
    user,
    kind: str | None,
    public_note: str = "",
    internal_reason: str = "",
    expected_edit: int | None = None,
    review_bypass: str = "",
) -> Revision:
    """Publish the working copy as a correction, clarification or update answering
    ``reports``, and resolve them all, in one transaction.

    The publish follows every rule of ``publishing.publish`` (its errors come back as
    they are). Once it commits, each reader who asked to hear back is sent one email.
    """
    require_permission(user, CHANGE_REPORT)
    if kind not in REPORT_KINDS:
        raise ValidationError(
            {"kind": "From a reader report, publish a correction, a clarification or an update."}
        )
    ids = sorted({report.pk for report in reports})
    if not ids:
        raise ValidationError({"reports": "Choose the reports this change answers."})
    with transaction.atomic():
        locked = list(
            ErrorReport.objects.select_for_update().filter(pk__in=ids, story=story).order_by("pk")
        )
        if len(locked) != len(ids) or any(not report.is_open for report in locked):
            raise ValidationError(
                {
                    "reports": "Some of these reports were resolved meanwhile, or are about another story."
                }
            )
        revision = publishing.publish(
            story,
            user=user,
            kind=kind,
            public_note=public_note,
            internal_reason=internal_reason,
            expected_edit=expected_edit,
            review_bypass=review_bypass,
        )
        reason = f"Resolved by version {revision.number} ({revision.get_kind_display().lower()})"
        for report in locked:
            report.status = ReportStatus.CORRECTED
            report.resolved_by = revision
            report.resolved_at = revision.published_at
            _save(report, user, reason)
        site_root = addresses.site_root()
        # After the commit, never inside it: a reader is told only of a publish that
        # happened, and a queue that cannot be reached cannot undo it (robust).
        transaction.on_commit(lambda: enqueue_replies(revision.pk, site_root), robust=True)
    logger.info("version %s of %s resolves reports %s", revision.number, story.slug, ids)
    return revision


def enqueue_replies(revision_id: int, site_root: str) -> int:
    """Enqueue one ``send_reply`` per reader address that asked to hear about
    ``revision_id``; returns how many. Two reports from one address make one email."""
    pending = ErrorReport.objects.filter(
        resolved_by_id=revision_id, wants_reply=True, reply_sent_at__isnull=True
    ).exclude(reporter_email="")
    by_address: dict[str, list[int]] = {}
    for pk, email in pending.order_by("pk").values_list("pk", "reporter_email"):
        by_address.setdefault(email.strip().lower(), []).append(pk)
    for report_ids in by_address.values():
        send_reply.enqueue(report_ids, site_root)
    return len(by_address)


@task()
def send_reply(report_ids: list[int], site_root: str, attempt: int = 1) -> str:
    """Email one reader what came of their report(s): the public note, the story and
    the comparison showing the change. Background work (django-tasks).

    Sent once: reports already told are skipped, and they are marked as told only after
    the mail server accepted the message. On failure the task is enqueued again, later,
    up to ``REPLY_ATTEMPTS`` times (when the backend can run tasks later), and the error
    is raised so the worker records it.
    """
    reports = list(
        ErrorReport.objects.filter(pk__in=report_ids, wants_reply=True, reply_sent_at__isnull=True)
        .exclude(reporter_email="")
        .select_related("story", "resolved_by")
        .order_by("pk")
    )
    if not reports or reports[0].resolved_by is None:
        return "nothing to send"
    message = reply_message(reports, site_root)
    try:
        message.send()
    except Exception:
        _retry_later(report_ids, site_root, attempt)
        raise
    with transaction.atomic():
        system = audit.system_user()
        now = timezone.now()
        for report in reports:
            report.reply_sent_at = now
            _save(report, system, REPLY_SENT)
    return f"sent to {len(message.to)} reader"


def _retry_later(report_ids: list[int], site_root: str, attempt: int) -> None:
    backend = send_reply.get_backend()
    if attempt >= REPLY_ATTEMPTS or not backend.supports_defer:
        logger.error("giving up emailing reports %s after %s attempts", report_ids, attempt)
        return
    delay = REPLY_RETRY_DELAYS[min(attempt, len(REPLY_RETRY_DELAYS)) - 1]
    send_reply.using(run_after=timezone.now() + delay).enqueue(report_ids, site_root, attempt + 1)
    logger.warning("emailing reports %s failed; retrying in %s", report_ids, delay)


def reply_message(reports: list[ErrorReport], site_root: str) -> EmailMessage:
    """The email telling a reader that their report led to a published change."""
    revision = reports[0].resolved_by
    story = reports[0].story
    story_path = reverse("reader:story", kwargs={"slug": story.slug})
    compare_path = reverse(
        "reader:compare",
        kwargs={"slug": story.slug, "old": revision.number - 1, "new": revision.number},
    )
    kind = revision.get_kind_display().lower()
    context = {
        "name": reports[0].reporter_name,
        "headline": revision.headline,
        "kind": f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}",
        "public_note": revision.public_note,
        "published_at": revision.published_at,
        "story_url": site_root.rstrip("/") + story_path,
        "compare_url": site_root.rstrip("/") + compare_path,
        "policy_url": site_root.rstrip("/") + reverse("reader:corrections_policy"),
        "publication": settings.PUBLICATION_NAME,
        "count": len(reports),
    }
    return EmailMessage(
        subject=f"We published {context['kind']}: {revision.headline}",
        body=render_to_string("emails/report_reply.txt", context),
        to=[reports[0].reporter_email],
    )


# -- 4. the desk's digest --------------------------------------------------------------


def send_desk_digest(*, now: datetime | None = None) -> int:
    """Email the corrections desk one digest of the new reports it has not been told
    of; returns how many it listed (0: nothing sent). Idempotent: run it from cron.

    The reports are locked (skipping those another run holds) and marked only if the
    mail was sent, so a failed run lists them again next time.
    """
    desk = settings.CORRECTIONS_DESK_EMAIL
    if not desk:
        raise ValueError("NEWSROOM_CORRECTIONS_DESK_EMAIL is not set: nowhere to send the digest")
    now = now or timezone.now()
    with transaction.atomic():
        reports = list(
            ErrorReport.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ReportStatus.NEW, desk_notified_at__isnull=True)
            .select_related("story", "seen_revision")
            .order_by("received_at", "pk")
        )
        if not reports:
            return 0
        root = addresses.site_root()
        entries = [
            {
                "report": report,
                "admin_url": root + reverse("admin:stories_errorreport_change", args=[report.pk]),
            }
            for report in reports
        ]
        body = render_to_string(
            "emails/report_digest.txt",
            {
                "entries": entries,
                "queue_url": root + reverse("admin:stories_errorreport_changelist"),
                "publication": settings.PUBLICATION_NAME,
            },
        )
        count = len(reports)
        EmailMessage(
            subject=f"{count} new reader report{'s' if count != 1 else ''}: {settings.PUBLICATION_NAME}",
            body=body,
            to=[desk],
        ).send()
        system = audit.system_user()
        for report in reports:
            report.desk_notified_at = now
            _save(report, system, LISTED_IN_DIGEST)
    return count


# -- 5. retention -----------------------------------------------------------------------


def forget_reader_contacts(*, now: datetime | None = None) -> int:
    """Erase the reader's name and email from every closed report received more than
    ``REPORT_CONTACT_RETENTION_DAYS`` ago; returns how many reports it erased.

    Open reports keep them (the desk may still write back), and so does a report
    resolved in the last ``REPLY_WINDOW``, whose reply may still be on its way. The
    audit trail never held them (``ErrorReport.history`` excludes both fields).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REPORT_CONTACT_RETENTION_DAYS)
    due = (
        ErrorReport.objects.exclude(status__in=OPEN_STATUSES)
        .filter(received_at__lt=cutoff)
        .exclude(reporter_name="", reporter_email="", wants_reply=False)
        .exclude(resolved_at__gte=now - REPLY_WINDOW)
    )
    with transaction.atomic():
        reports = list(due.select_for_update(skip_locked=True).order_by("pk"))
        system = audit.system_user()
        for report in reports:
            report.reporter_name = report.reporter_email = ""
            report.wants_reply = False
            _save(report, system, CONTACT_ERASED)
    return len(reports)


def _save(report: ErrorReport, user, reason: str) -> None:
    """Save with the history row's user and reason (cleared after, so they never stick)."""
    audit.save_with_reason(report, user, reason)
