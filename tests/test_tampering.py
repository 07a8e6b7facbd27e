"""The tamper suite: ten rewrites of the public record by SQL (tests/tampering.py), on
whichever database the run uses (CI runs it on SQLite and on PostgreSQL).

For each: does the database refuse it (the append-only triggers), and, done by someone
who lifts the triggers first (the database owner), does ``verify_revisions`` detect it?
The outside verifier's half, against a live server, is in test_outside_verifier.py.

The figure, as these tests pin it:

* refused by the database: 9 of 10 (all but inserting a version, which is an INSERT);
* the insert is detected by ``verify_revisions`` (and by the outside verifier);
* behind lifted triggers, ``verify_revisions`` detects 9 of the 10: the seven rewrites
  of versions, and the rewritten and the deleted audit row (internal, so no outsider can
  see them, but chained under a key the database does not hold: test_audit_chain.py);
  rewriting the whole log consistently with the site's own key is caught only by an
  outside verifier that holds an earlier tree head.
"""

import pytest
from django.core.management import CommandError, call_command

from stories.record import audit_chain, transparency
from tests import tampering
from tests.factories import StoryFactory

REFUSED = [tamper for tamper in tampering.TAMPERS if not getattr(tamper, "allowed", False)]
#: Caught by verify_revisions behind lifted triggers (the rest: see the module doc).
DETECTED_INSIDE = [
    tamper
    for tamper in tampering.TAMPERS
    if tamper not in tampering.AUDIT_TAMPERS and tamper is not tampering.rewrite_the_log
]


@pytest.fixture
def record(editor):
    return tampering.PublishedRecord.build(editor, StoryFactory)


def test_the_suite_has_the_ten_tampers_of_the_issue():
    assert len(tampering.TAMPERS) == 10
    assert (len(REFUSED), len(DETECTED_INSIDE)) == (9, 7)


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
}  # fmt: skip


@tampering.owner_test
@pytest.mark.parametrize("tamper", DETECTED_INSIDE, ids=lambda tamper: tamper.__name__)
def test_verify_revisions_detects_a_rewrite_behind_lifted_triggers(record, tamper):
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)

    where, problem = SIGNATURES[tamper]
    where = {"a": record.a.slug, "b": record.b.slug}.get(where, where)
    assert problem in dict_of(transparency.verify_site()).get(where, [])


@tampering.owner_test
def test_a_consistent_rewrite_of_the_whole_log_passes_inside_checks(record):
    """The limit of any check inside the database: whoever holds the database and the
    signing key can rebuild everything consistently. Only a tree head someone outside
    kept can tell (test_outside_verifier.py)."""
    with tampering.as_database_owner() as cursor:
        tampering.rewrite_the_log(record, cursor)
    assert transparency.verify_site() == []


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
