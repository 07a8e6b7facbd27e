"""The log's key signs only extensions of what it signed (stories/record/signer.py): its
record outside the database, what it refuses and how loudly, the re-signing that keeps
heads fresh, and the commands that show, adopt and acknowledge."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Revision, Story, TreeHead
from stories.record import merkle, signer, signing, transparency
from stories.record.outside_verifier import Checkpoint, NoteKey
from tests import tampering
from tests.factories import StoryFactory, approved


def publish_update(story, editor, note="An update."):
    return publishing.publish(
        approved(Story.objects.get(pk=story.pk)),
        user=editor,
        kind=RevisionKind.UPDATE,
        public_note=note,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def production_signer(settings):
    settings.LOG_SIGNER_TRUST_ON_FIRST_USE = False


def test_the_record_follows_each_committed_head_and_lives_beside_the_key(
    story, editor, committed, log_signer_state
):
    with committed():
        publishing.publish(approved(story), user=editor)
        publish_update(story, editor)
    newest = transparency.latest_head()

    assert signer.last_signed() == signer.Head(2, bytes.fromhex(newest.root_hash), newest.timestamp)
    saved = json.loads(log_signer_state.read_text())
    assert saved["head"] == {
        "size": 2,
        "root_hash": newest.root_hash,
        "timestamp": newest.timestamp,
    }
    assert log_signer_state.stat().st_mode & 0o077 == 0  # beside the key, as private as it
    assert transparency.verify_log() == []


def test_a_publish_that_rolls_back_leaves_the_record_where_it_was(story, editor, committed):
    with committed():
        publishing.publish(approved(story), user=editor)
    before = signer.last_signed()

    with pytest.raises(RuntimeError), committed(), transaction.atomic():
        publish_update(story, editor)
        raise RuntimeError("something after the publish failed")

    assert signer.last_signed() == before
    with committed():
        publish_update(story, editor, "Second try.")  # the log still extends the record
    assert signer.last_signed().size == 2


def test_the_record_only_moves_forward(committed):
    newer = signer.Head(5, bytes(32), 2_000)
    signer.remember(newer)
    signer.remember(signer.Head(4, bytes(32), 3_000))  # a late commit of an older head
    signer.remember(signer.Head(5, bytes(32), 1_000))
    assert signer.last_signed() == newer


def test_heads_never_go_back_in_time(story, editor, committed):
    with committed():
        publishing.publish(approved(story), user=editor)
    ahead = signer.last_signed().timestamp + 60_000  # another server's clock ran ahead
    signer.remember(signer.Head(1, signer.last_signed().root, ahead), replace=True)
    with committed():
        publish_update(story, editor)
    assert transparency.latest_head().timestamp == ahead + 1


@tampering.owner_test
@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (tampering.rewrite_version_2_and_recompute_everything, "it was rewritten"),
        (tampering.delete_the_two_newest_versions, "entries were removed"),
    ],
    ids=["rewritten", "removed"],
)
def test_a_tree_that_is_not_an_extension_is_never_signed(editor, committed, tamper, problem):
    with committed():
        record = tampering.PublishedRecord.build(editor, StoryFactory)
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    heads = TreeHead.objects.count()

    with pytest.raises(signer.NotAnExtension, match=problem):
        transparency.resign()
    with pytest.raises(ValidationError, match=problem):
        publish_update(record.b, editor)

    assert TreeHead.objects.count() == heads
    assert len(signer.unacknowledged_refusals()) == 2


def test_the_same_size_with_another_root_is_refused(story, editor, committed):
    with committed():
        publishing.publish(approved(story), user=editor)
    root = bytes.fromhex(transparency.latest_head().root_hash)
    with pytest.raises(signer.NotAnExtension, match="another tree than the head of 1 entries"):
        signer.sign(1, bytes(32), 0, previous_size=1, proof=lambda first, second: [])
    assert signer.sign(1, root, 0, previous_size=1, proof=lambda first, second: [])


def test_in_production_a_log_without_a_record_is_refused_until_adopted(
    story, editor, production_signer, committed, capsys
):
    """A new site starts its record with its first head; a log that already has entries
    and no record (an upgrade, a lost file) waits for an operator."""
    with committed():
        publishing.publish(approved(story), user=editor)
    signer.state_path().unlink()

    with pytest.raises(ValidationError, match="has no record of the heads its key signed"):
        publish_update(story, editor)
    assert Revision.objects.count() == 1
    assert "the signer has no record" in transparency.verify_log()[-1]

    call_command("log_signer", "--adopt")
    assert "adopted tree head 1 as the last one the key signed" in capsys.readouterr().out
    assert transparency.verify_log() == []
    with committed():
        publish_update(story, editor)
    assert signer.last_signed().size == 2


@tampering.owner_test
def test_adopting_refuses_a_log_that_is_broken_inside(story, editor, committed):
    with committed():
        publishing.publish(approved(story), user=editor)
    with tampering.as_database_owner() as cursor:
        cursor.execute("UPDATE stories_logleaf SET entry_hash = %s", ["00" * 32])
    with pytest.raises(CommandError, match="not adopted: the log itself has"):
        call_command("log_signer", "--adopt", stderr=None)


@tampering.owner_test
def test_in_production_an_emptied_database_does_not_start_a_new_log(
    story, editor, production_signer, committed
):
    with committed():
        publishing.publish(approved(story), user=editor)
    with committed():
        publish_update(story, editor)
    with tampering.as_database_owner() as cursor:
        for table in ("stories_treehead", "stories_lognode", "stories_logleaf"):
            cursor.execute(f"DELETE FROM {table}")
    with pytest.raises(ValidationError, match="fewer than the head of 2 entries"):
        publishing.publish(approved(StoryFactory()), user=editor)


def test_on_a_laptop_a_new_database_starts_a_new_log(story, editor, committed):
    signer.remember(signer.Head(9, bytes(32), 1_000))  # the record of a deleted database
    with committed():
        publishing.publish(approved(story), user=editor)
    assert signer.last_signed().size == 1


def test_an_unreadable_record_refuses_everything(story, editor, log_signer_state, client):
    log_signer_state.write_text("{not json")
    with pytest.raises(ValidationError, match="cannot be read"):
        publishing.publish(approved(story), user=editor)
    ready = client.get("/health/ready/", headers={"accept": "application/json"})
    assert ready.status_code == 503 and "cannot be read" in ready.json()["LogSigner()"]


def test_heads_carry_a_checkpoint_signature_in_the_c2sp_format(story, editor, settings):
    settings.LOG_ORIGIN = "news.example.com/log"
    publishing.publish(approved(story), user=editor)
    head = transparency.latest_head()

    key = NoteKey("news.example.com/log", 0x01, bytes.fromhex(signing.public_key_hex()))
    text = Checkpoint(head.origin, 1, bytes.fromhex(head.root_hash)).text
    assert head.origin == "news.example.com/log"
    assert key.verify(bytes.fromhex(head.note_signature), text.encode())
    data = merkle.tree_head_data(1, head.timestamp, bytes.fromhex(head.root_hash))
    assert signing.is_valid(signing.public_key_hex(), head.signature, data)


def test_re_signing_keeps_the_size_and_moves_the_time(story, editor, committed, capsys):
    call_command("sign_tree_head")
    assert capsys.readouterr().out == "nothing to sign: the log is empty\n"
    with committed():
        publishing.publish(approved(story), user=editor)
    first = transparency.latest_head()
    with committed():
        call_command("sign_tree_head")

    second = transparency.latest_head()
    assert (second.size, second.root_hash) == (first.size, first.root_hash)
    assert second.timestamp > first.timestamp and second.pk != first.pk
    assert capsys.readouterr().out.startswith("signed tree head 1 at ")
    assert signer.last_signed().timestamp == second.timestamp
    assert transparency.verify_log() == []


def test_the_worker_can_re_sign_too(story, editor, committed, capsys):
    """django-tasks runs it at once in the tests (the immediate backend)."""
    publishing.publish(approved(story), user=editor)
    call_command("sign_tree_head", "--enqueue")
    assert capsys.readouterr().out.startswith("enqueued for the worker")
    assert TreeHead.objects.filter(size=1).count() == 2


@tampering.owner_test
def test_verify_revisions_reports_heads_that_shrink_and_leaves_no_head_covers(
    story, editor, committed
):
    with committed():
        publishing.publish(approved(story), user=editor)
        publish_update(story, editor)
    newest = transparency.latest_head()
    with tampering.as_database_owner() as cursor:
        # A head of size 1 re-dated after the head of size 2, and the head of 2 removed.
        first = TreeHead.objects.get(size=1)
        cursor.execute(
            "UPDATE stories_treehead SET timestamp = %s WHERE id = %s",
            [newest.timestamp + 1, first.pk],
        )
    problems = transparency.verify_log()
    assert any("tree head 1: the signature does not verify" in p for p in problems)
    assert any(
        p.startswith("tree head 1 signed at") and "is smaller than tree head 2" in p
        for p in problems
    )
    with tampering.as_database_owner() as cursor:
        cursor.execute("DELETE FROM stories_treehead WHERE size = 2")
    problems = transparency.verify_log()
    assert "leaf 1 is covered by no signed tree head" in problems
    assert any(p.endswith("is not in the database: tree heads were deleted") for p in problems)


@tampering.owner_test
@pytest.mark.django_db(transaction=True)
def test_log_signer_shows_the_record_and_acknowledges_refusals(editor, capsys, client):
    record = tampering.PublishedRecord.build(editor, StoryFactory)
    with tampering.as_database_owner() as cursor:
        tampering.delete_the_two_newest_versions(record, cursor)
    with pytest.raises(CommandError, match="the log's key refused to sign"):
        call_command("sign_tree_head")
    capsys.readouterr()

    call_command("log_signer")
    shown = capsys.readouterr().out
    assert "last head signed: 6 entries at" in shown
    assert "(NOT ACKNOWLEDGED): the log has 4 entries, fewer than the head of 6 entries" in shown
    assert client.get("/health/ready/")["X-Newsroom-Health"] == "degraded"

    call_command("log_signer", "--acknowledge")
    assert capsys.readouterr().out.startswith("1 refusal(s) acknowledged")
    assert client.get("/health/ready/")["X-Newsroom-Health"] == "ok"


def test_a_laptops_new_database_starts_a_new_log_in_one_transaction(
    editor, committed, log_signer_state
):
    """``rm db.sqlite3 && make run``: the record names the old database's longer log, and
    the demo's loader publishes many versions in one transaction. The first starts a new
    log; the next ones extend it (not the old record, replaced only at the commit)."""
    signer.remember(signer.Head(8, bytes(32), 1_000))  # the old database's log
    first, second = StoryFactory(slug="first-story"), StoryFactory(slug="second-story")

    with committed(), transaction.atomic():
        publishing.publish(approved(first), user=editor)
        publishing.publish(approved(second), user=editor)
        publish_update(first, editor)

    newest = transparency.latest_head()
    assert (newest.size, signer.last_signed().size) == (3, 3)
    assert signer.last_signed().root == bytes.fromhex(newest.root_hash)
    assert signer.read_record().refusals == []


def test_in_production_an_old_record_still_refuses_a_new_log_after_the_first_head(
    editor, committed, production_signer
):
    signer.remember(signer.Head(8, bytes(32), 1_000))
    story = StoryFactory()

    with pytest.raises(ValidationError, match="fewer than the head of 8 entries"), committed():
        publishing.publish(approved(story), user=editor)

    assert signer.last_signed().size == 8
