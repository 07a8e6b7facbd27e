"""The database side of importing plain-text stories (stories.interchange.importing).

The parser has its own, database-free tests (test_plaintext.py); these check the rows an
import writes, their history, publishing through the service, idempotency and rollback.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.interchange import importing
from stories.interchange.importing import ImportStatus, import_file, import_text
from stories.interchange.plaintext import parse_story
from stories.models import Contributor, Credit, Revision, Section, Story, StorySource
from stories.record.integrity import verify_story
from tests.factories import ContributorFactory, SectionFactory, StoryFactory

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


@pytest.fixture
def editor(editor):
    """The importing editor. An archive is published without a second editor's approval
    (it was checked where it first appeared), so importing it with ``publish`` needs
    ``stories.publish_without_review``, as the system user has (docs/desk.md)."""
    from tests.factories import granted

    return granted(editor, "publish_without_review")


CONTRIBUTED = CreditRole.CONTRIBUTED.value

#: fixtures/samples/EXPECTED.md, as data.
EXPECTED = {
    "harbor-street-flooding.txt": {
        "slug": "storm-surge-floods-harbor-street-as-council-weighs-a-new-sea-wall",
        "headline": "Storm surge floods Harbor Street as council weighs a new sea wall",
        "paragraphs": 8,
        "last_paragraph_starts": "As the Coastal Ledger reported last year, ",
        "credits": [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger")],
        "notes": [
            (
                RevisionKind.UPDATE,
                "This story has been updated to include comments from Council member Arturo Velez.",
            )
        ],
        "tagline": "Maria Ortiz and Dev Patel of the Coastal Ledger contributed to this report.",
    },
    "library-expansion-budget.txt": {
        "slug": "council-approves-budget-for-eastside-library-expansion",
        "headline": "Council approves budget for Eastside library expansion",
        "paragraphs": 4,
        "last_paragraph_starts": "The two council members who voted against",
        "credits": [("Lena Brooks", "Coastal Ledger"), ("Sam Whitfield", "Valley Courier")],
        "notes": [
            (
                RevisionKind.CORRECTION,
                "An earlier version of this story misstated the size of the children's wing. It is 4,000 square feet.",
            )
        ],
        "tagline": None,  # a "Contributing:" line: no "contributed to this report." form
    },
    "ferry-schedule-change.txt": {
        "slug": "island-ferry-cuts-evening-crossings-for-the-winter",
        "headline": "Island ferry cuts evening crossings for the winter",
        "paragraphs": 4,
        "last_paragraph_starts": "The authority said it would add a water taxi",
        "credits": [("Tomas Reyes", "the Island Gazette"), ("Ada Lindqvist", "the Coastal Ledger")],
        "notes": [
            (
                RevisionKind.CLARIFICATION,
                "This story has been updated to clarify that the water taxi would run only on weekends.",
            ),
            (
                RevisionKind.EDITORS_NOTE,
                "An earlier version of this story quoted a ferry employee who had not been authorized to speak to reporters; the quote has been removed.",
            ),
        ],
        "tagline": "Tomas Reyes of the Island Gazette and Ada Lindqvist of the Coastal Ledger contributed to this report.",
    },
}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def credits_of(story):
    return [
        (credit.contributor.name, credit.credited_affiliation, credit.role)
        for credit in story.ordered_credits()
    ]


def row_counts():
    """Every table an import writes, with its history table."""
    models = (Section, Contributor, Story, Credit, Revision)
    counts = {model.__name__: model.objects.count() for model in models}
    counts |= {f"{model.__name__} history": model.history.count() for model in models}
    counts["StorySource"] = StorySource.objects.count()
    return counts


# The samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_as_a_draft_with_its_credits_and_notes(name, editor):
    expected = EXPECTED[name]
    result = import_file(SAMPLES / name, user=editor)

    assert result.status == ImportStatus.CREATED, result.line()
    story = Story.objects.get(slug=expected["slug"])
    assert result.story == story
    assert story.headline == expected["headline"]
    paragraphs = story.body.split("\n\n")
    assert len(paragraphs) == expected["paragraphs"]
    assert paragraphs[-1].startswith(expected["last_paragraph_starts"])
    assert "contributed to this report" not in story.body
    assert "Contributing:" not in story.body
    assert all(text not in story.body for _, text in expected["notes"])
    assert credits_of(story) == [
        (name_, affiliation, CONTRIBUTED) for name_, affiliation in expected["credits"]
    ]
    assert [c.position for c in story.ordered_credits()] == list(range(len(expected["credits"])))
    # Contributors are stored with the affiliation as written.
    assert [(c.contributor.name, c.contributor.affiliation) for c in story.ordered_credits()] == (
        expected["credits"]
    )
    assert story.status == Story.Status.DRAFT
    assert not story.revisions.exists()
    assert story.section.slug == importing.DEFAULT_SECTION_SLUG
    assert story.created_by == story.modified_by == editor
    assert story.source.filename == name
    assert [(n["kind"], n["text"]) for n in story.source.notes] == expected["notes"]
    assert story.source.imported_by == editor
    assert result.line() == (
        f"created {SAMPLES / name}: {expected['slug']} (draft, 2 credits, "
        f"{len(expected['notes'])} note{'s' if len(expected['notes']) > 1 else ''} kept until it is published)"
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imported_with_publish_has_one_version_per_note(name, editor):
    expected = EXPECTED[name]
    result = import_file(SAMPLES / name, user=editor, publish=True)

    assert result.status == ImportStatus.PUBLISHED, result.line()
    story = Story.objects.get(slug=expected["slug"])
    revisions = list(story.revisions.order_by("number"))
    assert [r.number for r in revisions] == list(range(1, len(expected["notes"]) + 2))
    assert [(r.kind, r.public_note) for r in revisions] == [
        (RevisionKind.FIRST, ""),
        *expected["notes"],
    ]
    assert {r.published_by for r in revisions} == {editor}
    assert {r.internal_reason for r in revisions} == {f"Imported from {name}"}
    # The working copy is the same for every version: only the notes differ.
    assert {(r.headline, r.body, r.tagline) for r in revisions} == {
        (story.headline, story.body, story.tagline())
    }
    tagline_lines = [
        line.strip()
        for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines()
        if line.strip().endswith("contributed to this report.")
    ]
    assert tagline_lines == ([expected["tagline"]] if expected["tagline"] else [])
    for revision in revisions:
        if expected["tagline"]:
            assert revision.tagline == tagline_lines[0]  # the sample's own line, exactly
    assert story.status == Story.Status.PUBLISHED
    assert story.latest_revision == revisions[-1]
    assert story.first_published_at == revisions[0].published_at
    assert story.updated_at == revisions[-1].published_at
    assert verify_story(story) == []
    assert result.line() == (
        f"published {SAMPLES / name}: {expected['slug']} (2 credits, {len(revisions)} versions)"
    )


def test_library_sample_tagline_renders_from_its_contributing_line(editor):
    import_file(SAMPLES / "library-expansion-budget.txt", user=editor, publish=True)
    story = Story.objects.get(slug=EXPECTED["library-expansion-budget.txt"]["slug"])
    assert story.latest_revision.tagline == (
        "Lena Brooks of Coastal Ledger and Sam Whitfield of Valley Courier contributed to this report."
    )


def test_every_history_row_is_attributed_to_the_importing_user(editor):
    import_file(SAMPLES / "ferry-schedule-change.txt", user=editor, publish=True)
    story = Story.objects.get()
    section = story.section
    contributors = Contributor.objects.all()
    rows = [
        *story.history.all(),
        *Credit.history.filter(story_id=story.pk),
        *section.history.all(),
        *Contributor.history.all(),
        *Revision.history.filter(story_id=story.pk),
    ]
    assert len(rows) == 1 + 3 + 2 + 1 + 2 + 3  # story created + 3 publishes, credits, ...
    assert {row.history_user for row in rows} == {editor}
    reason = "Imported from ferry-schedule-change.txt"
    assert story.history.earliest().history_change_reason == reason
    assert section.history.get().history_change_reason == reason
    assert {c.history.get().history_change_reason for c in contributors} == {reason}
    assert {r.history_change_reason for r in Credit.history.all()} == {reason}
    assert [r.history_change_reason for r in story.history.order_by("history_date")[1:]] == [
        "Published as version 1 (First publication)",
        "Published as version 2 (Clarification)",
        "Published as version 3 (Editor's note)",
    ]


def test_without_a_user_the_import_acts_as_the_system_user(db):
    import_file(SAMPLES / "harbor-street-flooding.txt", publish=True)
    story = Story.objects.get()
    assert {row.history_user.username for row in story.history.all()} == {"newsroom-system"}
    assert story.revisions.first().published_by.username == "newsroom-system"


# Sections ------------------------------------------------------------------------------


def test_an_existing_section_is_used(editor):
    section = SectionFactory(name="City", slug="city")
    result = import_file(SAMPLES / "harbor-street-flooding.txt", user=editor, section=section)
    assert result.story.section == section
    assert not Section.objects.filter(slug=importing.DEFAULT_SECTION_SLUG).exists()


def test_the_default_section_is_created_once(editor):
    for name in EXPECTED:
        import_file(SAMPLES / name, user=editor)
    section = Section.objects.get(slug=importing.DEFAULT_SECTION_SLUG)
    assert section.name == "Imported"
    assert section.stories.count() == 3
    assert section.history.count() == 1


def test_unknown_section_names_the_slug_and_lists_the_others(db):
    SectionFactory(name="City", slug="city")
    SectionFactory(name="Harbor", slug="harbor")
    with pytest.raises(importing.UnknownSection) as raised:
        importing.find_section("sports")
    assert (
        str(raised.value) == "no section with the slug 'sports'; available sections: city, harbor"
    )


# Contributors --------------------------------------------------------------------------


def test_contributor_is_reused_ignoring_case_and_a_leading_the(editor):
    known = ContributorFactory(name="maria ortiz", slug="maria-ortiz", affiliation="Coastal Ledger")
    import_file(SAMPLES / "harbor-street-flooding.txt", user=editor, publish=True)

    story = Story.objects.get()
    maria, dev = story.ordered_credits()
    assert maria.contributor == known
    # The known contributor keeps its own affiliation; the credit keeps the one written.
    known.refresh_from_db()
    assert (known.name, known.affiliation) == ("maria ortiz", "Coastal Ledger")
    assert maria.affiliation == "the Coastal Ledger"
    assert dev.affiliation == ""  # a new contributor, stored as written
    assert Contributor.objects.count() == 2
    assert known.history.count() == 1  # reusing a contributor does not touch it


def test_same_name_at_another_outlet_is_another_person(editor):
    ContributorFactory(name="Maria Ortiz", slug="maria-ortiz", affiliation="the Valley Courier")
    import_file(SAMPLES / "harbor-street-flooding.txt", user=editor)

    imported = Story.objects.get().ordered_credits()[0].contributor
    assert (imported.name, imported.affiliation) == ("Maria Ortiz", "the Coastal Ledger")
    assert imported.slug == "maria-ortiz-2"
    assert Contributor.objects.filter(name="Maria Ortiz").count() == 2


def test_new_contributor_slugs_get_a_numeric_suffix_on_collision(editor):
    ContributorFactory(name="Ana Ruiz", slug="ana-ruiz", affiliation="A")
    ContributorFactory(name="Ana Ruiz", slug="ana-ruiz-2", affiliation="B")
    text = "Headline\n\nBody.\nAna Ruiz of C and Ana Ruiz of D contributed to this report.\n"
    import_text(text, filename="ruiz.txt", user=editor)
    slugs = [c.contributor.slug for c in Story.objects.get().ordered_credits()]
    assert slugs == ["ana-ruiz-3", "ana-ruiz-4"]


def test_two_samples_share_a_contributor_across_stories(editor):
    text = "Second story\n\nBody.\nMARIA ORTIZ of Coastal Ledger contributed to this report.\n"
    import_file(SAMPLES / "harbor-street-flooding.txt", user=editor)
    import_text(text, filename="second.txt", user=editor)
    maria = Contributor.objects.get(slug="maria-ortiz")
    assert maria.credits.count() == 2
    assert Contributor.objects.filter(name__iexact="maria ortiz").count() == 1


def test_a_person_named_twice_is_credited_once(editor):
    text = (
        "Headline\n\nBody.\nAna Ruiz of the Ledger contributed to this report.\n"
        "Contributing: ana ruiz, Ledger; Bo Li, Courier\n"
    )
    result = import_text(text, filename="twice.txt", user=editor)
    assert result.status == ImportStatus.CREATED, result.line()
    assert credits_of(result.story) == [
        ("Ana Ruiz", "the Ledger", CONTRIBUTED),
        ("Bo Li", "Courier", CONTRIBUTED),
    ]


def test_credits_without_an_outlet(editor):
    text = "Headline\n\nBody.\nThe Associated Press contributed to this report.\n"
    result = import_text(text, filename="ap.txt", user=editor, publish=True)
    assert credits_of(result.story) == [("The Associated Press", "", CONTRIBUTED)]
    assert result.story.latest_revision.tagline == (
        "The Associated Press contributed to this report."
    )


# Idempotency ---------------------------------------------------------------------------


@pytest.mark.parametrize("publish", [False, True])
def test_importing_the_same_file_again_changes_nothing(editor, publish):
    path = SAMPLES / "ferry-schedule-change.txt"
    first = import_file(path, user=editor, publish=publish)
    before = row_counts()

    again = import_file(path, user=editor, publish=publish)
    assert again.status == ImportStatus.UNCHANGED
    assert again.story == first.story
    assert again.line() == f"unchanged {path}: {first.story.slug}"
    assert row_counts() == before


def test_same_story_with_other_line_endings_is_unchanged(editor, tmp_path):
    text = (SAMPLES / "harbor-street-flooding.txt").read_text(encoding="utf-8")
    import_file(SAMPLES / "harbor-street-flooding.txt", user=editor)
    copy = tmp_path / "harbor-copy.txt"
    copy.write_bytes(("\ufeff" + text.replace("\n", "\r\n\r\n")).encode("utf-8"))
    assert import_file(copy, user=editor).status == ImportStatus.UNCHANGED


def test_different_text_under_the_same_slug_is_refused_and_nothing_changes(editor, tmp_path):
    import_file(SAMPLES / "harbor-street-flooding.txt", user=editor, publish=True)
    before = row_counts()
    text = (SAMPLES / "harbor-street-flooding.txt").read_text(encoding="utf-8")
    path = write(tmp_path, "harbor-v2.txt", text.replace("14 shops", "16 shops"))

    result = import_file(path, user=editor, publish=True)
    assert result.status == ImportStatus.FAILED
    assert result.line().startswith(
        f"import failed: {path}: a story with the slug "
        "'storm-surge-floods-harbor-street-as-council-weighs-a-new-sea-wall' was imported "
        "from different text (harbor-street-flooding.txt, "
    )
    assert "left unchanged" in result.problem
    assert row_counts() == before
    assert "14 shops" in Story.objects.get().latest_revision.body


def test_a_story_written_in_the_newsroom_is_never_overwritten(editor):
    StoryFactory(
        headline="Island ferry cuts evening crossings for the winter",
        slug="island-ferry-cuts-evening-crossings-for-the-winter",
    )
    before = row_counts()
    result = import_file(SAMPLES / "ferry-schedule-change.txt", user=editor)
    assert result.status == ImportStatus.FAILED
    assert result.problem == (
        "a story with the slug 'island-ferry-cuts-evening-crossings-for-the-winter' already "
        "exists and was not imported from a file; it was left unchanged"
    )
    assert row_counts() == before


def test_an_imported_draft_is_published_by_importing_it_again_with_publish(editor):
    path = SAMPLES / "ferry-schedule-change.txt"
    import_file(path, user=editor)
    result = import_file(path, user=editor, publish=True)

    assert result.status == ImportStatus.PUBLISHED
    story = Story.objects.get()
    assert [r.kind for r in story.revisions.order_by("number")] == [
        RevisionKind.FIRST,
        RevisionKind.CLARIFICATION,
        RevisionKind.EDITORS_NOTE,
    ]
    assert Contributor.objects.count() == 2 and Credit.objects.count() == 2
    assert import_file(path, user=editor, publish=True).status == ImportStatus.UNCHANGED


def test_an_imported_draft_edited_since_is_not_published_by_a_reimport(editor):
    path = SAMPLES / "ferry-schedule-change.txt"
    story = import_file(path, user=editor).story
    story.body += "\n\nA paragraph the desk added."
    story.save()

    result = import_file(path, user=editor, publish=True)
    assert result.status == ImportStatus.FAILED
    assert "edited since" in result.problem and "publish it from the admin" in result.problem
    assert not Revision.objects.exists()


# Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"\n  \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file (NUL byte at offset 8)"),
        (b"Caf\xe9 owners protest\n\nBody.\n", "not UTF-8 text (invalid byte at offset 3)"),
        ("H" * 201 + "\n\nBody.\n", "headline is 201 characters; the maximum is 200"),
        (
            "Headline\n\nBody.\nContributing: Ana Ruiz,\n",
            "line 4: cannot parse contributor tagline 'Contributing: Ana Ruiz,' "
            "(no affiliation after the comma following 'Ana Ruiz')",
        ),
        (
            "Headline\n\nBody.\nAna Ruiz of the Ledger and contributed to this report.\n",
            "line 4: cannot parse contributor tagline 'Ana Ruiz of the Ledger and contributed "
            "to this report.' (the affiliation 'the Ledger and' has a dangling 'and')",
        ),
        ("Headline only\n", "the story has a headline but no body paragraphs"),
        (
            "Headline\n\nBody.\n" + "N" * 201 + " of the Ledger contributed to this report.\n",
            "the contributor name 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN'... is 201 characters; the maximum is 200",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "binary",
        "latin-1",
        "long-headline",
        "tagline-no-affiliation",
        "tagline-dangling-and",
        "no-body",
        "long-name",
    ],
)
def test_bad_file_fails_with_one_clear_line_and_writes_nothing(editor, tmp_path, content, problem):
    path = tmp_path / "story.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = row_counts()

    result = import_file(path, user=editor, publish=True)
    assert result.status == ImportStatus.FAILED
    assert result.line() == f"import failed: {path}: {problem}"
    assert "\n" not in result.line()
    assert row_counts() == before


def test_missing_path_and_directory(editor, tmp_path):
    missing = import_file(tmp_path / "nope.txt", user=editor)
    folder = import_file(tmp_path, user=editor)
    assert missing.line() == f"import failed: {tmp_path / 'nope.txt'}: no such file"
    assert folder.line() == f"import failed: {tmp_path}: is a directory, not a story file"


def test_oversized_file_is_refused_before_reading(editor, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 10)
    path = write(tmp_path, "long.txt", "Headline\n\nA body longer than ten bytes.\n")
    result = import_file(path, user=editor)
    assert result.problem == "the file is larger than 10 bytes, the most a story file may be"


def test_headline_without_letters_takes_its_slug_from_the_file_name(editor, tmp_path):
    path = write(tmp_path, "harbor-vote.txt", "¿¡—!?\n\nBody.\n")
    assert import_file(path, user=editor).story.slug == "harbor-vote"
    path = write(tmp_path, "—.txt", "¿¡—!?\n\nBody.\n")
    result = import_file(path, user=editor)
    assert result.problem == (
        "cannot make a URL slug from the headline; name the file after the story"
    )


# Publishing: permissions and rollback --------------------------------------------------


def test_publish_without_the_permission_is_refused_and_nothing_is_kept(reporter):
    before = row_counts()
    result = import_file(SAMPLES / "harbor-street-flooding.txt", user=reporter, publish=True)
    assert result.status == ImportStatus.FAILED
    assert result.problem == "reporter does not have permission to publish stories."
    assert row_counts() == before
    # A reporter may still import drafts.
    assert import_file(SAMPLES / "harbor-street-flooding.txt", user=reporter).status == (
        ImportStatus.CREATED
    )


def test_failure_while_publishing_the_notes_rolls_the_whole_file_back(editor, monkeypatch):
    real_publish = publishing.publish
    calls = []

    def publish_failing_on_the_second_note(story, **kwargs):
        calls.append(kwargs.get("kind"))
        if len(calls) == 3:
            raise ValidationError({"public_note": "The desk refused this note."})
        return real_publish(story, **kwargs)

    monkeypatch.setattr(publishing, "publish", publish_failing_on_the_second_note)
    before = row_counts()
    result = import_file(SAMPLES / "ferry-schedule-change.txt", user=editor, publish=True)

    assert calls == [None, RevisionKind.CLARIFICATION, RevisionKind.EDITORS_NOTE]
    assert result.status == ImportStatus.FAILED
    assert result.problem == "The desk refused this note."
    assert row_counts() == before  # no story, credits, contributors, section or versions
    # The next file still imports.
    monkeypatch.setattr(publishing, "publish", real_publish)
    other = import_file(SAMPLES / "harbor-street-flooding.txt", user=editor, publish=True)
    assert other.status == ImportStatus.PUBLISHED


def test_import_files_goes_on_after_a_failure(editor, tmp_path):
    bad = write(tmp_path, "bad.txt", "")
    paths = [SAMPLES / "harbor-street-flooding.txt", bad, SAMPLES / "ferry-schedule-change.txt"]
    results = list(importing.import_files(paths, user=editor))
    assert [r.status for r in results] == [
        ImportStatus.CREATED,
        ImportStatus.FAILED,
        ImportStatus.CREATED,
    ]
    assert Story.objects.count() == 2


def test_content_hash_ignores_layout_but_not_content():
    text = (SAMPLES / "harbor-street-flooding.txt").read_text(encoding="utf-8")
    same = importing.content_hash(parse_story(text.replace("\n", "\n\n  ")))
    assert importing.content_hash(parse_story(text)) == same
    changed = parse_story(text.replace("Arturo Velez.)", "Arturo Vélez.)"))
    assert importing.content_hash(changed) != same


def test_import_results_name_the_section_users_and_counts(editor):
    result = import_text(
        "Headline\n\nBody.\n", filename="plain.txt", source="wire/plain.txt", user=editor
    )
    assert result.line() == "created wire/plain.txt: headline (draft, 0 credits)"
    assert not get_user_model().objects.filter(username="newsroom-system").exists()


def test_wire_text_that_looks_like_markdown_is_published_as_text(editor):
    text = (
        "Storm leaves trail of damage\n\n"
        "- Five people were injured, police said.\n"
        "1. The first bridge closed at *noon*.\n"
        "Profits <b>fell</b> at the port.\n"
    )
    result = import_text(text, filename="storm.txt", user=editor, publish=True)
    story = Story.objects.get(slug="storm-leaves-trail-of-damage")

    assert story.latest_revision.body_html == (
        "<p>- Five people were injured, police said.</p>\n"
        "<p>1. The first bridge closed at *noon*.</p>\n"
        "<p>Profits &lt;b&gt;fell&lt;/b&gt; at the port.</p>"
    )
    assert result.status == ImportStatus.PUBLISHED
    again = import_text(text, filename="storm.txt", user=editor, publish=True)
    assert again.status == ImportStatus.UNCHANGED
