"""Stories and versions as IPTC ninjs 2.x text items: every item the API emits is valid
against the ninjs 2.2 JSON schema (docs/ninjs/, from the IPTC's repository), each
property has the type and required members the specification gives it, and a
withdrawal is ``pubstatus: canceled`` with the headline and the note only."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import TestCase
from django.urls import reverse
from jsonschema import Draft202012Validator

from stories import editing, publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.record import removal
from tests.factories import UserFactory, approved, stored
from tests.readerpages import at, make_story, publish
from tests.tampering import owner_test

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "docs" / "ninjs" / "ninjs-schema_2.2.json").read_text()
)
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(autouse=True)
def site(settings):
    settings.PUBLICATION_URL = "https://news.example"


def check(item: dict) -> dict:
    """Valid against the ninjs 2.2 schema, with formats the validator leaves unchecked
    without optional packages (``uri``, ``date-time``) checked here."""
    errors = sorted(VALIDATOR.iter_errors(item), key=lambda error: error.path)
    assert not errors, [f"{list(error.path)}: {error.message}" for error in errors]
    for name in ("versioncreated", "firstcreated"):
        assert datetime.fromisoformat(item[name]).tzinfo is not None
    for uri in [item["uri"], *(r["href"] for r in item.get("renditions", []))]:
        assert urlsplit(uri).scheme in ("urn", "https"), uri
    for association in item.get("associations", []):
        assert {"name", "uri"} <= set(association)
        for rendition in association["renditions"]:
            assert urlsplit(rendition["href"]).scheme == "https"
            assert isinstance(rendition["width"], int) and isinstance(rendition["height"], int)
    return item


def ninjs(client, story, number=None) -> dict:
    if number is None:
        url = reverse("api:story_ninjs", kwargs={"story_id": story.public_id})
    else:
        url = reverse("api:version_ninjs", kwargs={"story_id": story.public_id, "number": number})
    response = client.get(url)
    assert response.status_code == 200, response.content
    return check(json.loads(response.content))


@pytest.fixture
def photographed(editor):
    story = make_story(
        [
            ("Maria Ortiz", CreditRole.BYLINE, ""),
            ("Ana Ruiz", CreditRole.PHOTOGRAPHY, "the Coastal Ledger"),
        ],
        headline="Harbor floods at high tide",
        dateline="PORT HAVEN",
    )
    story.picture = stored(color=(20, 90, 160))
    story.image_alt = "Water covering the harbor road at dawn."
    story.image_caption = "The harbor road on Tuesday morning."
    editing.save_story(story, user=editor, reason="Added the photo")
    publish(story, editor, when=at(0))
    publish(
        story,
        editor,
        when=at(1),
        kind=RevisionKind.CORRECTION,
        note="The flood reached Harbor Street, not Main Street.",
        body="The flood reached Harbor Street.",
    )
    return story


def test_a_story_is_a_full_ninjs_text_item(client, photographed):
    item = ninjs(client, photographed)

    assert item["uri"] == f"urn:uuid:{photographed.public_id}"
    assert item["type"] == "text"
    assert item["version"] == "2"
    assert item["pubstatus"] == "usable"
    assert item["representationtype"] == "full"
    assert item["headlines"] == [{"value": "Harbor floods at high tide"}]
    assert item["descriptions"] == [{"value": photographed.dek, "role": "summary"}]
    [body] = item["bodies"]
    assert body["contenttype"] == "text/html"
    assert "<p>The flood reached Harbor Street.</p>" in body["value"]
    assert item["by"] == "By Maria Ortiz"
    assert item["located"] == "PORT HAVEN"
    assert item["ednote"] == "The flood reached Harbor Street, not Main Street."
    assert item["genres"] == [{"name": "Correction", "literal": "newsroom-change:correction"}]
    assert item["firstcreated"].startswith("2025-03-04T14:30:00")
    assert item["versioncreated"].startswith("2025-03-04T15:30:00")
    assert item["renditions"] == [
        {
            "name": "html",
            "href": f"https://news.example/stories/{photographed.slug}/",
            "contenttype": "text/html",
        }
    ]
    [image] = item["associations"]
    assert image["type"] == "picture"
    assert image["uri"] == f"urn:sha256:{photographed.picture.sha256}"
    assert image["by"] == "Ana Ruiz / Coastal Ledger"
    assert {"value": "The harbor road on Tuesday morning.", "role": "caption"} in image[
        "descriptions"
    ]
    assert image["renditions"][0]["name"] == "original"
    assert {r["contenttype"] for r in image["renditions"]} >= {"image/jpeg", "image/webp"}


def test_every_version_is_an_item_with_its_own_number(client, photographed):
    first = ninjs(client, photographed, 1)

    assert first["version"] == "1"
    assert first["genres"][0]["literal"] == "newsroom-change:first"
    assert "ednote" not in first  # a first publication has no note
    assert first["renditions"][0]["href"].endswith(f"/stories/{photographed.slug}/history/1/")


def test_a_withdrawn_story_is_canceled_with_its_headline_and_note_only(
    client, photographed, editor
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        publishing.withdraw(
            approved(photographed, purpose="withdraw"),
            user=editor,
            public_note="Withdrawn: the photo was staged.",
        )

    for item in (ninjs(client, photographed), ninjs(client, photographed, 1)):
        assert item["pubstatus"] == "canceled"
        assert item["representationtype"] == "partial"
        assert item["headlines"] == [{"value": "Harbor floods at high tide"}]
        for absent in ("bodies", "descriptions", "by", "associations", "located"):
            assert absent not in item
    assert ninjs(client, photographed)["ednote"] == "Withdrawn: the photo was staged."
    assert ninjs(client, photographed)["version"] == "3"


@owner_test
def test_a_version_whose_content_was_removed_keeps_no_text(client, photographed, editor):
    boss = UserFactory(username="counsel", is_superuser=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        removal.remove_content(
            photographed,
            [1],
            user=boss,
            public_note="Removed by court order.",
            internal_reason="Order",
        )

    item = ninjs(client, photographed, 1)

    assert item["pubstatus"] == "usable"
    assert item["representationtype"] == "partial"
    assert item["ednote"] == "Removed by court order."
    assert "bodies" not in item and "associations" not in item


def test_every_item_of_a_busy_site_is_valid(client, editor, photographed):
    """Every story and every version the API lists, walked from the list, is valid."""
    plain = make_story([("Dev Patel", CreditRole.BYLINE, "")], dek="", dateline="")
    publish(plain, editor, when=at(3))
    publish(plain, editor, when=at(4), kind=RevisionKind.MINOR, reason="Typo.", body="Fixed typo.")
    gone = make_story([("Lena Brooks", CreditRole.BYLINE, "")])
    publish(gone, editor, when=at(5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        publishing.withdraw(
            approved(gone, purpose="withdraw"), user=editor, public_note="Withdrawn."
        )

    checked = 0
    stories = json.loads(client.get(reverse("api:stories")).content)["items"]
    for story in stories:
        check(json.loads(client.get(story["ninjs_url"]).content))
        versions = json.loads(client.get(story["api_url"] + "/versions").content)["items"]
        for version in versions:
            check(json.loads(client.get(version["ninjs_url"]).content))
            checked += 1
    assert len(stories) == 3
    assert checked == 2 + 2 + 2
