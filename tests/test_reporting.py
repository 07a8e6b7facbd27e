"""Readers report errors and hear back: the form, its abuse protection, the desk's queue,
corrections published from reports, the emails and the digest, and privacy."""

from __future__ import annotations

import io
import itertools
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stories import editing, publishing, reporting
from stories.content.kinds import CreditRole, RevisionKind
from stories.models import ErrorReport, ReportStatus
from tests.adminforms import queries_of
from tests.factories import approved
from tests.readerpages import at, make_story, publish, published_story, read, text

_addresses = itertools.count(1)


@pytest.fixture
def reader():
    """A reader's browser with an address of its own: rate-limit counts live in the
    cache, which outlives each test, so every test's reader starts with none."""
    return Client(REMOTE_ADDR=f"10.11.{next(_addresses) % 250}.{next(_addresses) % 250}")


@pytest.fixture
def story(editor):
    return published_story(
        editor,
        headline="Harbor wall vote delayed",
        body="The council voted 5-2 on Tuesday.\n\nThe wall will cost $4 million.",
        when=at(0),
    )


def report_url(story, version=None):
    url = reverse("reader:report", args=[story.slug])
    return f"{url}?version={version}" if version else url


def report_data(**fields):
    data = {
        "version": "1",
        "description": "The vote was 4-3, not 5-2.",
        "passage": "The council voted 5-2 on Tuesday.",
        "name": "",
        "email": "",
        "website": "",
    }
    return {**data, **fields}


def reported(story, **fields) -> ErrorReport:
    """A report received through the service, as the form sends it."""
    values = {
        "seen_number": 1,
        "description": "The vote was 4-3, not 5-2.",
        "passage": "The council voted 5-2 on Tuesday.",
        **fields,
    }
    return reporting.submit_report(story.slug, **values)


def correct(
    story, editor, body="The council voted 4-3 on Tuesday.\n\nThe wall will cost $4 million."
):
    """Edit the working copy as an editor would before publishing the correction."""
    story.body = body
    editing.save_story(
        story, user=editor, reason="Vote count fixed", expected_edit=story.edit_number
    )
    return story


def field_error(response, name):
    return response.context["form"].errors.get(name, [])


# -- the form ----------------------------------------------------------------------------


def test_every_story_and_version_page_links_to_the_report_form(client, editor, story):
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Added the cost.")

    live = read(client.get(story.get_absolute_url()))
    old = read(client.get(reverse("reader:revision", args=[story.slug, 1])))

    def report_links(page):
        return [a["href"] for tag, a in page.tags if tag == "a" and "data-report-error" in a]

    assert report_links(live) == [report_url(story, 2)]
    assert report_links(old) == [report_url(story, 1)]
    # The selection script is a static file (no inline script: a CSP can forbid those).
    scripts = [a for tag, a in live.tags if tag == "script" and "src" in a]
    assert scripts == [{"src": "/static/stories/report-selection.js", "defer": None}]


def test_the_form_is_crispy_and_prefills_the_passage_from_the_selection(reader, story):
    response = reader.get(report_url(story, 1) + "&passage=The+council+voted+5-2")

    assert response.status_code == 200
    page = read(response)
    assert page.has("form", id="report-form", method="post", action=report_url(story))
    assert page.has("input", type="hidden", name="csrfmiddlewaretoken")
    assert page.has("input", type="hidden", name="version", value="1")
    body = response.content.decode()
    assert "The council voted 5-2</textarea>" in body
    assert "Email me what comes of this report" in body
    assert 'class="mb-3"' in body and "form-control" in body, "Bootstrap 5 via crispy-forms"
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_a_report_records_the_story_and_the_version_the_reader_saw(reader, editor, story):
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Added the cost.")

    response = reader.post(report_url(story), report_data(version="1"))

    assert response.status_code == 302
    assert response["Location"] == reverse("reader:report_thanks", args=[story.slug])
    report = ErrorReport.objects.get()
    assert (report.story, report.seen_revision.number) == (story, 1)
    assert report.description == "The vote was 4-3, not 5-2."
    assert report.status == ReportStatus.NEW
    assert (report.reporter_email, report.wants_reply) == ("", False)
    row = report.history.get()
    assert row.history_user.username == "newsroom-system"
    assert row.history_change_reason == reporting.RECEIVED


