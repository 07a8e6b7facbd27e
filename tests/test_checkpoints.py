"""The log's newest head as a C2SP checkpoint (/log/checkpoint), witnesses' cosignatures
of it (POST /log/cosignatures), and the heads kept for ever (/log/tree-heads.json,
/log/tree-head.json?at=). The formats are checked against the examples of the
specifications themselves (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature)."""

import base64
import itertools
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Cosignature, Story, TreeHead
from stories.reader import record
from stories.record import checkpoints, signing, transparency
from stories.record import outside_verifier as notes
from tests.factories import approved

# -- the specifications' examples --------------------------------------------------------

#: c2sp.org/signed-note, "Example": a verifier key and the note it verifies.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
    "mFXmRKuwHjG1Yu72IneyaQM=\n"
)
#: c2sp.org/tlog-checkpoint and tlog-cosignature: the checkpoint, its log's signature and
#: a witness's cosignature, and the message that cosignature signs.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
SPEC_LOG_LINE = (
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_COSIGNATURE_LINE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlr"
    "DJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_COSIGNED_MESSAGE = (
    "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def test_a_vkey_whose_base64_has_plus_signs_parses_back():
    material = base64.b64decode("BN+BZ6myErEHf9+2THXWVsBVUe3w9esjTNO6KgDw9xvQ")
    key = notes.NoteKey("w.example/x", material[0], material[1:])
    assert key.vkey.count("+") == 4
    assert notes.NoteKey.parse(key.vkey) == key
    with pytest.raises(ValueError, match="its key ID is not the one"):
        notes.NoteKey.parse(key.vkey.replace(key.id.hex(), "00000000"))


def test_the_signed_note_example_verifies_and_its_key_id_is_computed():
    key = notes.NoteKey.parse(SPEC_VKEY)
    note = notes.Note.parse(SPEC_NOTE.encode())

    assert (key.name, key.kind, key.id.hex()) == ("example.com/foo", 0x01, "530d903a")
    assert key.vkey == SPEC_VKEY
    assert note.text == "This is an example message.\n"
    assert note.signed_by(key)
    tampered = notes.Note.parse(SPEC_NOTE.replace("example message", "exemplary message").encode())
    assert not tampered.signed_by(key)
    other = notes.NoteKey("example.com/bar", 0x01, key.public_key)
    assert not note.signed_by(other)  # unknown name: ignored, so not signed by it


def test_the_checkpoint_example_parses_and_formats_back_exactly():
    checkpoint = notes.Checkpoint.parse(SPEC_CHECKPOINT)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.text == SPEC_CHECKPOINT
    note = notes.Note.parse(f"{SPEC_CHECKPOINT}\n{SPEC_LOG_LINE}{SPEC_COSIGNATURE_LINE}".encode())
    assert [name for name, _ in note.signatures] == [
        "example.com/behind-the-sofa",
        "witness.example.com/w1",
    ]


def test_the_cosignature_example_carries_its_time_and_signs_the_specified_message():
    note = notes.Note.parse(f"{SPEC_CHECKPOINT}\n{SPEC_COSIGNATURE_LINE}".encode())
    ((name, signature),) = note.signatures
    (timestamp,) = struct.unpack(">Q", signature[4:12])

    assert (name, signature[:4].hex(), timestamp) == (
        "witness.example.com/w1",
        "8d66cf3f",
        1679315147,
    )
    assert len(signature) == 4 + 8 + 64
    assert notes.cosigned_message(note.text, timestamp).decode() == SPEC_COSIGNED_MESSAGE


@pytest.mark.parametrize(
    "bad",
    [
        b"\xff\xfe not utf-8\n\n\xe2\x80\x94 a AAAAAAA=\n",
        b"text\n\n\xe2\x80\x94 a AAAAAAA=",  # no final newline
        b"text\n\xe2\x80\x94 a AAAAAAA=\n",  # no blank line
        b"text\x07\n\n\xe2\x80\x94 a AAAAAAA=\n",  # a control character
        b"text\n\n- a AAAAAAA=\n",  # not an em dash
        b"text\n\n\xe2\x80\x94 a+b AAAAAAA=\n",  # a plus in the key name
        b"text\n\n\xe2\x80\x94 a not-base64!\n",
        b"x" * (notes.NOTE_MAX_BYTES + 1),
    ],
)
def test_malformed_notes_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="."):
        notes.Note.parse(bad)


