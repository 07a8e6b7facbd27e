"""The outside verifier (stories/record/outside_verifier.py): its RFC 9162 checks against the
RFC's own definitions, that it needs nothing of Django, and runs against a live site
(a real HTTP server on a free port) passing when the site is honest and failing after
each tamper of the suite."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Cosignature, Story
from stories.reader import caching
from stories.record import outside_verifier as verifier
from tests import tampering
from tests.factories import StoryFactory, approved
from tests.rfc9162 import MAX_LEAVES, entries, reference_mth, reference_path, reference_subproof
from tests.verifier import SCRIPT, verify

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
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Later news."
    )
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


@pytest.mark.django_db(transaction=True)
def test_a_log_rewritten_with_the_key_is_caught_by_a_verifier_that_kept_a_tree_head(
    record, live_server, editor, tmp_path
):
    """Rewritten and re-signed with the site's own key behind its signer's back: the
    signer refuses to sign on top of it, and the log stays consistent and validly signed
    for anyone arriving now; a verifier that kept a head sees a fork."""
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0
    with tampering.as_database_owner() as cursor:
        tampering.rewrite_the_log(record, cursor)
    story = Story.objects.get(pk=record.b.pk)
    with pytest.raises(ValidationError, match="refused to sign"):
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Later news."
        )
    caching.invalidate_all()

    newcomer = verify(live_server)
    kept = verify(live_server, state=state)

    assert newcomer.returncode == 0, newcomer.stderr
    assert kept.returncode == 1
    assert "FAIL: since the last check: two different trees of 6 entries (a fork)" in kept.stderr


@tampering.owner_test
@pytest.mark.parametrize("tamper", tampering.AUDIT_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_internal_audit_rows_are_invisible_from_outside(record, live_server, tmp_path, tamper):
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0
    with tampering.as_database_owner() as cursor:
        tamper(record, cursor)
    caching.invalidate_all()
    assert verify(live_server, state=state).returncode == 0


# -- fresh heads, withdrawn text, pictures, witnesses ----------------------------------------


@pytest.fixture
def three_hours_ago(monkeypatch):
    """The site's clock three hours behind (and still moving): what it signs looks old."""
    from datetime import timedelta

    from django.utils import timezone

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(hours=3))
    return monkeypatch


@pytest.mark.django_db(transaction=True)
def test_a_frozen_log_fails_max_age_until_the_site_signs_a_fresh_head(
    live_server, editor, three_hours_ago
):
    tampering.PublishedRecord.build(editor, StoryFactory)
    three_hours_ago.undo()

    frozen = verify(live_server, "--max-age", "2h")
    generous = verify(live_server, "--max-age", "4h")
    call_command("sign_tree_head", stdout=None)  # what cron does hourly
    fresh = verify(live_server, "--max-age", "2h")

    assert frozen.returncode == 1
    assert "older than --max-age (2 hours); the log may be frozen" in frozen.stderr
    assert "3.0 hours ago" in frozen.stderr
    assert generous.returncode == 0, generous.stderr
    assert fresh.returncode == 0, fresh.stderr


@pytest.mark.django_db(transaction=True)
def test_a_withdrawn_story_is_reported_as_withdrawn_and_its_hashes_still_verify(
    record, live_server, editor, tmp_path
):
    state = tmp_path / "state.json"
    assert verify(live_server, state=state).returncode == 0
    publishing.withdraw(
        approved(Story.objects.get(pk=record.a.pk), purpose="withdraw"),
        user=editor,
        public_note="Withdrawn: unsourced.",
    )
    caching.invalidate_all()

    result = verify(live_server, state=state)

    assert result.returncode == 0, result.stderr
    assert "OK: 7 versions checked against the signed tree of 7 entries" in result.stdout
    notes = [line for line in result.stdout.splitlines() if line.startswith("NOTE: harbor-story")]
    assert len(notes) == 4
    assert notes[0].startswith("NOTE: harbor-story version 1: content withdrawn on ")
    assert notes[0].endswith(
        "(Withdrawn: unsourced.); what its hash covers besides the text verifies"
    )