def test_the_thank_you_page_says_what_happens_next(reader, story):
    body = text(reader.get(reverse("reader:report_thanks", args=[story.slug])))

    assert "What happens next" in body
    assert f'href="{reverse("reader:corrections_policy")}"' in body


def test_an_email_is_kept_only_with_consent(reader, story):
    without_consent = reader.post(report_url(story), report_data(email="ann@example.org"))
    assert without_consent.status_code == 200
    assert "Tick this box" in field_error(without_consent, "wants_reply")[0]

    consent_without_email = reader.post(report_url(story), report_data(wants_reply="on"))
    assert "Give an email address" in field_error(consent_without_email, "email")[0]
    assert not ErrorReport.objects.exists()

    reader.post(
        report_url(story), report_data(name="Ann Reader", email="ann@example.org", wants_reply="on")
    )
    report = ErrorReport.objects.get()
    assert (report.reporter_name, report.reporter_email, report.wants_reply) == (
        "Ann Reader",
        "ann@example.org",
        True,
    )


# -- abuse -------------------------------------------------------------------------------


def test_the_honeypot_thanks_a_bot_and_stores_nothing(reader, story):
    response = reader.post(report_url(story), report_data(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == reverse("reader:report_thanks", args=[story.slug])
    assert not ErrorReport.objects.exists()


def test_the_honeypot_is_out_of_sight_for_people(reader, story):
    body = reader.get(report_url(story)).content.decode()

    honeypot = re.search(r'<div[^>]*class="report-extra"[^>]*>', body).group(0)
    assert 'aria-hidden="true"' in honeypot
    assert 'tabindex="-1"' in body


def test_too_many_reports_from_one_client_answer_429(reader, story, settings):
    settings.RATELIMIT_ENABLE = True
    settings.REPORT_RATE = "2/d"
    for _ in range(2):
        assert reader.post(report_url(story), report_data()).status_code == 302

    response = reader.post(report_url(story), report_data())

    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Too many reports" in text(response)
    assert ErrorReport.objects.count() == 2
    # Another client is not held back by this one.
    other = Client(REMOTE_ADDR="10.99.99.99")
    assert other.post(report_url(story), report_data()).status_code == 302


def test_the_rate_limit_fails_open_when_the_cache_is_down(reader, story, monkeypatch, settings):
    settings.RATELIMIT_ENABLE = True

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("stories.reader.ratelimit.get_usage", broken)

    assert reader.post(report_url(story), report_data()).status_code == 302
    assert ErrorReport.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "x" * 2001, "at most 2000 characters"),
        ("passage", "y" * 1001, "at most 1000 characters"),
        ("name", "z" * 101, "at most 100 characters"),
        ("email", "a" * 250 + "@example.org", "at most 254 characters"),
        ("description", "Wrong\x1b[31m vote", "control characters"),
        ("passage", "bell\x07", "control characters"),
        ("name", "Ann\u202eReader", "control characters"),
        ("description", "   ", "This field is required"),
        ("email", "not-an-address", "valid email"),
    ],
)
def test_bad_input_gets_the_form_back_with_a_message_on_the_field(
    reader, story, field, value, message
):
    response = reader.post(report_url(story), report_data(**{field: value}))

    assert response.status_code == 200
    assert any(message in error for error in field_error(response, field)), field_error(
        response, field
    )
    assert message.split()[0] in response.content.decode()
    assert not ErrorReport.objects.exists()


def test_a_nul_character_is_a_400_not_a_500(reader, story):
    response = reader.post(report_url(story), report_data(description="bad\x00"))

    assert response.status_code == 400
    assert not ErrorReport.objects.exists()


def test_the_form_needs_the_csrf_token(story):
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.200.0.1")

    response = browser.post(report_url(story), report_data())

    assert response.status_code == 403
    assert "reload the page and send the form again" in text(response), "the site's own page"
    assert not ErrorReport.objects.exists()


def test_a_report_about_a_withdrawn_story_answers_410(reader, editor, story):
    publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn on legal advice."
    )

    for response in (reader.get(report_url(story)), reader.post(report_url(story), report_data())):
        assert response.status_code == 410
        assert "Withdrawn on legal advice." in text(response)
    assert not ErrorReport.objects.exists()


