"""The audit trail, chained (stories/record/audit_chain.py): every simple-history row is
linked, under the site's audit key, to the row before it in its table, so that
``verify_revisions`` reports an audit row rewritten or deleted behind the triggers'
back, even by someone who recomputed the chain without the key."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction

from stories import editing, publishing, reporting
from stories.content.kinds import RevisionKind
from stories.desk import comments, previews
from stories.models import ErrorReport, Revision, Section, Story
from stories.partners import endpoints, keys
from stories.record import audit_chain
from tests import tampering
from tests.concurrency import at_once
from tests.factories import ContributorFactory, CreditFactory, StoryFactory, approved, long_record


@pytest.fixture
def record(editor, settings):
    """Audit rows in every table: sections, contributors, stories and credits edited,
    versions published, a reader's report triaged, the desk's and the partners' rows."""
    story = StoryFactory(slug="harbor", headline="Harbor dredging starts")
    CreditFactory(story=story, contributor__name="Maria Ortiz")
    publishing.publish(approved(story), user=editor)
    story.body += "\n\nThe work lasts a month."
    story.save()
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Duration."
    )
    editing.save_section(Section(name="Weather", slug="weather"), user=editor)
    editing.save_contributor(ContributorFactory.build(name="Ana Ruiz"), user=editor)
    report = reporting.submit_report(
        story.slug, seen_number=2, description="The month is wrong.", passage="a month"
    )
    reporting.change_report(report, user=editor, status="investigating", reason="Checking.")
    # The desk's and the partners' audited rows: a comment, a preview link, a key, a hook.
    story = Story.objects.get(pk=story.pk)
    comments.add_comment(story, user=editor, body="Is a month right?")
    previews.create_link(story, user=editor, label="The harbor board's lawyer")
    keys.create_key(name="Coastal app", contact="apps@coastal.example")
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # a receiver on this machine, as in development
    endpoints.add_endpoint(url="http://127.0.0.1:8500/hooks", contact="ops@partner.example")
    return Story.objects.get(pk=story.pk)


def test_every_audit_row_is_chained_and_the_chain_verifies(record):
    for model in audit_chain.chained_models():
        assert model.objects.exists(), model
        assert not model.objects.filter(chain_hash="").exists(), model
    report = audit_chain.verify()
    assert (report.problems, report.notes) == ([], [])
    out = StringIO()
    call_command("verify_revisions", stdout=out)
    assert out.getvalue().strip() == "1 stories verified, 2 log entries"


def test_bulk_writers_chain_their_rows_as_the_audit_trail_does(editor):
    long_record(StoryFactory(), editor, versions=30)
    assert audit_chain.verify().problems == []


@tampering.owner_test
@pytest.mark.parametrize("tamper", tampering.AUDIT_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_a_rewritten_or_deleted_audit_row_is_reported(editor, tamper):
    record = tampering.PublishedRecord.build(editor, StoryFactory)
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)

    problems = audit_chain.verify().problems
    assert any("does not follow from the row before it" in problem for problem in problems)
    with pytest.raises(CommandError, match="problems found"):
        call_command("verify_revisions", stdout=StringIO(), stderr=StringIO())


@tampering.owner_test
def test_a_chain_recomputed_without_the_key_is_reported(record, settings):
    """The attacker who owns the database knows the code but not the key: a chain made
    whole again with any other key fails from the row they rewrote onwards."""
    history = Story.history.model
    rows = list(history.objects.order_by("history_id"))
    site_key, settings.AUDIT_CHAIN_KEY = settings.AUDIT_CHAIN_KEY, "ee" * 32  # theirs
    with tampering.as_database_owner() as cursor:
        cursor.execute(
            "UPDATE stories_historicalstory SET history_change_reason = %s WHERE history_id = %s",
            ["Nothing to see here", rows[0].history_id],
        )
        audit_chain.chain_table(history, tampering.privileges.owner_alias())
    settings.AUDIT_CHAIN_KEY = site_key
    problems = audit_chain.verify().problems
    assert f"stories_historicalstory row {rows[0].history_id} does not follow" in problems[0]
    assert len(problems) == len(rows)


@tampering.owner_test
def test_deleting_a_versions_newest_audit_row_is_reported(record):
    """Rows cut from the end of a table leave nothing after them to break; a version
    whose creation row is gone is reported all the same."""
    latest = record.revisions.get(number=2)
    tampering.sql("DELETE FROM stories_historicalrevision WHERE id = %s", latest.pk)
    assert audit_chain.verify().problems == [
        "harbor version 2 has no creation row in the audit trail (deleted)"
    ]


def test_a_row_written_around_the_audit_trail_is_reported(record):
    history = Section.history.model
    history.objects.bulk_create(
        [history(id=999, name="Sneaked", slug="sneaked", description="", history_type="+",
                 history_date=record.modified_at)]
    )  # fmt: skip
    problems = audit_chain.verify().problems
    assert len(problems) == 1 and problems[0].endswith(
        "is not chained (written around the audit trail)"
    )


@tampering.owner_test
def test_a_migration_chains_the_rows_already_there(record):
    """What migration audit_chain does to an existing database: every row chained in its
    order, the append-only triggers lifted for it and back afterwards."""
    tampering.sql("UPDATE stories_historicalstory SET chain_hash = ''")
    assert audit_chain.verify().problems  # unchained rows
    owner = tampering.privileges.owner_alias()
    with transaction.atomic(using=owner):
        chained = audit_chain.chain_table(Story.history.model, owner)
    assert chained == Story.history.count()
    assert audit_chain.verify().problems == []


@tampering.owner_test
def test_a_migration_that_changes_an_audit_tables_columns_refuses_a_broken_chain(record):
    check, chain = audit_chain.rechained("historicalstory")
    tampering.sql("UPDATE stories_historicalstory SET history_change_reason = 'Rewritten'")

    class Editor:
        connection = connections[tampering.privileges.owner_alias()]

    from django.apps import apps

    with pytest.raises(RuntimeError, match="Refusing to chain stories_historicalstory again"):
        check.code(apps, Editor())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_queue_on_the_chain(editor):
    """Two editors saving different stories at the same instant, several times over: each
    row is linked to the one committed before it, never two to the same row."""
    stories = [StoryFactory(slug=f"story-{n}") for n in range(2)]
    rounds = 8

    def edit(story, number):
        with transaction.atomic():
            fresh = Story.objects.get(pk=story.pk)
            fresh.body = f"Draft {number} of {story.slug}."
            fresh.save()

    at_once(stories, rounds, edit)
    assert Story.history.count() == len(stories) * (rounds + 1)
    assert audit_chain.verify().problems == []


def test_reports_are_chained_too(record):
    report = ErrorReport.objects.get()
    assert report.history.count() == 2
    assert all(row.chain_hash for row in report.history.all())
    assert Revision.history.filter(history_type="+").count() == 2
