"""The public record's JSON (stories/reader/record.py) and the history page's hashes."""

import pytest
from django.urls import reverse

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Story
from stories.reader import record
from stories.record import outside_verifier, signing
from stories.record.integrity import HASH_VERSION, hash_payload
from tests.factories import StoryFactory, approved, long_record


def publish_update(story, editor, note="An update."):
    return publishing.publish(
        approved(Story.objects.get(pk=story.pk)),
        user=editor,
        kind=RevisionKind.UPDATE,
        public_note=note,
    )


@pytest.fixture
def published(story, editor):
    publishing.publish(approved(story), user=editor)
    publishing.publish(approved(StoryFactory(slug="another-story")), user=editor)
    publish_update(story, editor)
    return Story.objects.get(pk=story.pk)


def test_the_tree_head_is_signed_and_names_its_key(published, client):
    head = client.get(reverse("reader:log_head")).json()

    assert head["tree_size"] == 3 and head["public_key"] == signing.public_key_hex()
    data = outside_verifier.tree_head_data(
        head["tree_size"], head["timestamp"], bytes.fromhex(head["root_hash"])
    )
    assert signing.is_valid(head["public_key"], head["signature"], data)
    key = client.get(reverse("reader:log_public_key"))
    assert key.content.decode() == f"{signing.public_key_hex()}\n"
    assert key["Content-Type"].startswith("text/plain")


def test_a_story_record_has_every_version_with_its_payload_hash_leaf_and_proof(published, client):
    data = client.get(reverse("reader:story_record", args=[published.slug])).json()

    assert data["story"] == {
        "id": str(published.public_id),
        "slug": published.slug,
        "url": f"/stories/{published.slug}/",
        "versions": 2,
    }
    head = data["tree_head"]
    versions = data["versions"]
    assert [v["number"] for v in versions] == [1, 2] and [v["leaf_index"] for v in versions] == [
        0,
        2,
    ]
    assert versions[1]["previous_hash"] == versions[0]["hash"]
    for version in versions:
        payload = version["payload"]
        assert hash_payload(payload) == version["hash"]
        assert hash_payload(version["content"]) == payload["content_sha256"]
        assert (payload["v"], payload["story"], payload["slug"], payload["number"]) == (
            HASH_VERSION,
            str(published.public_id),
            published.slug,
            version["number"],
        )
        proof = [bytes.fromhex(value) for value in version["inclusion_proof"]]
        leaf = outside_verifier.leaf_hash(bytes.fromhex(version["hash"]))
        root = bytes.fromhex(head["root_hash"])
        assert outside_verifier.verify_inclusion(
            version["leaf_index"], head["tree_size"], leaf, proof, root
        )
    assert versions[1]["content"]["body"] == published.latest_revision.body
    assert "picture_url" not in versions[1]  # no picture, no address
    assert (data["page"], data["pages"], data["next"]) == (1, 1, None)


def test_a_long_record_comes_in_pages_and_entries_too(story, editor, client, monkeypatch):
    monkeypatch.setattr(record, "RECORD_PER_PAGE", 4)
    monkeypatch.setattr(record, "ENTRIES_PER_PAGE", 5)
    long_record(story, editor, versions=10)
    url = reverse("reader:story_record", args=[story.slug])

    pages, next_url = [], url
    while next_url:
        page = client.get(next_url).json()
        pages.append([version["number"] for version in page["versions"]])
        next_url = page["next"]
    entries, next_url = [], reverse("reader:log_entries")
    while next_url:
        page = client.get(next_url).json()
        entries += page["entries"]
        next_url = page["next"]

    assert pages == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert [entry["number"] for entry in entries] == list(range(1, 11))
    assert {entry["slug"] for entry in entries} == {story.slug}
    hashes = [bytes.fromhex(entry["hash"]) for entry in entries]
    head = client.get(reverse("reader:log_head")).json()
    assert outside_verifier.root_of(hashes).hex() == head["root_hash"]


def test_consistency_proofs_between_any_two_sizes(published, editor, client):
    first = client.get(reverse("reader:log_head")).json()
    publish_update(published, editor, "Later.")
    second = client.get(reverse("reader:log_head")).json()

    url = reverse("reader:log_consistency", args=[first["tree_size"], second["tree_size"]])
    proof = [bytes.fromhex(value) for value in client.get(url).json()["proof"]]

    assert outside_verifier.verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        proof,
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/log/consistency/0/2.json", "first must be at least 1"),
        ("/log/consistency/3/2.json", "first (3) must not be larger than second (2)."),
        ("/log/consistency/1/9.json", "second (9) is larger than the log (3 entries)."),
        ("/log/entries.json?start=x", "start is the index of the first entry"),
        ("/log/entries.json?start=7", "start (7) is past the end of the log (3 entries)."),
        ("/stories/no-such-story/record.json", "There is no published story at this address."),
        ("/stories/council-debates-harbor-plan-0/record.json?page=2", "there is no page 2"),
    ],
)
def test_what_is_not_in_the_record_answers_404_saying_why(published, client, path, message):
    Story.objects.filter(pk=published.pk).update(slug="council-debates-harbor-plan-0")
    response = client.get(path)
    assert response.status_code == 404
    assert message in response.json()["error"]