@pytest.mark.parametrize("version", ["7", "0", "abc", "-1", "9999999"])
def test_a_report_about_a_version_that_does_not_exist_is_a_404(reader, story, version):
    assert reader.get(report_url(story, version)).status_code == 404
    assert reader.post(report_url(story), report_data(version=version)).status_code == 404
    assert not ErrorReport.objects.exists()


def test_drafts_and_unknown_stories_cannot_be_reported(db, reader):
    draft = make_story([("Maria Ortiz", CreditRole.BYLINE, "")], headline="A draft nobody saw")
    for slug in (draft.slug, "no-such-story"):
        url = reverse("reader:report", args=[slug])
        assert reader.get(url).status_code == 404
        assert reader.post(url, report_data()).status_code == 404
    assert not ErrorReport.objects.exists()


# -- privacy -----------------------------------------------------------------------------


def test_reports_and_reporters_appear_on_no_public_address(client, editor, story, settings):
    settings.PUBLICATION_URL = "https://news.example"
    report = reported(
        story,
        description="Zanzibarian quokka error",
        passage="Quokka passage",
        name="Xenia Privateperson",
        email="xenia.private@example.org",
        wants_reply=True,
    )
    correct(story, editor)
    reporting.publish_from_reports(
        approved(story),
        [report],
        user=editor,
        kind=RevisionKind.CORRECTION,
        public_note="The vote was 4-3.",
    )
    secrets = ["Zanzibarian", "Quokka passage", "Privateperson", "xenia.private", "example.org"]

    public_urls = [
        "/",
        story.get_absolute_url(),
        reverse("reader:history", args=[story.slug]),
        reverse("reader:revision", args=[story.slug, 1]),
        reverse("reader:compare", args=[story.slug, 1, 2]),
        reverse("reader:section", args=[story.section.slug]),
        reverse("reader:corrections"),
        reverse("reader:corrections") + "?prompted=reader",
        reverse("reader:corrections_policy"),
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        "/feeds/corrections/atom/",
        f"/sections/{story.section.slug}/feeds/rss/",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/robots.txt",
        reverse("reader:report_thanks", args=[story.slug]),
    ]
    for query in ("quokka", "Zanzibarian", "Privateperson"):
        assert client.get("/search/", {"q": query}).context["results"].total == 0
    for url in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, (url, secret)
    assert "Prompted by a reader report" in text(
        client.get(reverse("reader:history", args=[story.slug]))
    )
    # The JSON export is built from the story's record, which holds no report either.
    from io import StringIO

    out = StringIO()
    call_command("export_story", story.slug, stdout=out)
    assert not any(secret in out.getvalue() for secret in secrets)
    # No address of the reader site serves a report.
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert (
        client.get(reverse("admin:stories_errorreport_change", args=[report.pk])).status_code == 302
    )


def test_only_editors_see_the_queue(client_for, reporter, editor, story):
    reported(story)
    url = reverse("admin:stories_errorreport_changelist")

    assert client_for(reporter).get(url).status_code == 403
    assert client_for(editor, fresh=True).get(url).status_code == 200


# -- the desk's queue --------------------------------------------------------------------


def test_the_queue_lists_filters_and_searches_reports(client_for, editor, story):
    other = published_story(editor, headline="Ferry timetable changes", when=at(2))
    first = reported(story, description="The vote count is wrong.")
    second = reported(other, description="The ferry leaves at 7, not 8.")
    reporting.change_report(second, user=editor, status=ReportStatus.SPAM)
    client = client_for(editor)
    url = reverse("admin:stories_errorreport_changelist")

    listing = text(client.get(url))
    assert "The vote count is wrong." in listing and "The ferry leaves at 7" in listing

    new_only = text(client.get(url, {"status__exact": "new"}))
    assert "The vote count is wrong." in new_only and "The ferry leaves" not in new_only

    found = text(client.get(url, {"q": "ferry"}))
    assert "The ferry leaves" in found and "The vote count" not in found
    assert first.pk != second.pk


def test_the_report_page_shows_the_version_seen_against_the_live_one(client_for, editor, story):
    report = reported(story)
    correct(story, editor)
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Updated.")

    body = text(
        client_for(editor).get(reverse("admin:stories_errorreport_change", args=[report.pk]))
    )

    assert "Version 1</a> (not the live version)" in body
    assert "<del>5-2</del>" in body and "<ins>4-3</ins>" in body
    assert "Publish a correction from this report" in body


