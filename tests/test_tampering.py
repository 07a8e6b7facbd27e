"""The tamper suite: ten rewrites of the public record by SQL (tests/tampering.py), on
whichever database the run uses (CI runs it on SQLite and on PostgreSQL).

For each: does the database refuse it (the append-only triggers), and, done by someone
who lifts the triggers first (the database owner), does ``verify_revisions`` detect it?
The outside verifier's half, against a live server, is in test_outside_verifier.py.

The figure, as these tests pin it:

* refused by the database: 9 of 10 (all but inserting a version, which is an INSERT);
* the insert is detected by ``verify_revisions`` (and by the outside verifier);
* behind lifted triggers, ``verify_revisions`` detects all 10: the seven rewrites of
  versions; rewriting the whole log consistently, re-signed with the site's own key but
  behind its signer's back, by comparing the newest head with the signer's record
  (outside the database); and the rewritten and the deleted audit row (internal, so no
  outsider can see them, but chained under a key the database does not hold:
  test_audit_chain.py).

Then the rewrites of an attacker without the key, who recomputes every hash so that the
database is consistent again (``tampering.REWRITES_WITHOUT_THE_KEY``): the signer refuses
to sign the next publish, which fails and rolls back, the desk is told and
``/health/ready/`` says so; ``verify_revisions`` reports each from the signer's record.
"""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Revision, Story
from stories.record import audit_chain, signer, transparency
from tests import tampering
from tests.factories import StoryFactory, approved

REFUSED = [tamper for tamper in tampering.TAMPERS if not getattr(tamper, "allowed", False)]
#: Caught by verify_revisions behind lifted triggers (the rest: see the module doc).
DETECTED_INSIDE = [tamper for tamper in tampering.TAMPERS if tamper not in tampering.AUDIT_TAMPERS]


@pytest.fixture
def record(editor, django_capture_on_commit_callbacks):
    # Each publish's head joins the signer's record once its transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        return tampering.PublishedRecord.build(editor, StoryFactory)


def test_the_suite_has_the_ten_tampers_of_the_issue():
    assert len(tampering.TAMPERS) == 10
    assert (len(REFUSED), len(DETECTED_INSIDE)) == (9, 8)


def test_an_honest_record_verifies(record):
    assert transparency.verify_site() == []


@pytest.mark.parametrize("tamper", REFUSED, ids=lambda tamper: tamper.__name__)
def test_the_database_refuses(record, tamper):
    with tampering.refused_by_the_database(), tampering.as_database_user() as cursor:
        tamper(record, cursor)
    assert transparency.verify_site() == []


def test_an_inserted_version_is_not_refused_but_detected(record):
    with tampering.as_database_user() as cursor:
        tampering.insert_a_version_with_a_skipped_number(record, cursor)

    problems = dict_of(transparency.verify_site())
    assert "version 4 missing: the numbers go on at 5" in problems[record.a.slug]
    assert f"{record.a.slug} version 5 is not in the transparency log" in problems["log"]
    with pytest.raises(CommandError, match="problems found"):
        call_command("verify_revisions", stdout=None, stderr=None)


#: What verify_revisions says of each tamper done behind lifted triggers: (where, what).
SIGNATURES = {
    tampering.update_a_versions_body: ("a", "version 2: content does not match its hash"),
    tampering.delete_a_middle_version: ("a", "version 2 missing: the numbers go on at 3"),
    tampering.delete_the_latest_version_and_repoint: ("log", "leaf 2 is missing: the leaves go on at 3"),
    tampering.null_the_pointer_and_edit: ("a", "the story points at no version, but it has 3"),
    tampering.swap_two_stories_versions: ("b", "version 2: content does not match its hash"),
    tampering.recompute_the_chain_after_an_edit: ("log", "leaf 1 is not the hash of harbor-story version 2"),
    tampering.insert_a_version_with_a_skipped_number: ("a", "version 4 missing: the numbers go on at 5"),
    tampering.rewrite_the_log: ("log", "the log's first 6 entries are not the last head the signer signed"),
}  # fmt: skip


@tampering.owner_test
@pytest.mark.parametrize("tamper", DETECTED_INSIDE, ids=lambda tamper: tamper.__name__)
def test_verify_revisions_detects_a_rewrite_behind_lifted_triggers(record, tamper):
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)

    where, problem = SIGNATURES[tamper]
    where = {"a": record.a.slug, "b": record.b.slug}.get(where, where)
    found = dict_of(transparency.verify_site()).get(where, [])
    assert any(line.startswith(problem) for line in found), found


@tampering.owner_test
def test_a_consistent_rewrite_signed_behind_the_signers_back_is_caught_only_by_its_record(record):
    """Whoever holds the database and the key, but signs outside the signer, rebuilds a
    log that every check of the database alone accepts: only the signer's record (kept
    outside it) tells."""
    with tampering.as_database_owner() as cursor:
        tampering.rewrite_the_log(record, cursor)
    (problem,) = transparency.verify_site()
    assert problem[0] == "log"
    assert problem[1].endswith("the log was rewritten")