def test_drafts_have_no_record(story, client):
    response = client.get(reverse("reader:story_record", args=[story.slug]))
    assert response.status_code == 404


def test_the_json_is_cached_like_reader_pages_and_fresh_after_a_publish(
    published, editor, client, django_capture_on_commit_callbacks
):
    url = reverse("reader:story_record", args=[published.slug])
    first = client.get(url)
    again = client.get(url)
    assert (first["X-Reader-Cache"], again["X-Reader-Cache"]) == ("miss", "hit")
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    assert first["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    head = client.get(reverse("reader:log_head"))

    with django_capture_on_commit_callbacks(execute=True):  # as a committed publish does
        publish_update(published, editor, "Later.")

    assert len(client.get(url).json()["versions"]) == 3
    assert (
        client.get(reverse("reader:log_head")).json()["tree_size"] == head.json()["tree_size"] + 1
    )


def test_the_history_page_shows_each_versions_short_hash_and_links_the_record(published, client):
    page = client.get(reverse("reader:history", args=[published.slug])).content.decode()
    record_url = reverse("reader:story_record", args=[published.slug])

    for revision in published.revisions.all():
        assert f"<code>{revision.content_hash[:12]}</code>" in page
    assert page.count(f'href="{record_url}"') == 3  # two versions, and the note below
    assert 'href="/log/public-key.txt"' in page


def test_the_history_links_each_version_to_the_page_of_the_record_that_holds_it(
    story, editor, client
):
    long_record(story, editor, versions=52)
    page = client.get(reverse("reader:history", args=[story.slug])).content.decode()
    record_url = reverse("reader:story_record", args=[story.slug])
    latest = story.revisions.get(number=52)

    assert f'href="{record_url}?page=2" title="SHA-256 {latest.content_hash}"' in page
    version_50 = story.revisions.get(number=50)
    assert f'href="{record_url}" title="SHA-256 {version_50.content_hash}"' in page
    second = client.get(f"{record_url}?page=2").json()
    assert [version["number"] for version in second["versions"]] == [51, 52]


def test_a_withdrawn_storys_record_keeps_the_hashes_and_envelopes_but_no_text(
    published, editor, client
):
    """One rule for withdrawn text: no public address serves it, the record included;
    what the hashes cover besides the text still verifies (payload version 4)."""
    publishing.withdraw(
        approved(Story.objects.get(pk=published.pk), purpose="withdraw"),
        user=editor,
        public_note="Withdrawn: unsourced.",
    )
    data = client.get(reverse("reader:story_record", args=[published.slug])).json()
    withdrawal = data["story"]["withdrawn"]

    assert withdrawal["note"] == "Withdrawn: unsourced."
    assert [version["payload"]["kind"] for version in data["versions"]] == [
        "first",
        "update",
        "withdrawal",
    ]
    for version in data["versions"]:
        assert version["withdrawn"] == withdrawal
        assert "content" not in version and "picture_url" not in version
        assert hash_payload(version["payload"]) == version["hash"]
    body = client.get(reverse("reader:story_record", args=[published.slug])).content.decode()
    assert published.latest_revision.body.split("\n")[0] not in body
    assert published.latest_revision.headline not in body


def test_a_withdrawn_version_hashed_before_envelopes_keeps_its_hash_without_a_payload(
    story, editor, client, settings
):
    from unittest import mock

    from stories.record import integrity

    with mock.patch.object(publishing, "HASH_VERSION", 3):
        publishing.publish(approved(story), user=editor)
    assert integrity.ENVELOPED.isdisjoint({story.revisions.get().hash_version})
    publishing.withdraw(
        approved(Story.objects.get(pk=story.pk), purpose="withdraw"),
        user=editor,
        public_note="Gone.",
    )
    first = client.get(reverse("reader:story_record", args=[story.slug])).json()["versions"][0]
    assert "payload" not in first and first["withdrawn"]["note"] == "Gone."
    assert first["hash"] == story.revisions.get(number=1).content_hash