def test_every_change_of_a_report_is_in_its_audit_trail(client_for, editor, story):
    report = reported(story)
    url = reverse("admin:stories_errorreport_change", args=[report.pk])
    client = client_for(editor)

    response = client.post(
        url,
        {
            "status": "investigating",
            "assignee": editor.pk,
            "internal_notes": "Checking the minutes.",
            "change_reason": "Taking this one",
        },
    )

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    report.refresh_from_db()
    assert (report.status, report.assignee, report.internal_notes) == (
        ReportStatus.INVESTIGATING,
        editor,
        "Checking the minutes.",
    )
    latest = report.history.order_by("-history_id").first()
    assert latest.history_user == editor
    assert latest.history_change_reason.startswith("Taking this one (status: New → Investigating")
    assert report.history.count() == 2
    # Saving again without a change writes nothing.
    client.post(
        url,
        {
            "status": "investigating",
            "assignee": editor.pk,
            "internal_notes": "Checking the minutes.",
        },
    )
    assert report.history.count() == 2
    # History page shows it.
    history = text(client.get(reverse("admin:stories_errorreport_history", args=[report.pk])))
    assert "Taking this one" in history


def test_the_desk_cannot_add_or_delete_reports(client_for, editor, story):
    report = reported(story)
    client = client_for(editor)

    assert client.get(reverse("admin:stories_errorreport_add")).status_code == 403
    assert (
        client.get(reverse("admin:stories_errorreport_delete", args=[report.pk])).status_code == 403
    )


def test_changing_a_report_needs_the_permission(reporter, story):
    report = reported(story)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="handle reader reports"):
        reporting.change_report(report, user=reporter, status=ReportStatus.SPAM)


# -- publishing from a report ------------------------------------------------------------


def test_a_report_can_only_prompt_a_correction_clarification_or_update(editor, story):
    report = reported(story)
    correct(story, editor)
    from django.core.exceptions import ValidationError

    for kind in (RevisionKind.MINOR, RevisionKind.EDITORS_NOTE, None):
        with pytest.raises(ValidationError) as error:
            reporting.publish_from_reports(
                approved(story),
                [report],
                user=editor,
                kind=kind,
                public_note="x",
                internal_reason="x",
            )
        assert "kind" in error.value.message_dict
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW
    assert story.revisions.count() == 1


def test_a_refused_publish_resolves_nothing(editor, story):
    report = reported(story)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        reporting.publish_from_reports(
            approved(story), [report], user=editor, kind=RevisionKind.CORRECTION
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and report.resolved_by is None


def test_publishing_resolves_every_linked_report_and_emails_each_address_once(
    editor, story, django_capture_on_commit_callbacks
):
    ann = reported(story, name="Ann", email="ann@example.org", wants_reply=True)
    ann_again = reported(
        story, description="Also the date.", email="ANN@example.org ", wants_reply=True
    )
    bob = reported(story, name="Bob", email="bob@example.org", wants_reply=True)
    anonymous = reported(story)
    untouched = reported(
        story, description="Another problem", email="cy@example.org", wants_reply=True
    )
    correct(story, editor)

    with django_capture_on_commit_callbacks(execute=True):
        revision = reporting.publish_from_reports(
            approved(story),
            [ann, ann_again, bob, anonymous],
            user=editor,
            kind=RevisionKind.CORRECTION,
            public_note="An earlier version misstated the vote.",
        )

    for report in (ann, ann_again, bob, anonymous):
        report.refresh_from_db()
        assert (report.status, report.resolved_by) == (ReportStatus.CORRECTED, revision)
        resolved = report.history.get(history_change_reason__startswith="Resolved by version")
        assert resolved.history_user == editor
    untouched.refresh_from_db()
    assert untouched.status == ReportStatus.NEW
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert ann.reply_sent_at is not None and anonymous.reply_sent_at is None

    # Published again (an update): nobody is emailed twice.
    story.body += "\n\nMore."
    editing.save_story(story, user=editor, reason="More", expected_edit=story.edit_number)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="More."
        )
    assert reporting.enqueue_replies(revision.pk, "http://testserver") == 0
    assert len(mail.outbox) == 2


