"""Reader pages stay bounded as a story's record grows: the story page shows its latest
corrections and links to all of them, a comparison its latest notes and the number of
the others, with the same queries at 1, 30 and 300 versions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stories.content.kinds import RevisionKind
from stories.reader import caching, pages
from tests.factories import StoryFactory, long_record
from tests.readerpages import at, publish, published_story, read, text


def notes_at_the_top(response) -> list[str]:
    """The text of each correction box at the top of a story page, in page order."""
    html = response.content.decode()
    boxes = re.findall(r'<div class="story-note[^"]*">\s*<p[^>]*>(.*?)</p>', html, re.S)
    return [re.sub(r"<[^>]+>", "", box) for box in boxes]


def history_url(story, query="") -> str:
    return reverse("reader:history", args=[story.slug]) + query


def compare_url(story, old, new) -> str:
    return reverse("reader:compare", args=[story.slug, old, new])


def cold_queries(client, url) -> int:
    """The queries of ``url`` with no reader page cached."""
    caching.invalidate_all()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "page",
    ["story", "old version", "history", "history, corrections only", "compare first and last"],
)
def test_reader_pages_run_the_same_queries_at_1_30_and_300_versions(client, editor, page):
    counts = {}
    for versions in (1, 30, 300):
        story = long_record(StoryFactory(), editor, versions=versions)
        if versions == 1 and page != "story" and page != "history":
            # An old version, a comparison, a correction: these need a second version.
            publish(story, editor, kind=RevisionKind.CORRECTION, note="A second version.")
        latest = story.revisions.count()
        url = {
            "story": story.get_absolute_url(),
            "old version": reverse("reader:revision", args=[story.slug, latest // 2]),
            "history": history_url(story),
            "history, corrections only": history_url(story, "?show=corrections"),
            "compare first and last": compare_url(story, 1, latest),
        }[page]
        counts[versions] = cold_queries(client, url)

    assert counts[1] == counts[30] == counts[300], counts


def test_a_long_record_shows_the_latest_corrections_and_links_to_all(client, editor):
    story = long_record(StoryFactory(), editor, versions=30)  # corrections: 4, 8 ... 28

    response = client.get(story.get_absolute_url())

    assert notes_at_the_top(response) == [
        "Correction: Note for version 28.",
        "Correction: Note for version 24.",
        "Correction: Note for version 20.",
    ]
    assert len(notes_at_the_top(response)) == pages.TOP_NOTES_SHOWN
    link = f'<a href="{history_url(story, "?show=corrections")}">'
    assert link + "See all 7 corrections and notes in the history</a>" in response.content.decode()
    # The latest update stays at the foot, and the "Updated" time is the latest version's.
    assert "(Note for version 30.)" in text(response)
    assert read(response).json_ld()["dateModified"].startswith("2025-01-06T09:30")
    corrections = read(response).json_ld()["correction"]
    assert [item["text"] for item in corrections] == [
        "Note for version 28.",
        "Note for version 24.",
        "Note for version 20.",
    ]


def test_the_link_leads_to_every_correction_in_the_history(client, editor):
    story = long_record(StoryFactory(), editor, versions=30)

    response = client.get(history_url(story, "?show=corrections"))

    body = text(response)
    numbers = [int(n) for n in re.findall(r'id="version-(\d+)"', response.content.decode())]
    assert numbers == [28, 24, 20, 16, 12, 8, 4]
    assert "Showing corrections, clarifications and editor's notes only (7)" in body
    assert f'href="{history_url(story)}">Show every version' in response.content.decode()
    everything = client.get(history_url(story))
    assert len(re.findall(r'id="version-\d+"', everything.content.decode())) == 30


def test_a_few_corrections_are_all_shown_without_a_link(client, editor):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="First fix.")
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Council responds.")
    publish(story, editor, when=at(3), kind=RevisionKind.CLARIFICATION, note="Second fix.")
    publish(story, editor, when=at(4), kind=RevisionKind.MINOR)

    response = client.get(story.get_absolute_url())

    assert notes_at_the_top(response) == ["Clarification: Second fix.", "Correction: First fix."]
    assert "See all" not in text(response)
    assert "(Council responds.)" in text(response)
    # A minor edit does not move "Updated": the clarification's time is shown.
    assert read(response).json_ld()["dateModified"] == at(3).isoformat()


def test_an_old_version_shows_the_corrections_it_had_then(client, editor):
    story = long_record(StoryFactory(), editor, versions=30)

    response = client.get(reverse("reader:revision", args=[story.slug, 10]))

    assert notes_at_the_top(response) == [
        "Correction: Note for version 8.",
        "Correction: Note for version 4.",
    ]
    assert "See all" not in text(response)


def test_an_update_older_than_the_corrections_shown_stays_at_the_foot(client, editor):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Council responds.")
    for hour in range(2, 7):
        publish(story, editor, when=at(hour), kind=RevisionKind.CORRECTION, note=f"Fix {hour}.")

    response = client.get(story.get_absolute_url())

    assert notes_at_the_top(response) == [
        "Correction: Fix 6.",
        "Correction: Fix 5.",
        "Correction: Fix 4.",
    ]
    assert "(Council responds.)" in text(response)
    assert "See all 5 corrections and notes in the history" in text(response)


def test_a_comparison_lists_the_latest_notes_and_counts_the_others(client, editor):
    story = long_record(StoryFactory(), editor, versions=120)

    response = client.get(compare_url(story, 1, 60))

    html = response.content.decode()
    listed = re.findall(r"<li class=\"mb-1\">Version (\d+),", html)
    assert listed == ["56", "57", "58", "59", "60"]
    assert len(listed) == pages.COMPARISON_NOTES_SHOWN
    assert "Versions 2 to 55: 54 earlier changes, each with its note in the" in text(response)
    # The history is newest first, 50 a page: version 55 is on its page 2.
    earlier = history_url(story, "?page=2#version-55")
    assert f'href="{earlier}"' in html
    assert 'id="version-55"' in client.get(history_url(story, "?page=2")).content.decode()


def test_a_short_comparison_lists_every_note(client, editor):
    story = long_record(StoryFactory(), editor, versions=8)

    response = client.get(compare_url(story, 3, 5))

    listed = re.findall(r"<li class=\"mb-1\">Version (\d+),", response.content.decode())
    assert listed == ["4", "5"]
    assert "earlier change" not in text(response)


def test_large_counts_are_written_with_thousands_separators(client, editor):
    story = long_record(StoryFactory(), editor, versions=1206)

    page = text(client.get(compare_url(story, 1, 1206)))

    assert "Versions 2 to 1,201: 1,200 earlier changes" in page


def test_history_pages_find_their_versions_by_number_not_by_offset(client, editor):
    story = long_record(StoryFactory(), editor, versions=120)

    with CaptureQueriesContext(connection) as captured:
        last = client.get(history_url(story, "?page=3"))

    numbers = [int(n) for n in re.findall(r'id="version-(\d+)"', last.content.decode())]
    assert numbers == list(range(20, 0, -1))
    assert not [query for query in captured if "OFFSET" in query["sql"].upper()]
    first = client.get(history_url(story))
    assert re.findall(r'id="version-(\d+)"', first.content.decode())[:2] == ["120", "119"]
    assert client.get(history_url(story, "?page=4")).status_code == 404
