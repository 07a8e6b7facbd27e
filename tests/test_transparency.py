"""The transparency log (stories/record/transparency.py): each publish appends its version's hash,
in order and without gaps, with a signed tree head; the proofs it serves verify."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import LogLeaf, LogNode, Story, TreeHead
from stories.record import merkle, outside_verifier, signing, transparency
from stories.record.integrity import revision_hash
from tests.concurrency import at_once
from tests.factories import StoryFactory, approved, long_record


def publish_update(story, editor, note="An update."):
    return publishing.publish(
        approved(Story.objects.get(pk=story.pk)),
        user=editor,
        kind=RevisionKind.UPDATE,
        public_note=note,
    )


def head_verifies(head) -> bool:
    data = merkle.tree_head_data(head.size, head.timestamp, bytes.fromhex(head.root_hash))
    return signing.is_valid(signing.public_key_hex(), head.signature, data)


def test_each_publish_appends_its_hash_and_signs_a_new_head(story, editor):
    first = publishing.publish(approved(story), user=editor)
    other = publishing.publish(approved(StoryFactory()), user=editor)
    update = publish_update(story, editor)

    leaves = list(LogLeaf.objects.order_by("index"))
    assert [(leaf.index, leaf.revision) for leaf in leaves] == [(0, first), (1, other), (2, update)]
    assert all(leaf.entry_hash == leaf.revision.content_hash for leaf in leaves)
    heads = list(TreeHead.objects.order_by("size"))
    assert [head.size for head in heads] == [1, 2, 3]
    assert all(head_verifies(head) for head in heads)
    entries = [bytes.fromhex(leaf.entry_hash) for leaf in leaves]
    assert heads[-1].root_hash == outside_verifier.root_of(entries).hex()
    assert transparency.verify_log() == []


def test_a_publish_that_fails_leaves_no_gap(story, editor, monkeypatch):
    publishing.publish(approved(story), user=editor)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(transparency, "sign_head", broken)
    with pytest.raises(RuntimeError):
        publish_update(story, editor)
    monkeypatch.undo()
    publish_update(story, editor, "Second try.")

    assert list(LogLeaf.objects.values_list("index", flat=True)) == [0, 1]
    assert Story.objects.get(pk=story.pk).revisions.count() == 2
    assert transparency.verify_log() == []


def test_the_proofs_it_serves_verify_against_its_signed_heads(story, editor):
    publishing.publish(approved(story), user=editor)
    for number in range(12):
        if number % 3:
            publishing.publish(approved(StoryFactory()), user=editor)
        else:
            publish_update(story, editor, f"Update {number}")
    heads = {head.size: head for head in TreeHead.objects.all()}
    latest = heads[max(heads)]
    leaves = list(LogLeaf.objects.order_by("index").values_list("index", "entry_hash"))

    proofs = transparency.inclusion_proofs([index for index, _ in leaves], latest.size)
    for index, entry in leaves:
        proof = [bytes.fromhex(value) for value in proofs[index]]
        leaf = merkle.leaf_hash(bytes.fromhex(entry))
        root = bytes.fromhex(latest.root_hash)
        assert outside_verifier.verify_inclusion(index, latest.size, leaf, proof, root)
    for first in heads.values():
        proof = [
            bytes.fromhex(value) for value in transparency.consistency(first.size, latest.size)
        ]
        assert outside_verifier.verify_consistency(
            first.size,
            latest.size,
            bytes.fromhex(first.root_hash),
            bytes.fromhex(latest.root_hash),
            proof,
        )


def test_an_append_reads_and_writes_the_same_whatever_the_size_of_the_log(story, editor):
    """O(log n) work in a constant number of queries: the same at 10 leaves as at 1,000."""
    long_record(story, editor, versions=10)

    def queries_of_one_publish():
        approved(story)  # the second editor's approval is not the publish's work
        with CaptureQueriesContext(connection) as captured:
            publish_update(story, editor)
        return len(captured)

    small = queries_of_one_publish()
    long_record(StoryFactory(), editor, versions=1000)
    assert LogLeaf.objects.count() > 1000
    large = queries_of_one_publish()

    assert small == large
    nodes = LogNode.objects.count()
    assert nodes < 2 * LogLeaf.objects.count()
    assert transparency.verify_log() == []


def test_verify_log_notices_a_head_signed_by_another_key(story, editor, settings):
    publishing.publish(approved(story), user=editor)
    settings.LOG_SIGNING_KEY = "42" * 32  # the key was changed without a word
    assert transparency.verify_log() == [
        f"tree head 1: signed by another key ({TreeHead.objects.get().public_key})"
    ]


def test_the_versions_hash_covers_the_story_identity_and_number(story, editor):
    revision = publishing.publish(approved(story), user=editor)
    other = StoryFactory()

    assert revision.content_hash == revision_hash(revision, story)
    assert revision_hash(revision, other) != revision.content_hash
    revision.number = 2
    assert revision_hash(revision, story) != revision.content_hash


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_take_gap_free_leaf_indexes_in_commit_order(editor):
    """Three editors publish three stories at the same instant, over and over, in real
    PostgreSQL transactions (three threads: with the test's own connection, the pool's
    default of four): every index is taken once, none is skipped, each story's versions
    are logged in order, and the log verifies."""
    stories = [StoryFactory(slug=f"concurrent-{n}") for n in range(3)]
    for story in stories:
        publishing.publish(approved(story), user=editor)
    rounds = 5
    at_once(stories, rounds, lambda story, number: publish_update(story, editor, f"round {number}"))

    expected = len(stories) * (1 + rounds)
    assert list(LogLeaf.objects.order_by("index").values_list("index", flat=True)) == list(
        range(expected)
    )
    assert TreeHead.objects.order_by("-size").first().size == expected
    assert transparency.verify_site() == []