def test_a_failure_to_send_never_loses_or_delays_the_publish(
    client_for, editor, story, django_capture_on_commit_callbacks, monkeypatch
):
    report = reported(story, email="ann@example.org", wants_reply=True)
    correct(story, editor)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    client = client_for(editor)
    approved(story)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:stories_story_publish", args=[story.pk]),
            {
                "loaded_edit": story.edit_number,
                "kind": "correction",
                "public_note": "The vote was 4-3.",
                "reports": [report.pk],
            },
        )

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.latest_revision.number == 2
    report.refresh_from_db()
    assert report.status == ReportStatus.CORRECTED
    assert report.reply_sent_at is None, "not marked as told: the worker retries"
    assert mail.outbox == []
    assert client.get(story.get_absolute_url()).status_code == 200


def test_a_failed_reply_is_retried_later_by_the_worker(
    transactional_db, editor, story, settings, monkeypatch
):
    """With the database backend (production's), a failed send enqueues a retry that
    the worker runs later; the next attempt that succeeds marks the reader as told.
    (A transactional test: the worker manages its own connections and transactions.)"""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PUBLICATION_URL = "https://news.example"
    from django_tasks_db.models import DBTaskResult

    report = reported(story, email="ann@example.org", wants_reply=True)
    correct(story, editor)
    reporting.publish_from_reports(
        approved(story), [report], user=editor, kind=RevisionKind.CORRECTION, public_note="Fixed."
    )
    # Enqueued once the publish committed, as a row in the database: not sent yet.
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    first = DBTaskResult.objects.order_by("enqueued_at").first()
    assert first.status == "FAILED"
    retry = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert retry.status == "READY"
    assert retry.run_after > timezone.now() + timedelta(seconds=30)
    assert retry.args_kwargs["args"] == [[report.pk], "https://news.example", 2]

    # When its time comes, the retry sends it.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    report.refresh_from_db()
    assert report.reply_sent_at is not None


# -- the digest --------------------------------------------------------------------------


def test_new_reports_reach_the_desk_as_one_digest(editor, story, settings):
    settings.CORRECTIONS_DESK_EMAIL = "desk@news.example"
    reported(story, description="First problem.")
    reported(story, description="Second problem.", email="ann@example.org", wants_reply=True)
    spam = reported(story, description="Buy things.")
    reporting.change_report(spam, user=editor, status=ReportStatus.SPAM)

    out = call_command_output("send_report_digest")

    assert out == "sent a digest of 2 new reports\n"
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["desk@news.example"]
    assert "2 new reader reports" in digest.subject
    assert "First problem." in digest.body and "Second problem." in digest.body
    assert "Buy things." not in digest.body
    assert "ann@example.org" not in digest.body
    assert "/admin/stories/errorreport/" in digest.body

    assert call_command_output("send_report_digest") == "no new reports\n"
    assert len(mail.outbox) == 1


def test_the_digest_needs_the_desk_address(settings, story):
    settings.CORRECTIONS_DESK_EMAIL = ""
    reported(story)
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="NEWSROOM_CORRECTIONS_DESK_EMAIL"):
        call_command("send_report_digest")


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# -- the public record -------------------------------------------------------------------


def test_corrections_prompted_by_readers_are_marked_and_can_be_listed_alone(client, editor, story):
    other = published_story(editor, headline="Ferry timetable changes", when=at(2))
    publish(other, editor, when=at(3), kind=RevisionKind.CORRECTION, note="The ferry leaves at 7.")
    report = reported(story)
    correct(story, editor)
    reporting.publish_from_reports(
        approved(story),
        [report],
        user=editor,
        kind=RevisionKind.CLARIFICATION,
        public_note="Only the east wall.",
    )

    everything = text(client.get(reverse("reader:corrections")))
    assert "Only the east wall." in everything and "The ferry leaves at 7." in everything
    assert everything.count("Prompted by a reader report") == 1

    prompted = text(client.get(reverse("reader:corrections") + "?prompted=reader"))
    assert "Only the east wall." in prompted
    assert "The ferry leaves at 7." not in prompted
    assert "Corrections prompted by readers" in prompted

    story_page = text(client.get(story.get_absolute_url()))
    assert "Prompted by a reader report" in story_page
    feed = client.get("/feeds/corrections/atom/").content.decode()
    assert 'term="Prompted by a reader report"' in feed


# -- the whole loop, through the real views ----------------------------------------------


