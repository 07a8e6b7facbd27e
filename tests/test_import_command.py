"""manage.py import_story: per-file results, errors, exit status, progress bar, --as/--section.

The rows an import writes are tested in test_importing.py; these test the command.
"""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from stories.content.kinds import RevisionKind
from stories.models import Contributor, Revision, Story
from tests.factories import SectionFactory

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


@pytest.fixture
def editor(editor):
    """The importing editor. An archive is published without a second editor's approval
    (it was checked where it first appeared), so importing it with ``publish`` needs
    ``stories.publish_without_review``, as the system user has (docs/desk.md)."""
    from tests.factories import granted

    return granted(editor, "publish_without_review")


SAMPLE_PATHS = sorted(SAMPLES.glob("*.txt"))
SLUGS = {
    "ferry-schedule-change.txt": "island-ferry-cuts-evening-crossings-for-the-winter",
    "harbor-street-flooding.txt": "storm-surge-floods-harbor-street-as-council-weighs-a-new-sea-wall",
    "library-expansion-budget.txt": "council-approves-budget-for-eastside-library-expansion",
}


class Terminal(StringIO):
    """A captured stream that says it is a terminal, as an interactive stderr does."""

    def isatty(self):
        return True


def run(*args, stderr=None):
    """Run import_story; (stdout, stderr, exit status) as a shell would see them."""
    out, err = StringIO(), stderr or StringIO()
    status = 0
    try:
        call_command("import_story", *map(str, args), stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"CommandError: {error}\n")
        status = error.returncode
    return out.getvalue(), err.getvalue(), status


@pytest.fixture
def bad_files(tmp_path):
    """Every kind of bad input, with the line the command prints for it."""
    files = {
        "empty.txt": (b"", "the file is empty"),
        "photo.txt": (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "looks like a binary file (NUL byte at offset 8)",
        ),
        "latin1.txt": (b"Caf\xe9 reopens\n\nBody.\n", "not UTF-8 text (invalid byte at offset 3)"),
        "long.txt": (
            ("H" * 250 + "\n\nBody.\n").encode(),
            "headline is 250 characters; the maximum is 200",
        ),
        "tagline.txt": (
            b"Headline\n\nBody.\nContributing: ; Sam Whitfield, Valley Courier\n",
            "line 4: cannot parse contributor tagline 'Contributing: ; Sam Whitfield, Valley "
            "Courier' (an entry is empty)",
        ),
    }
    expected = {}
    for name, (content, problem) in files.items():
        (tmp_path / name).write_bytes(content)
        expected[tmp_path / name] = problem
    expected[tmp_path / "missing.txt"] = "no such file"
    (tmp_path / "folder").mkdir()
    expected[tmp_path / "folder"] = "is a directory, not a story file"
    return expected


def test_imports_every_sample_as_a_draft_by_default(db):
    out, err, status = run(*SAMPLE_PATHS)
    assert status == 0, err
    assert out.splitlines() == [
        *(
            f"created {path}: {SLUGS[path.name]} (draft, 2 credits, {notes} kept until it is published)"
            for path, notes in zip(SAMPLE_PATHS, ["2 notes", "1 note", "1 note"], strict=True)
        ),
        "3 files: 3 created",
    ]
    assert err == ""
    assert set(Story.objects.values_list("status", flat=True)) == {Story.Status.DRAFT}


def test_publish_as_an_editor_and_again_is_unchanged(editor):
    out, err, status = run(*SAMPLE_PATHS, "--publish", "--as", "editor")
    assert status == 0, err
    assert out.splitlines()[-1] == "3 files: 3 published"
    assert (
        f"published {SAMPLE_PATHS[0]}: {SLUGS[SAMPLE_PATHS[0].name]} (2 credits, 3 versions)" in out
    )
    ferry = Story.objects.get(slug=SLUGS["ferry-schedule-change.txt"])
    assert [r.kind for r in ferry.revisions.order_by("number")] == [
        RevisionKind.FIRST,
        RevisionKind.CLARIFICATION,
        RevisionKind.EDITORS_NOTE,
    ]
    assert set(Revision.objects.values_list("published_by__username", flat=True)) == {"editor"}
    history_rows = Story.history.count()

    out, err, status = run(*SAMPLE_PATHS, "--publish", "--as", "editor")
    assert status == 0
    assert out.splitlines() == [
        *(f"unchanged {path}: {SLUGS[path.name]}" for path in SAMPLE_PATHS),
        "3 files: 3 unchanged",
    ]
    assert Story.history.count() == history_rows
    assert Revision.objects.count() == 7


