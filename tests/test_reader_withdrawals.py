"""A withdrawn story on the reader site: its URL answers 410 with the editor's note and
names the story, its versions' text is gone, and its public record (the history list,
its corrections, its section's page and feeds) stays."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from stories import publishing
from stories.content.kinds import RevisionKind
from tests.factories import SectionFactory, approved
from tests.readerpages import at, publish, published_story, read, text

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def withdrawn_story(editor):
    story = published_story(
        editor,
        headline="Ferry operator sued",
        body="The lawsuit claims the ferry ran late.",
        section=SectionFactory(name="Courts", slug="courts"),
        when=at(0),
    )
    publish(
        story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="The suit was filed Monday."
    )
    publish(story, editor, when=at(2), kind=RevisionKind.MINOR, reason="Typo.")
    publishing.withdraw(
        approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn on legal advice."
    )
    return story


def test_a_withdrawn_storys_history_list_stays_public(client, withdrawn_story):
    response = client.get(reverse("reader:history", args=[withdrawn_story.slug]))

    assert response.status_code == 200
    body = text(response)
    entries = re.findall(r'<li class="history-entry.*?</li>', body, flags=re.S)
    kinds = [re.search(r'class="history-kind">([^<]+)<', entry).group(1) for entry in entries]
    assert kinds == ["Withdrawal", "Minor edit", "Correction", "First publication"]
    assert "The suit was filed Monday." in body
    assert "Withdrawn on legal advice." in body
    assert len(read(response).times) == 4
    assert "This story has been withdrawn" in body
    # The text of its versions is not there, nor linked.
    assert "The lawsuit claims" not in body
    assert reverse("reader:revision", args=[withdrawn_story.slug, 1]) not in body


@pytest.mark.parametrize(
    "path",
    ["history/1/", "history/3/", "history/4/", "history/1/compare/2/", "history/2/compare/4/"],
)
def test_the_text_of_a_withdrawn_storys_versions_answers_410_with_the_note(
    client, withdrawn_story, path
):
    response = client.get(f"/stories/{withdrawn_story.slug}/{path}")

    assert response.status_code == 410
    body = text(response)
    assert "Withdrawn on legal advice." in body
    assert "The lawsuit claims" not in body


def test_a_withdrawn_storys_corrections_stay_on_the_record(client, withdrawn_story):
    corrections = text(client.get(reverse("reader:corrections")))
    assert "The suit was filed Monday." in corrections
    assert "Ferry operator sued" in corrections
    assert reverse("reader:history", args=[withdrawn_story.slug]) in corrections

    feed = ET.fromstring(client.get("/feeds/corrections/atom/").content)
    entries = feed.findall(f"{ATOM}entry")
    # The withdrawal is on the record too, newest first, with its editor's note.
    assert [entry.findtext(f"{ATOM}summary") for entry in entries] == [
        "Withdrawn on legal advice.",
        "The suit was filed Monday.",
    ]


def test_the_410_page_names_the_story_that_was_withdrawn(client, withdrawn_story):
    response = client.get(withdrawn_story.get_absolute_url())

    assert response.status_code == 410
    assert read(response).h1 == ["“Ferry operator sued” has been withdrawn"]
    assert "Withdrawn: Ferry operator sued" in text(response)
    assert reverse("reader:history", args=[withdrawn_story.slug]) in text(response)


def test_a_section_whose_last_story_is_withdrawn_keeps_answering(client, withdrawn_story):
    section = "/sections/courts/"
    response = client.get(section)
    assert response.status_code == 200
    assert "There are no stories in this section right now." in text(response)
    for feed in ("feeds/rss/", "feeds/atom/"):
        answer = client.get(section + feed)
        assert answer.status_code == 200, feed
        assert b"Ferry operator sued" not in answer.content