def test_the_loop_report_queue_correction_resolved_email_public_record(
    reader, client_for, editor, django_capture_on_commit_callbacks
):
    story = published_story(
        editor,
        headline="Harbor wall vote delayed",
        credits=[("Maria Ortiz", CreditRole.BYLINE, "")],
        body="The council voted 5-2 on Tuesday.\n\nThe wall will cost $4 million.",
        when=at(0),
    )

    # 1. A reader follows "Report an error" from the story and sends a report.
    story_page = read(reader.get(story.get_absolute_url()))
    link = next(
        attrs["href"]
        for tag, attrs in story_page.tags
        if tag == "a" and "data-report-error" in attrs
    )
    form = reader.get(link + "&passage=voted+5-2")
    assert form.status_code == 200
    sent = reader.post(
        reverse("reader:report", args=[story.slug]),
        report_data(
            version="1",
            passage="voted 5-2",
            name="Ann Reader",
            email="ann@example.org",
            wants_reply="on",
        ),
    )
    assert sent.status_code == 302
    assert reader.get(sent["Location"]).status_code == 200
    report = ErrorReport.objects.get()

    # 2. The desk finds it in the queue and takes it.
    desk = client_for(editor)
    queue = text(desk.get(reverse("admin:stories_errorreport_changelist")))
    assert "The vote was 4-3, not 5-2." in queue
    report_page = desk.get(reverse("admin:stories_errorreport_change", args=[report.pk]))
    assert "Publish a correction from this report" in text(report_page)
    desk.post(
        reverse("admin:stories_errorreport_change", args=[report.pk]),
        {"status": "investigating", "assignee": editor.pk, "internal_notes": "Minutes say 4-3."},
    )

    # 3. An editor fixes the working copy and publishes a correction from the report.
    correct(story, editor)
    publish_url = reverse("admin:stories_story_publish", args=[story.pk])
    publish_page = desk.get(publish_url, {"report": report.pk})
    assert publish_page.context["form"]["reports"].value() == [str(report.pk)]
    approved(story)
    with django_capture_on_commit_callbacks(execute=True):
        published = desk.post(
            publish_url,
            {
                "loaded_edit": story.edit_number,
                "kind": "correction",
                "public_note": "An earlier version misstated the vote: it was 4-3.",
                "internal_reason": "Reader report",
                "reports": [report.pk],
            },
        )
    assert published.status_code == 302

    # 4. The report is resolved by the new version.
    report.refresh_from_db()
    assert report.status == ReportStatus.CORRECTED
    assert report.resolved_by.number == 2
    assert [row.history_change_reason for row in report.history.order_by("history_id")][-2:] == [
        "Resolved by version 2 (correction)",
        reporting.REPLY_SENT,
    ]

    # 5. One email, with the note, the story and the diff of the change.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.org"]
    assert message.subject == "We published a correction: Harbor wall vote delayed"
    assert "Dear Ann Reader" in message.body
    assert "An earlier version misstated the vote: it was 4-3." in message.body
    assert f"http://testserver/stories/{story.slug}/\n" in message.body
    assert f"http://testserver/stories/{story.slug}/history/1/compare/2/" in message.body
    assert reader.get(f"/stories/{story.slug}/history/1/compare/2/").status_code == 200

    # 6. The public history marks the correction as reader-prompted, naming nobody.
    history = reader.get(reverse("reader:history", args=[story.slug]))
    entries = text(history).split('<li class="history-entry')
    version_2 = next(entry for entry in entries if ">Version 2<" in entry)
    assert "Prompted by a reader report" in version_2
    assert "Ann" not in text(history) and "ann@example.org" not in text(history)


def test_the_queue_and_the_publish_page_stay_flat_with_many_reports(client_for, editor, story):

    client = client_for(editor)
    pages = {
        "queue": reverse("admin:stories_errorreport_changelist"),
        "publish": reverse("admin:stories_story_publish", args=[story.pk]),
    }
    counts = {}
    for total in (2, 20):
        while ErrorReport.objects.count() < total:
            reported(story, description=f"Problem {ErrorReport.objects.count()}")
        counts[total] = {name: queries_of(client, url) for name, url in pages.items()}
    assert counts[2] == counts[20], counts