SAYS_INSIDE = {
    tampering.rewrite_version_2_and_recompute_everything: (
        "the log's first 6 entries are not the last head the signer signed (6 entries at {at}): "
        "the log was rewritten"
    ),
    tampering.delete_the_two_newest_versions: (
        "the log has 4 entries, fewer than the last head the signer signed (6 entries at {at}): "
        "entries were removed"
    ),
}
#: What the signer says when the next publish (one more entry) asks it to sign.
SIGNER_SAYS = {
    tampering.rewrite_version_2_and_recompute_everything: (
        "the log of 7 entries does not extend the head of 6 entries the key signed at {at}: "
        "it was rewritten"
    ),
    tampering.delete_the_two_newest_versions: (
        "the log has 5 entries, fewer than the head of 6 entries the key signed at {at}: "
        "entries were removed"
    ),
}
#: The heads deleted because they no longer matched leave entries no signed head covers.
ALSO_INSIDE = {
    tampering.rewrite_version_2_and_recompute_everything: [
        "leaves 1 to 5 are covered by no signed tree head"
    ],
    tampering.delete_the_two_newest_versions: [],
}


@tampering.owner_test
@pytest.mark.parametrize("tamper", tampering.REWRITES_WITHOUT_THE_KEY, ids=lambda t: t.__name__)
def test_a_rewrite_without_the_key_is_consistent_inside_but_not_with_the_signers_record(
    record, tamper
):
    signed = signer.last_signed()
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)

    # Every hash, leaf, node and remaining head agrees with the rest: what tells is what
    # is missing (heads), and the signer's record above all.
    expected = [*ALSO_INSIDE[tamper], SAYS_INSIDE[tamper].format(at=signed.signed_at)]
    assert transparency.verify_site() == [("log", problem) for problem in expected]
    with pytest.raises(CommandError, match="problems found"):
        call_command("verify_revisions", stdout=None, stderr=None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tamper", tampering.REWRITES_WITHOUT_THE_KEY, ids=lambda t: t.__name__)
def test_after_a_rewrite_the_key_refuses_the_next_publish_loudly(editor, client, tamper, caplog):
    record = tampering.PublishedRecord.build(editor, StoryFactory)
    signed = signer.last_signed()
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    versions = Revision.objects.count()
    mail.outbox.clear()

    story = Story.objects.get(pk=record.a.pk)
    story.body += "\n\nA paragraph written in good faith."
    story.save()
    with pytest.raises(ValidationError, match="the key refused to sign it") as refused:
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="More."
        )

    # Nothing signed, nothing published, and the publish rolled back whole; and the
    # auditor's check reports it.
    assert Revision.objects.count() == versions
    assert signer.last_signed() == signed
    reported = [problem for where, problem in transparency.verify_site() if where == "log"]
    assert SAYS_INSIDE[tamper].format(at=signed.signed_at) in reported
    assert SIGNER_SAYS[tamper].format(at=signed.signed_at) in str(refused.value)
    # Loudly: the log, the desk (everyone who may publish), and readiness.
    assert any(r.levelname == "CRITICAL" and "refused to sign" in r.message for r in caplog.records)
    (alert,) = mail.outbox
    assert alert.bcc == [editor.email] and "refused to sign" in alert.subject
    assert SIGNER_SAYS[tamper].format(at=signed.signed_at) in alert.body
    ready = client.get("/health/ready/", headers={"accept": "application/json"})
    assert ready.status_code == 200 and ready["X-Newsroom-Health"] == "degraded"
    assert ready.json()["LogSigner()"].startswith("Warning: the log's key refused to sign")
    # Until the log extends the signed head again, every publish is refused, announced once.
    with pytest.raises(ValidationError, match="refused to sign"):
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Again."
        )
    assert len(mail.outbox) == 2
    # An operator who has looked into it acknowledges; readiness is whole again.
    assert signer.acknowledge() == 2
    assert client.get("/health/ready/")["X-Newsroom-Health"] == "ok"


@tampering.owner_test
@pytest.mark.parametrize("tamper", tampering.AUDIT_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_a_rewritten_audit_row_leaves_the_public_record_whole_and_breaks_the_audit_chain(
    record, tamper
):
    """Internal audit rows: refused by the triggers (above); once those are lifted, the
    public record is untouched, and the audit trail's chain reports the row."""
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    assert transparency.verify_site() == []
    assert "does not follow from the row before it" in audit_chain.verify().problems[0]


def dict_of(problems) -> dict:
    found: dict[str, list[str]] = {}
    for where, problem in problems:
        found.setdefault(where, []).append(problem)
    return found
