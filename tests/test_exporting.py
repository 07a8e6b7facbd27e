"""Exporting a story's full record (stories.interchange.exporting, manage.py export_story)."""

import hashlib
import json
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.interchange.exporting import SCHEMA_VERSION, export_story, export_story_json
from stories.interchange.importing import import_file
from stories.models import Credit, Story
from stories.record.integrity import CONTENT_FIELDS, ENVELOPE_FIELDS, PAYLOAD_FIELDS
from tests.factories import ContributorFactory, CreditFactory, StoryFactory, approved

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))


def save(obj, user, reason):
    obj._history_user = user
    obj._change_reason = reason
    obj.save()


@pytest.fixture
def updated_story(story, editor, reporter):
    """Published, edited with reasons (story and credits), then corrected."""
    publishing.publish(approved(story), user=editor)
    story.body += "\n\nThe vote was 5-2."
    story.dek = "The council voted on Tuesday."
    save(story, reporter, "Added the vote count")
    first, second = story.ordered_credits()
    first.position, second.position = 1, 0
    save(first, reporter, "Credits reordered")
    save(second, reporter, "Credits reordered")
    added = Credit(
        story=story,
        contributor=ContributorFactory(name="Ines Marwood", slug="ines-marwood"),
        role="contributed",
        position=2,
    )
    save(added, reporter, "Added a contributor")
    added._history_user = reporter
    added._change_reason = "Wrong person"
    added.delete()
    publishing.publish(
        approved(story),
        user=editor,
        kind=RevisionKind.CORRECTION,
        public_note="The vote was 5-2, not 4-3.",
    )
    return Story.objects.get(pk=story.pk)


def story_entries(data, **match):
    return [
        entry
        for entry in data["history"]
        if all(entry.get(key) == value for key, value in match.items())
    ]


def changes(entry):
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


def test_round_trip_of_a_published_and_updated_story(updated_story, editor, reporter):
    data = json.loads(export_story_json(updated_story))

    assert data["schema_version"] == SCHEMA_VERSION == 2
    story = data["story"]
    assert story["slug"] == updated_story.slug
    assert story["body"] == updated_story.body
    assert story["status"] == "published"
    assert story["latest_revision"] == 2
    assert story["edit_number"] == updated_story.edit_number
    assert [(c["contributor"]["name"], c["role"], c["position"]) for c in story["credits"]] == [
        ("Dev Patel", "contributed", 0),
        ("Maria Ortiz", "byline", 1),
    ]
    assert story["source"] is None

    revisions = data["revisions"]
    stored = list(updated_story.revisions.order_by("number"))
    assert len(revisions) == 2
    assert [r["number"] for r in revisions] == [1, 2]
    assert [r["kind"] for r in revisions] == ["first", "correction"]
    assert revisions[1]["public_note"] == "The vote was 5-2, not 4-3."
    assert [r["content_hash"] for r in revisions] == [r.content_hash for r in stored]
    assert revisions[0]["previous_hash"] == ""
    assert revisions[1]["previous_hash"] == revisions[0]["content_hash"]
    assert {r["published_by"] for r in revisions} == {"editor"}
    assert "The vote was 5-2." in revisions[1]["body"]
    assert "The vote was 5-2." not in revisions[0]["body"]

    # The editor's edit: who, why, and the fields with old and new values.
    (edit,) = story_entries(data, model="story", reason="Added the vote count")
    assert edit["user"] == "reporter"
    assert edit["action"] == "changed"
    assert sorted(changes(edit)) == ["body", "dek"]
    assert changes(edit)["dek"] == (
        "The vote is expected next month.",
        "The council voted on Tuesday.",
    )
    assert changes(edit)["body"][1].endswith("The vote was 5-2.")

    publishes = story_entries(data, model="story", user="editor", action="changed")
    assert [e["reason"] for e in publishes] == [
        "Published as version 1 (First publication)",
        "Published as version 2 (Correction)",
    ]
    assert changes(publishes[0])["status"] == ("draft", "published")
    assert changes(publishes[1])["latest_revision"] == (1, 2)
    assert [e["edit_number"] for e in story_entries(data, model="story")] == sorted(
        e["edit_number"] for e in story_entries(data, model="story")
    )

    # The credits' own trail: created, reordered, added and deleted.
    reordered = story_entries(data, model="credit", reason="Credits reordered")
    assert [changes(e) for e in reordered] == [{"position": (0, 1)}, {"position": (1, 0)}]
    assert {e["user"] for e in reordered} == {"reporter"}
    (added,) = story_entries(data, model="credit", reason="Added a contributor")
    (deleted,) = story_entries(data, model="credit", reason="Wrong person")
    assert added["object_id"] == deleted["object_id"]
    assert added["action"] == "created"
    assert changes(added)["contributor"] == (None, "ines-marwood")
    assert added["credit"] == {
        "contributor": "ines-marwood",
        "name": "Ines Marwood",
        "role": "contributed",
        "affiliation": "",
        "position": 2,
    }
    assert (deleted["action"], deleted["reason"], deleted["user"]) == (
        "deleted",
        "Wrong person",
        "reporter",
    )
    assert changes(deleted)["contributor"] == ("ines-marwood", None)

    # One timeline, oldest first.
    times = [datetime.fromisoformat(entry["at"]) for entry in data["history"]]
    assert times == sorted(times)