def test_a_revert_from_the_reports_history_goes_through_the_service(client_for, editor, story):
    report = reported(story)
    reporting.change_report(report, user=editor, status=ReportStatus.SPAM, reason="Looks like spam")
    received = report.history.order_by("history_id").first()
    client = client_for(editor)
    url = reverse("admin:stories_errorreport_simple_history", args=[report.pk, received.history_id])

    response = client.post(
        url,
        {
            "status": "new",
            "assignee": "",
            "internal_notes": "",
            "change_reason": "Not spam after all",
        },
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW
    latest = report.history.order_by("-history_id").first()
    assert latest.history_user == editor
    assert latest.history_change_reason == "Not spam after all (status: Spam → New)"


def test_the_reader_prompted_filter_is_kept_across_pages(client, editor, story, monkeypatch):
    monkeypatch.setattr("stories.reader.pages.corrections.CORRECTIONS_PER_PAGE", 1)
    for number in (1, 2):
        report = reported(story, description=f"Problem {number}")
        correct(story, editor, body=f"Fixed, time {number}.")
        reporting.publish_from_reports(
            approved(story),
            [report],
            user=editor,
            kind=RevisionKind.CORRECTION,
            public_note=f"Fix {number}.",
        )

    first = client.get(reverse("reader:corrections"), {"prompted": "reader"}).content.decode()

    assert 'href="/corrections/?prompted=reader&amp;page=2"' in first
    assert 'rel="canonical" href="http://testserver/corrections/?prompted=reader"' in first
    second = text(client.get(reverse("reader:corrections"), {"prompted": "reader", "page": 2}))
    assert "Fix 1." in second and "Fix 2." not in second


# -- retention of readers' contact details -----------------------------------------------


def aged(report: ErrorReport, days: int, **fields) -> ErrorReport:
    """Pretend the report arrived ``days`` ago (and set desk-side fields directly)."""
    ErrorReport.objects.filter(pk=report.pk).update(
        received_at=timezone.now() - timedelta(days=days), **fields
    )
    report.refresh_from_db()
    return report


def test_the_audit_trail_never_holds_a_readers_name_or_email(editor, story):
    report = reported(story, name="Ann Reader", email="ann@example.org", wants_reply=True)
    reporting.change_report(report, user=editor, status=ReportStatus.INVESTIGATING)

    history_fields = {field.name for field in ErrorReport.history.model._meta.fields}

    assert report.history.count() == 2
    assert not history_fields & {"reporter_name", "reporter_email"}


def test_contact_details_are_erased_once_closed_and_past_the_retention_period(
    editor, story, settings
):
    settings.REPORT_CONTACT_RETENTION_DAYS = 30
    contact = {"name": "Ann", "email": "ann@example.org", "wants_reply": True}
    closed_long_ago = aged(reported(story, **contact), 31, status=ReportStatus.NO_CHANGE)
    closed_recently = aged(reported(story, **contact), 29, status=ReportStatus.SPAM)
    still_open = aged(reported(story, **contact), 200, status=ReportStatus.INVESTIGATING)
    reply_on_its_way = aged(
        reported(story, **contact),
        40,
        status=ReportStatus.CORRECTED,
        resolved_at=timezone.now() - timedelta(hours=2),
    )

    assert reporting.forget_reader_contacts() == 1

    closed_long_ago.refresh_from_db()
    assert (closed_long_ago.reporter_name, closed_long_ago.reporter_email) == ("", "")
    assert not closed_long_ago.wants_reply
    assert closed_long_ago.history.latest().history_change_reason == reporting.CONTACT_ERASED
    assert closed_long_ago.description == "The vote was 4-3, not 5-2."  # the report stays
    for kept in (closed_recently, still_open, reply_on_its_way):
        kept.refresh_from_db()
        assert (kept.reporter_email, kept.wants_reply) == ("ann@example.org", True)
    assert reporting.forget_reader_contacts() == 0, "a second run has nothing left to erase"


def test_the_form_states_the_retention_period_and_the_command_applies_it(
    reader, editor, story, settings
):
    settings.REPORT_CONTACT_RETENTION_DAYS = 45
    form = reader.get(report_url(story))
    assert "erased 45 days after the report" in form.content.decode()

    aged(reported(story, email="ann@example.org", wants_reply=True), 46, status=ReportStatus.SPAM)
    out = io.StringIO()
    call_command("forget_reader_contacts", stdout=out)

    assert "erased the contact details of 1 report closed and older than 45 days" in out.getvalue()
    assert not ErrorReport.objects.exclude(reporter_email="").exists()