def test_each_bad_file_gets_its_line_and_the_good_files_still_import(db, bad_files):
    good = SAMPLES / "harbor-street-flooding.txt"
    paths = [*bad_files, good]
    out, err, status = run(*paths)

    assert status == 1
    assert err.splitlines() == [
        *(f"import failed: {path}: {problem}" for path, problem in bad_files.items()),
        f"CommandError: {len(bad_files)} of {len(paths)} files could not be imported",
    ]
    assert out.splitlines() == [
        f"created {good}: {SLUGS[good.name]} (draft, 2 credits, 1 note kept until it is published)",
        f"{len(paths)} files: 1 created, {len(bad_files)} failed",
    ]
    assert list(Story.objects.values_list("slug", flat=True)) == [SLUGS[good.name]]
    assert "Traceback" not in out + err


def test_unknown_section_is_an_error_before_any_file(db):
    SectionFactory(name="City", slug="city")
    SectionFactory(name="Harbor", slug="harbor")
    out, err, status = run(*SAMPLE_PATHS, "--section", "sports")
    assert status == 1
    assert err == (
        "CommandError: no section with the slug 'sports'; available sections: city, harbor\n"
    )
    assert out == ""
    assert not Story.objects.exists()


def test_section_option_puts_the_stories_there(db):
    city = SectionFactory(name="City", slug="city")
    _, err, status = run(*SAMPLE_PATHS, "--section", "city")
    assert status == 0, err
    assert set(Story.objects.values_list("section", flat=True)) == {city.pk}


def test_unknown_user_is_an_error_before_any_file(db):
    out, err, status = run(*SAMPLE_PATHS, "--as", "nobody")
    assert (status, out, err) == (1, "", "CommandError: no user named 'nobody'\n")
    assert not Story.objects.exists()


def test_publish_as_a_reporter_is_refused_for_each_file(reporter):
    out, err, status = run(*SAMPLE_PATHS, "--publish", "--as", "reporter")
    assert status == 1
    assert err.splitlines() == [
        *(
            f"import failed: {path}: reporter does not have permission to publish stories."
            for path in SAMPLE_PATHS
        ),
        "CommandError: 3 of 3 files could not be imported",
    ]
    assert not Story.objects.exists() and not Contributor.objects.exists()


def test_progress_bar_on_a_terminal_and_result_lines_still_printed(db):
    terminal = Terminal()
    out, err, status = run(*SAMPLE_PATHS, stderr=terminal)
    assert status == 0
    assert "\rImporting: 100%|" in err and "| 3/3 [" in err  # tqdm drew the bar on stderr
    assert "\n" not in err.replace("\r", "")  # no line endings added to the bar's partial lines
    assert len(out.splitlines()) == 4  # three "created" lines and the summary


def test_no_progress_bar_when_stderr_is_not_a_terminal(db):
    _, err, status = run(*SAMPLE_PATHS)
    assert status == 0
    assert err == ""


def manage(env, *args):
    """manage.py in a process of its own, as a shell would run it."""
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def own_database(migrated_sqlite):
    """The environment for manage.py on a migrated SQLite database of its own, and none
    of the run's shared servers (replica, Redis)."""
    shared = {
        "DATABASE_REPLICA_URL",
        "REDIS_URL",
        "NEWSROOM_REQUIRE_POSTGRES",
        "NEWSROOM_REQUIRE_REPLICA",
    }
    env = {key: value for key, value in os.environ.items() if key not in shared}
    env["DATABASE_URL"] = f"sqlite:///{migrated_sqlite}"
    env["NEWSROOM_LOG_SIGNER_STATE"] = str(migrated_sqlite.parent / "log-signer.json")  # its own
    return env


def test_real_process_exit_status_and_no_traceback(own_database, bad_files):
    """Run manage.py as a shell would, on a database of its own."""
    env = own_database
    good = SAMPLES / "ferry-schedule-change.txt"
    imported = manage(env, "import_story", *bad_files, good, "--publish")
    assert imported.returncode == 1
    assert "Traceback" not in imported.stdout + imported.stderr
    for path, problem in bad_files.items():
        assert f"import failed: {path}: {problem}\n" in imported.stderr
    assert f"published {good}: {SLUGS[good.name]} (2 credits, 3 versions)\n" in imported.stdout
    assert imported.stderr.rstrip().endswith(
        f"CommandError: {len(bad_files)} of {len(bad_files) + 1} files could not be imported"
    )
    assert "Importing" not in imported.stderr  # no progress bar on a pipe

    again = manage(env, "import_story", good)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"unchanged {good}: {SLUGS[good.name]}",
        "1 file: 1 unchanged",
    ]

    exported = manage(env, "export_story", SLUGS[good.name])
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert [r["kind"] for r in data["revisions"]] == ["first", "clarification", "editors_note"]

    unknown = manage(env, "export_story", "no-such-story")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "CommandError: no story with the slug 'no-such-story'"
    assert unknown.stdout == ""
