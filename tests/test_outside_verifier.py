"""The outside verifier (stories/record/outside_verifier.py): its RFC 9162 checks against the
RFC's own definitions, that it needs nothing of Django, and runs against a live site
(a real HTTP server on a free port) passing when the site is honest and failing after
each tamper of the suite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Story
from stories.reader import caching
from stories.record import outside_verifier as verifier
from stories.record import signing
from tests import tampering
from tests.factories import StoryFactory
from tests.rfc9162 import MAX_LEAVES, entries, reference_mth, reference_path, reference_subproof

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "stories" / "record" / "outside_verifier.py"
LEAVES = entries(MAX_LEAVES)


# -- RFC 9162 verification, against the RFC's definitions ---------------------------------


@pytest.mark.parametrize("size", range(1, MAX_LEAVES + 1))
def test_inclusion_proofs_of_the_rfc_verify_and_altered_ones_do_not(size):
    root = reference_mth(LEAVES[:size])
    for index in range(size):
        leaf = verifier.leaf_hash(LEAVES[index])
        proof = reference_path(index, LEAVES[:size])
        assert verifier.verify_inclusion(index, size, leaf, proof, root)
        assert not verifier.verify_inclusion(
            index, size, verifier.leaf_hash(b"forged"), proof, root
        )
        if proof:
            bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
            assert not verifier.verify_inclusion(index, size, leaf, bent, root)
            assert not verifier.verify_inclusion(index, size, leaf, proof[:-1], root)
        if size > 1:
            other = (index + 1) % size
            assert not verifier.verify_inclusion(other, size, leaf, proof, root)
    assert not verifier.verify_inclusion(size, size, verifier.leaf_hash(LEAVES[0]), [], root)


@pytest.mark.parametrize("second", range(1, MAX_LEAVES + 1))
def test_consistency_proofs_of_the_rfc_verify_and_altered_ones_do_not(second):
    second_root = reference_mth(LEAVES[:second])
    for first in range(1, second + 1):
        first_root = reference_mth(LEAVES[:first])
        proof = reference_subproof(first, LEAVES[:second], True)
        assert verifier.verify_consistency(first, second, first_root, second_root, proof)
        rewritten = reference_mth([b"rewritten", *LEAVES[1:first]])
        assert not verifier.verify_consistency(first, second, rewritten, second_root, proof)
        if proof:
            assert not verifier.verify_consistency(
                first, second, first_root, second_root, proof[1:]
            )
            bent = [*proof[:-1], proof[-1][:-1] + bytes([proof[-1][-1] ^ 1])]
            assert not verifier.verify_consistency(first, second, first_root, second_root, bent)


def test_the_root_of_all_entries_is_the_rfc_root():
    for size in range(MAX_LEAVES + 1):
        assert verifier.root_of(LEAVES[:size]) == reference_mth(LEAVES[:size])


def test_it_needs_nothing_but_python_and_cryptography():
    """Run as a script, isolated (no project on the path): it loads no Django, nothing of
    the project, and its help says what it is."""
    code = "\n".join(
        [
            "import runpy, sys",
            f"sys.argv = [{str(SCRIPT)!r}, '--help']",
            "try:",
            f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')",
            "except SystemExit:",
            "    pass",
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('django', 'stories', 'newsroom')]",
            "assert not loaded, loaded",
        ]
    )
    env = {"PATH": os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, env=env, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    assert "Check a Newsroom site's public record" in result.stdout


# -- against a live site -------------------------------------------------------------------


@pytest.fixture
def record(live_server, editor):
    return tampering.PublishedRecord.build(editor, StoryFactory)


def verify(live_server, *args, state=None):
    """Run the verifier as an outsider would, in its own process."""
    command = [
        sys.executable,
        "-I",
        str(SCRIPT),
        live_server.url,
        "--public-key",
        signing.public_key_hex(),
    ]
    if state is not None:
        command += ["--state", str(state)]
    result = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", "")},
    )
    return result


@pytest.mark.django_db(transaction=True)
def test_an_honest_site_passes_and_a_later_run_sees_it_grow(record, live_server, editor, tmp_path):
    state = tmp_path / "state.json"

    first = verify(live_server, state=state)

    assert first.returncode == 0, first.stderr
    assert "OK: 6 versions checked against the signed tree of 6 entries" in first.stdout
    saved = json.loads(state.read_text())
    assert saved["tree_head"]["tree_size"] == 6
    assert saved["stories"]["harbor-story"]["id"] == str(record.a.public_id)

    story = Story.objects.get(pk=record.a.pk)
    publishing.publish(story, user=editor, kind=RevisionKind.UPDATE, public_note="Later news.")
    again = verify(live_server, state=state)

    assert again.returncode == 0, again.stderr
    assert "OK: 7 versions checked against the signed tree of 7 entries" in again.stdout
    one = verify(live_server, "--story", "ferry-story", state=state)
    assert one.returncode == 0 and "OK: 3 versions checked" in one.stdout


@pytest.mark.django_db(transaction=True)
def test_another_public_key_fails(record, live_server):
    result = verifier.main([live_server.url, "--public-key", "ab" * 32])
    assert result == 1


#: What the verifier, holding the tree head of its last run, says after each tamper.
SAYS = {
    tampering.update_a_versions_body: "harbor-story version 2: its content does not match its hash",
    tampering.delete_a_middle_version: "harbor-story: version 2 is missing",
    tampering.delete_the_latest_version_and_repoint: "harbor-story: versions seen before are gone",
    tampering.null_the_pointer_and_edit: "harbor-story version 1: its content does not match its hash",
    tampering.swap_two_stories_versions: "harbor-story version 2: its content does not match its hash",
    tampering.recompute_the_chain_after_an_edit: "harbor-story version 2: its hash is not leaf 1",
    tampering.insert_a_version_with_a_skipped_number: "harbor-story version 5: not in the transparency log",
    tampering.rewrite_the_log: "since the last check: two different trees of 6 entries (a fork)",
}  # fmt: skip


@tampering.owner_test
@pytest.mark.parametrize("tamper", list(SAYS), ids=lambda tamper: tamper.__name__)
def test_the_verifier_fails_after_each_tamper(record, live_server, tmp_path, tamper):
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0

    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    caching.invalidate_all()  # as if the cached pages had expired
    result = verify(live_server, state=state)

    assert result.returncode == 1, result.stdout
    assert f"FAIL: {SAYS[tamper]}" in result.stderr
    assert json.loads(state.read_text())["tree_head"]["tree_size"] == 6  # not moved on


@tampering.owner_test
def test_a_rewritten_log_is_caught_only_by_a_verifier_that_kept_a_tree_head(
    record, live_server, editor, tmp_path
):
    """Rewritten with the site's own key, then grown by a new publish: consistent and
    validly signed for anyone arriving now; not an extension of what was seen before."""
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0
    with tampering.as_database_owner() as cursor:
        tampering.rewrite_the_log(record, cursor)
    story = Story.objects.get(pk=record.b.pk)
    publishing.publish(story, user=editor, kind=RevisionKind.UPDATE, public_note="Later news.")
    caching.invalidate_all()

    newcomer = verify(live_server)
    kept = verify(live_server, state=state)

    assert newcomer.returncode == 0, newcomer.stderr
    assert kept.returncode == 1
    assert (
        "FAIL: since the last check: the log of 7 entries does not extend the one of 6 entries "
        "(it was rewritten)"
    ) in kept.stderr


@tampering.owner_test
@pytest.mark.parametrize("tamper", tampering.AUDIT_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_internal_audit_rows_are_invisible_from_outside(record, live_server, tmp_path, tamper):
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    caching.invalidate_all()
    assert verify(live_server, state=state).returncode == 0
