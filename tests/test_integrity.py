"""Published revisions are immutable and chained by hash."""

import pytest

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import ImmutableRevisionError, Revision
from stories.record.integrity import revision_hash, verify_story
from tests.factories import approved
from tests.tampering import as_database_user, owner_test, refused_by_the_database, sql


@pytest.fixture
def published(story, editor):
    publishing.publish(approved(story), user=editor)
    story.body += "\n\nA third paragraph."
    story.save()
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Added a paragraph."
    )
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="Fixed a name."
    )
    return story


def test_hash_chain_links_each_revision_to_the_previous(published):
    revisions = list(published.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3]
    assert revisions[0].previous_hash == ""
    for previous, current in zip(revisions, revisions[1:], strict=False):
        assert current.previous_hash == previous.content_hash
    for revision in revisions:
        assert revision.content_hash == revision_hash(revision)
        assert len(revision.content_hash) == 64
    assert verify_story(published) == []


@owner_test
def test_tampering_is_refused_by_the_database_and_detected_behind_its_back(published):
    revision = published.revisions.get(number=2)
    update = "UPDATE stories_revision SET headline = %s WHERE id = %s"
    with refused_by_the_database(), as_database_user() as cursor:
        cursor.execute(update, ["Tampered", revision.pk])
    assert verify_story(published) == []

    sql(update, "Tampered", revision.pk)  # the database owner lifts the trigger

    assert verify_story(published) == ["version 2: content does not match its hash"]


def test_revision_cannot_be_edited_through_the_orm(published):
    revision = published.revisions.get(number=1)
    original = revision.headline
    revision.headline = "Rewritten history"
    with pytest.raises(ImmutableRevisionError):
        revision.save()
    with pytest.raises(ImmutableRevisionError):
        Revision.objects.filter(pk=revision.pk).update(headline="Rewritten")
    with pytest.raises(ImmutableRevisionError):
        revision.delete()
    with pytest.raises(ImmutableRevisionError):
        Revision.objects.all().delete()
    assert Revision.objects.get(pk=revision.pk).headline == original


def test_revision_cannot_be_edited_or_deleted_through_the_admin(published, client_for, editor):
    editor.is_superuser = True
    editor.save()
    client = client_for(editor)
    revision = published.revisions.get(number=1)
    original = revision.headline

    response = client.post(
        f"/admin/stories/revision/{revision.pk}/change/", {"headline": "Rewritten"}
    )
    assert response.status_code == 403
    response = client.post(f"/admin/stories/revision/{revision.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Revision.objects.get(pk=revision.pk).headline == original
    assert Revision.objects.count() == 3