@pytest.mark.parametrize(
    "text",
    ["origin\n20\n", "origin\n020\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "o\n1\nAAAA\n"],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(ValueError):
        notes.Checkpoint.parse(text)


# -- the site's checkpoint ---------------------------------------------------------------


def publish_update(story, editor, note="An update."):
    return publishing.publish(
        approved(Story.objects.get(pk=story.pk)),
        user=editor,
        kind=RevisionKind.UPDATE,
        public_note=note,
    )


@pytest.fixture
def published(story, editor, settings):
    settings.LOG_ORIGIN = "news.example.com/log"
    publishing.publish(approved(story), user=editor)
    publish_update(story, editor)
    return story


def site_key():
    return notes.NoteKey(
        "news.example.com/log", notes.NOTE_ED25519, bytes.fromhex(signing.public_key_hex())
    )


def test_the_checkpoint_is_the_newest_head_signed_as_a_c2sp_note(published, client):
    response = client.get("/log/checkpoint")
    head = client.get(reverse("reader:log_head")).json()

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    note = notes.Note.parse(response.content)
    root = base64.b64encode(bytes.fromhex(head["root_hash"])).decode()
    assert note.text == f"news.example.com/log\n2\n{root}\n"
    assert note.signed_by(site_key())
    assert head["origin"] == "news.example.com/log"


def test_a_checkpoint_needs_a_head_signed_as_one(client, db):
    assert client.get("/log/checkpoint").status_code == 404
    TreeHead.objects.create(
        size=1, root_hash="00" * 32, timestamp=1, signature="", public_key="", origin=""
    )
    answer = client.get("/log/checkpoint")
    assert answer.status_code == 404 and b"signed before checkpoints" in answer.content


# -- witnesses ---------------------------------------------------------------------------


class Witness:
    def __init__(self, name="witness.example.org/w1"):
        self.private = Ed25519PrivateKey.generate()
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key = notes.NoteKey(name, notes.COSIGNATURE_ED25519, public)

    def cosign(self, checkpoint_note: str, timestamp: int = 1_700_000_000) -> bytes:
        note = notes.Note.parse(checkpoint_note.encode())
        line = notes.cosignature(self.private, self.key, note.text, timestamp)
        return (checkpoint_note + line).encode()


_addresses = itertools.count(1)


def witness_client():
    return Client(REMOTE_ADDR=f"10.77.{next(_addresses) % 250}.{next(_addresses) % 250}")


@pytest.fixture
def witness(settings):
    witness = Witness()
    settings.LOG_WITNESSES = [witness.key.vkey]
    return witness


def post(client, body: bytes, **headers):
    return client.post(
        reverse("reader:log_cosignatures"), body, content_type="text/plain", headers=headers
    )


def test_a_named_witness_cosignature_is_stored_and_served_beside_the_checkpoint(
    published, witness, client
):
    checkpoint = client.get("/log/checkpoint").content.decode()

    stored = post(witness_client(), witness.cosign(checkpoint))
    again = post(witness_client(), witness.cosign(checkpoint))

    assert (stored.status_code, stored.content) == (201, b"1 new cosignature(s) stored.\n")
    assert (again.status_code, again.content) == (200, b"0 new cosignature(s) stored.\n")
    served = notes.Note.parse(client.get("/log/checkpoint").content)
    assert served.signed_by(site_key())
    assert notes.valid_cosignatures(served, witness.key)[0][0] == 1_700_000_000
    assert Cosignature.objects.get().witness == "witness.example.org/w1"


def test_a_newer_head_carries_only_its_own_cosignatures(published, witness, client, editor):
    post(witness_client(), witness.cosign(client.get("/log/checkpoint").content.decode()))
    publish_update(published, editor, "Later.")
    served = notes.Note.parse(client.get("/log/checkpoint").content)
    assert notes.valid_cosignatures(served, witness.key) == []
    assert len(served.signatures) == 1


@pytest.mark.parametrize(
    ("spoil", "status", "says"),
    [
        (lambda note, witness: Witness().cosign(note), 403, b"No valid cosignature by a witness"),
        (
            lambda note, witness: witness.cosign(note).replace(b"\n2\n", b"\n3\n"),
            409,
            b"never signed that checkpoint",
        ),
        (
            lambda note, witness: witness.cosign(note.replace("news.example.com", "other.example")),
            404,
            b"not that one",
        ),
        (lambda note, witness: witness.cosign(note, 4_000_000_000), 403, b"No valid cosignature"),
        (lambda note, witness: b"\x00\x01binary", 400, b"Not a cosigned checkpoint"),
        (lambda note, witness: witness.cosign(note)[:-5], 400, b"Not a cosigned checkpoint"),
        (lambda note, witness: b"x" * 9000, 413, b"at most 8192 bytes"),
        (
            lambda note, witness: witness.cosign(note.replace("=\n\n", "=\nextension\n\n", 1)),
            400,
            b"no extension lines",
        ),
    ],
    ids=[
        "unknown witness",
        "unsigned size",
        "another log",
        "future",
        "binary",
        "cut",
        "huge",
        "extension line",
    ],
)
def test_hostile_cosignatures_are_refused_saying_why(
    published, witness, client, spoil, status, says
):
    checkpoint = client.get("/log/checkpoint").content.decode()
    answer = post(witness_client(), spoil(checkpoint, witness))
    assert answer.status_code == status
    assert says in answer.content
    assert answer["Content-Type"] == "text/plain" and answer["Cache-Control"] == "no-store"
    assert not Cosignature.objects.exists()


def test_only_a_post_with_its_length_is_read(published, witness, client, rf):
    from stories.reader import record_views

    assert client.get(reverse("reader:log_cosignatures")).status_code == 405
    blank = post(witness_client(), b"\n")
    assert blank.status_code == 400
    request = rf.post(reverse("reader:log_cosignatures"), b"x", content_type="text/plain")
    del request.META["CONTENT_LENGTH"]
    assert record_views.cosignatures(request).status_code == 411


def test_cosignatures_are_rate_limited_per_address(published, witness, client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.LOG_COSIGNATURE_RATE = "2/h"
    checkpoint = client.get("/log/checkpoint").content.decode()
    sender = Client(REMOTE_ADDR="203.0.113.99")
    answers = [
        post(sender, witness.cosign(checkpoint, 1_700_000_000 + n)).status_code for n in range(3)
    ]
    assert answers == [201, 201, 429]


def test_a_witness_key_that_is_not_a_cosignature_vkey_fails_the_system_check(settings):
    settings.LOG_WITNESSES = [SPEC_VKEY, "nonsense", Witness().key.vkey]
    errors = [error for error in run_checks() if error.id == "newsroom.E101"]
    assert len(errors) == 2
    assert (
        "signature type 0x04" in errors[0].msg and "is not an Ed25519 verifier key" in errors[1].msg
    )


# -- heads kept for ever --------------------------------------------------------------------


def test_every_head_is_listed_newest_first_in_pages(published, client, monkeypatch):
    transparency.resign()
    transparency.resign()
    monkeypatch.setattr(record, "HEADS_PER_PAGE", 2)

    pages, url = [], reverse("reader:log_heads")
    while url:
        page = client.get(url).json()
        pages.append([(head["tree_size"], head["timestamp"]) for head in page["tree_heads"]])
        url = page["next"]

    stored = list(TreeHead.objects.order_by("-timestamp").values_list("size", "timestamp"))
    assert [entry for page in pages for entry in page] == stored
    assert [size for size, _ in stored] == [2, 2, 2, 1]
    assert [len(page) for page in pages] == [2, 2]


def test_the_head_current_at_a_time_can_be_asked_for(published, client):
    first, second = TreeHead.objects.order_by("timestamp")
    url = reverse("reader:log_head")

    at_first = client.get(url, {"at": first.timestamp}).json()
    between = client.get(url, {"at": second.timestamp - 1}).json()
    iso = transparency.signer.iso_time(second.timestamp + 1000)
    later = client.get(url, {"at": iso}).json()

    assert at_first["tree_size"] == between["tree_size"] == 1
    assert later["tree_size"] == 2
    before = client.get(url, {"at": first.timestamp - 1})
    assert before.status_code == 404 and "No tree head had been signed by" in before.json()["error"]
    bad = client.get(url, {"at": "yesterday"})
    assert bad.status_code == 404 and "milliseconds since the epoch" in bad.json()["error"]
    naive = client.get(url, {"at": "2025-03-04T12:00:00"})
    assert naive.status_code == 404


def test_a_re_signed_head_is_served_at_once(published, client):
    before = client.get(reverse("reader:log_head")).json()
    transparency.resign()
    after = client.get(reverse("reader:log_head")).json()
    assert after["timestamp"] > before["timestamp"] and after["tree_size"] == 2
    assert checkpoints.checkpoint_note(TreeHead.objects.latest("timestamp")).startswith(
        "news.example.com/log\n2\n"
    )