def test_revision_hashes_can_be_checked_from_the_export_alone(updated_story):
    """An importing tool can verify the chain with nothing but the JSON."""
    exported = export_story(updated_story)
    previous = ""

    def sha256(value) -> str:
        canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    for revision in exported["revisions"]:
        if revision["hash_version"] == 4:  # the content hashed apart, in an envelope
            payload = {name: revision[name] for name in ENVELOPE_FIELDS}
            payload["content_sha256"] = sha256({name: revision[name] for name in CONTENT_FIELDS})
        else:
            payload = {name: revision[name] for name in PAYLOAD_FIELDS[revision["hash_version"]]}
        payload.update(
            v=revision["hash_version"],
            story=exported["story"]["public_id"],
            slug=exported["story"]["slug"],
            previous_hash=revision["previous_hash"],
        )
        assert sha256(payload) == revision["content_hash"]
        assert revision["previous_hash"] == previous
        previous = revision["content_hash"]
    leaves = [revision["leaf_index"] for revision in exported["revisions"]]
    assert leaves == sorted(leaves) and None not in leaves


def test_export_matches_the_documented_json_schema(updated_story, editor):
    import jsonschema  # here, not at the top: only this test needs it, and it is slow to load

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    validator.validate(json.loads(export_story_json(updated_story)))

    import_file(ROOT / "fixtures" / "samples" / "ferry-schedule-change.txt", user=editor)
    imported = Story.objects.get(slug="island-ferry-cuts-evening-crossings-for-the-winter")
    validator.validate(json.loads(export_story_json(imported)))

    broken = json.loads(export_story_json(updated_story))
    broken["revisions"][0]["content_hash"] = "not a hash"
    assert not validator.is_valid(broken)


def test_every_story_field_is_exported(updated_story):
    exported = export_story(updated_story)["story"]
    for field in Story._meta.concrete_fields:
        if field.name != "id":
            assert field.name in exported, field.name


def test_times_are_iso_8601_with_an_offset(updated_story):
    data = export_story(updated_story)
    times = [
        data["exported_at"],
        data["story"]["created_at"],
        data["story"]["first_published_at"],
        *(r["published_at"] for r in data["revisions"]),
        *(e["at"] for e in data["history"]),
    ]
    for value in times:
        assert datetime.fromisoformat(value).utcoffset() is not None, value
        assert value.endswith("+00:00")


def test_an_imported_draft_exports_its_source_and_notes(editor):
    import_file(ROOT / "fixtures" / "samples" / "library-expansion-budget.txt", user=editor)
    data = export_story(Story.objects.get())

    assert data["revisions"] == []
    assert data["story"]["latest_revision"] is None
    source = data["story"]["source"]
    assert source["filename"] == "library-expansion-budget.txt"
    assert source["imported_by"] == "editor"
    assert source["notes"] == [
        {
            "kind": "correction",
            "text": "An earlier version of this story misstated the size of the children's wing. It is 4,000 square feet.",
        }
    ]
    assert [c["credited_affiliation"] for c in data["story"]["credits"]] == [
        "Coastal Ledger",
        "Valley Courier",
    ]
    created = data["history"][0]
    assert (created["model"], created["action"], created["user"]) == ("story", "created", "editor")
    assert created["reason"] == "Imported from library-expansion-budget.txt"
    assert changes(created)["headline"] == (None, data["story"]["headline"])
    assert changes(created)["section"] == (None, "imported")


def test_query_count_does_not_grow_with_the_history(story, editor):
    publishing.publish(approved(story), user=editor)
    with CaptureQueriesContext(connection) as short:
        export_story(Story.objects.get(pk=story.pk))

    for number in range(5):
        story.body += f"\n\nParagraph {number}."
        save(story, editor, f"Edit {number}")
        CreditFactory(story=story, role="contributed")
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="More."
        )
    with CaptureQueriesContext(connection) as long:
        data = export_story(Story.objects.get(pk=story.pk))

    assert len(data["revisions"]) == 6
    assert len(long.captured_queries) == len(short.captured_queries)


# The command ---------------------------------------------------------------------------


def test_command_writes_json_to_stdout(updated_story):
    out = StringIO()
    call_command("export_story", updated_story.slug, stdout=out)
    data = json.loads(out.getvalue())
    assert data["story"]["slug"] == updated_story.slug
    assert len(data["revisions"]) == 2


def test_command_writes_to_a_file(updated_story, tmp_path):
    out = StringIO()
    target = tmp_path / "story.json"
    call_command(
        "export_story", updated_story.slug, "--format", "json", "--output", str(target), stdout=out
    )
    assert out.getvalue() == f"exported {updated_story.slug} to {target}\n"
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == 2


def test_command_unknown_slug_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"^no story with the slug 'no-such-story'$") as raised:
        call_command("export_story", "no-such-story", stdout=StringIO())
    assert raised.value.returncode == 1


def test_command_unwritable_output_is_a_clear_error(updated_story, tmp_path):
    target = tmp_path / "missing-folder" / "story.json"
    with pytest.raises(CommandError, match=rf"^cannot write {target}: No such file or directory$"):
        call_command("export_story", updated_story.slug, "--output", str(target))


def test_a_draft_never_published_exports_without_versions(db):
    story = StoryFactory()
    data = export_story(story)
    assert data["revisions"] == [] and data["story"]["credits"] == []
    assert [e["action"] for e in data["history"]] == ["created"]