@pytest.fixture
def media_server(settings, media_root):
    """The media storage served over HTTP, as a CDN or the web server in front would."""
    import functools
    import http.server
    import threading

    media_root.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(media_root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MEDIA_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_verifier_fetches_each_picture_and_checks_its_hash(
    live_server, editor, media_server, media_root
):
    from tests.factories import stored

    story = StoryFactory(slug="photographed")
    story.picture = stored(color=(20, 90, 160))
    story.image_alt = "Water over the harbor road."
    story.save()
    publishing.publish(approved(story), user=editor)

    honest = verify(live_server)
    (media_root / story.picture.original).write_bytes(b"not the picture readers were shown")
    swapped = verify(live_server)
    skipped = verify(live_server, "--no-pictures")
    small = verify(live_server, "--max-picture-bytes", "10")

    assert honest.returncode == 0, honest.stderr
    assert swapped.returncode == 1
    assert "FAIL: photographed version 1: its picture http://127.0.0.1:" in swapped.stderr
    assert "is not the one its hash covers" in swapped.stderr
    assert skipped.returncode == 0
    assert (
        "its picture could not be read" in small.stderr and "larger than 10 bytes" in small.stderr
    )


def run_verifier(*args):
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", "")},
    )


@pytest.mark.django_db(transaction=True)
def test_the_verifier_acts_as_a_witness_and_readers_can_require_its_cosignature(
    record, live_server, editor, settings, tmp_path
):
    key, name = tmp_path / "witness.key", "watchdog.example/w1"
    made = run_verifier("--new-witness-key", key, "--witness-name", name)
    vkey = made.stdout.strip()
    assert made.returncode == 0 and vkey.startswith(f"{name}+")
    assert key.stat().st_mode & 0o077 == 0
    settings.LOG_WITNESSES = [vkey]
    other = run_verifier("--new-witness-key", tmp_path / "o.key", "--witness-name", "o.example/w")
    witness = ["--witness-key", key, "--witness-name", name]
    state = tmp_path / "witness-state.json"

    not_yet = verify(live_server, "--require-witness", vkey)
    cosigned = verify(live_server, *witness, state=state)
    required = verify(live_server, "--require-witness", vkey)
    someone_else = verify(live_server, "--require-witness", other.stdout.strip())

    assert not_yet.returncode == 1
    assert f"FAIL: the checkpoint carries no valid cosignature by the witness {name}" in (
        not_yet.stderr
    )
    assert cosigned.returncode == 0, cosigned.stderr
    assert (
        f"NOTE: cosigned the checkpoint of 6 entries as {name}; the site says: "
        "1 new cosignature(s) stored."
    ) in cosigned.stdout
    assert json.loads(state.read_text())["witness"]["cosigned"]["tree_size"] == 6
    assert required.returncode == 0, required.stderr
    assert someone_else.returncode == 1

    # A new head needs a new cosignature; the witness gives it once it extends the last.
    story = Story.objects.get(pk=record.a.pk)
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Later news."
    )
    assert verify(live_server, "--require-witness", vkey).returncode == 1
    assert verify(live_server, *witness, state=state).returncode == 0
    assert verify(live_server, "--require-witness", vkey).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_a_witness_never_cosigns_a_fork(record, live_server, settings, tmp_path):
    key, name = tmp_path / "witness.key", "watchdog.example/w1"
    vkey = run_verifier("--new-witness-key", key, "--witness-name", name).stdout.strip()
    settings.LOG_WITNESSES = [vkey]
    witness = ["--witness-key", key, "--witness-name", name]
    state = tmp_path / "witness-state.json"
    assert verify(live_server, *witness, state=state).returncode == 0
    stored = Cosignature.objects.count()

    with tampering.as_database_owner() as cursor:
        tampering.rewrite_the_log(record, cursor)  # re-signed with the key: same size, new root
    caching.invalidate_all()
    again = verify(live_server, *witness, state=state)

    assert again.returncode == 1
    assert Cosignature.objects.count() == stored
    assert json.loads(state.read_text())["witness"]["cosigned"]["tree_size"] == 6
