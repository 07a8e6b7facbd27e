"""The public record: a story's history, any version as published, and comparisons."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from stories.content.kinds import CreditRole, RevisionKind
from stories.reader import pages
from tests.factories import ContributorFactory, CreditFactory
from tests.readerpages import at, make_story, publish, published_story, read, text


def history_url(story, page=None):
    url = reverse("reader:history", args=[story.slug])
    return f"{url}?page={page}" if page else url


def compare_url(story, old, new):
    return reverse("reader:compare", args=[story.slug, old, new])


def diff_section(response) -> str:
    body = text(response)
    legend = "is underlined in green."  # the legend shows <del> and <ins> itself
    return body[body.index(legend) + len(legend) : body.index("</main>")]


# -- history -----------------------------------------------------------------------------


def test_history_lists_every_version_without_internal_details(client, editor):
    story = published_story(editor, when=at(0))
    publish(
        story, editor, when=at(1), kind=RevisionKind.MINOR,
        reason="INTERNAL: fixed the mayor's middle initial", body="Fixed.",
    )  # fmt: skip
    publish(
        story, editor, when=at(2), kind=RevisionKind.CORRECTION,
        note="An earlier version misstated the date.",
    )  # fmt: skip

    response = client.get(history_url(story))

    assert response.status_code == 200
    body = text(response)
    assert read(response).h1 == ["Revision history"]
    for number in (1, 2, 3):
        assert f'href="{reverse("reader:revision", args=[story.slug, number])}"' in body
    assert f'href="{compare_url(story, 1, 2)}"' in body
    assert f'href="{compare_url(story, 2, 3)}"' in body
    assert "Minor edit" in body and "First publication" in body and "Correction" in body
    assert "An earlier version misstated the date." in body
    assert "INTERNAL" not in body, "a minor edit's internal reason is never public"
    # (The username is "editor": the page may name the kind "editor's notes".)
    named = re.search(rf"\b{editor.username}\b(?!'s notes)", body)
    assert named is None and editor.last_name not in body, "who published is not shown"
    assert body.index("Version 3") < body.index("Version 2") < body.index("Version 1")
    assert "2025-03-04T16:30:00+00:00" in body


def test_history_paginates_long_records(client, editor, monkeypatch):
    # Pages of 5 rather than 50 versions: the same three pages (a full first page, a
    # short last one) from 12 publishes instead of 120.
    monkeypatch.setattr(pages.history, "HISTORY_PER_PAGE", 5)
    story = published_story(editor, when=at(0))
    for number in range(2, 13):
        publish(
            story, editor, when=at(number), kind=RevisionKind.UPDATE, note=f"Update note {number}."
        )

    first, third = text(client.get(history_url(story))), text(client.get(history_url(story, 3)))

    assert "Update note 12." in first and "Update note 8." in first
    assert "Update note 7." not in first
    assert "Update note 2." in third and "First publication" in third
    assert "Page 3 of 3" in third
    assert client.get(history_url(story, 4)).status_code == 404


# -- one version -------------------------------------------------------------------------


def test_old_version_is_shown_exactly_as_published_with_a_banner(client, editor):
    story = published_story(
        editor, headline="Bridge closes Monday", body="It closes Monday.", when=at(0)
    )
    publish(
        story, editor, when=at(2), kind=RevisionKind.CORRECTION,
        note="An earlier version misstated the day.",
        headline="Bridge closes Tuesday", body="It closes Tuesday.",
    )  # fmt: skip
    publish(story, editor, when=at(3), kind=RevisionKind.UPDATE, note="Added the detour.")

    response = client.get(reverse("reader:revision", args=[story.slug, 1]))

    body = text(response)
    assert read(response).h1 == ["Bridge closes Monday"]
    assert "It closes Monday." in body and "Tuesday" not in body
    assert "You are viewing version 1 of 3, published" in body
    assert "An earlier version misstated the day." not in body, "notes as they stood then"
    assert f'<a href="{story.get_absolute_url()}">View the current version</a>' in body
    assert '<meta name="robots" content="noindex">' in body
    assert "application/ld+json" not in body

    version_two = text(client.get(reverse("reader:revision", args=[story.slug, 2])))
    assert "You are viewing version 2 of 3" in version_two
    assert "An earlier version misstated the day." in version_two
    assert "Added the detour." not in version_two


@pytest.mark.parametrize("number", [0, 4, 10**30])
def test_missing_version_is_404(client, editor, number):
    story = published_story(editor, when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Update.")
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Update.")

    response = client.get(f"/stories/{story.slug}/history/{number}/")

    assert response.status_code == 404
    assert "This story has no version" in text(response)


def test_non_numeric_version_is_404(client, editor):
    story = published_story(editor, when=at(0))
    assert client.get(f"/stories/{story.slug}/history/latest/").status_code == 404
    assert client.get(f"/stories/{story.slug}/history/1/compare/two/").status_code == 404


# -- comparisons -------------------------------------------------------------------------


PARAGRAPHS = [
    "The council met on Tuesday night.",
    "Residents spoke for three hours about the sea wall.",
    "The mayor said a vote would follow in March.",
    "Engineers estimated the cost at $48 million.",
]


def story_with(editor, paragraphs, **fields):
    return published_story(editor, body="\n\n".join(paragraphs), when=at(0), **fields)


def republish(story, editor, **changes):
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Updated.", **changes)


def test_compare_inserted_paragraph(client, editor):
    story = story_with(editor, PARAGRAPHS)
    republish(
        story,
        editor,
        body="\n\n".join([*PARAGRAPHS[:2], "A new paragraph appears.", *PARAGRAPHS[2:]]),
    )

    diff = diff_section(client.get(compare_url(story, 1, 2)))

    assert (
        '<p class="story-diff-text story-diff-block story-diff-inserted"><ins>A new paragraph appears.</ins></p>'
        in diff
    )
    assert "<del>" not in diff


def test_compare_deleted_paragraph(client, editor):
    story = story_with(editor, PARAGRAPHS)
    republish(story, editor, body="\n\n".join([PARAGRAPHS[0], *PARAGRAPHS[2:]]))

    diff = diff_section(client.get(compare_url(story, 1, 2)))

    assert "<del>Residents spoke for three hours about the sea wall.</del>" in diff
    assert "story-diff-deleted" in diff
    assert "<ins>" not in diff


def test_compare_replaced_words_in_a_paragraph(client, editor):
    story = story_with(editor, PARAGRAPHS)
    republish(
        story,
        editor,
        body="\n\n".join([*PARAGRAPHS[:3], "Engineers estimated the cost at $52 million."]),
    )

    diff = diff_section(client.get(compare_url(story, 1, 2)))

    assert "Engineers estimated the cost at $<del>48</del><ins>52</ins> million." in diff
    # Unchanged paragraphs far from the change collapse; the neighbour stays as context.
    assert "2 unchanged paragraphs" in diff
    assert "The mayor said a vote would follow in March." in diff
    assert "The council met on Tuesday night." not in diff


def test_compare_moved_paragraph(client, editor):
    story = story_with(editor, PARAGRAPHS)
    republish(story, editor, body="\n\n".join([PARAGRAPHS[3], *PARAGRAPHS[:3]]))

    diff = diff_section(client.get(compare_url(story, 1, 2)))

    moved = "Engineers estimated the cost at $48 million."
    assert f"<ins>{moved}</ins>" in diff and f"<del>{moved}</del>" in diff
    assert diff.index(f"<ins>{moved}</ins>") < diff.index(f"<del>{moved}</del>")


def test_compare_headline_only_change(client, editor):
    story = story_with(editor, PARAGRAPHS, headline="Council weighs sea wall")
    republish(story, editor, headline="Council delays sea wall vote")

    response = client.get(compare_url(story, 1, 2))

    diff = diff_section(response)
    assert "Council <del>weighs</del><ins>delays</ins> sea wall<ins> vote</ins>" in diff
    assert ">Body</h3>" not in diff
    assert re.search(r"Unchanged:.*Body", diff, re.S)
    assert read(response).h1 == ["Changes between versions 1 and 2"]


def test_compare_credits_change(client, editor):
    story = make_story([("June Okafor", CreditRole.BYLINE, "")])
    publish(story, editor, when=at(0))
    CreditFactory(
        story=story,
        contributor=ContributorFactory(name="Dev Patel", affiliation="the Coastal Ledger"),
        role=CreditRole.CONTRIBUTED,
        position=5,
    )
    republish(story, editor)

    diff = diff_section(client.get(compare_url(story, 1, 2)))

    assert ">Credits</h3>" in diff
    assert (
        "By June Okafor<ins>\nDev Patel of the Coastal Ledger contributed to this report.</ins>"
        in diff
    )


def test_compare_any_two_versions_and_lists_the_notes_between(client, editor):
    story = story_with(editor, PARAGRAPHS)
    publish(
        story, editor, when=at(1), kind=RevisionKind.UPDATE, note="First update note.", dek="One."
    )
    publish(
        story,
        editor,
        when=at(2),
        kind=RevisionKind.CORRECTION,
        note="A correction note.",
        dek="Two.",
    )

    body = text(client.get(compare_url(story, 1, 3)))

    assert "First update note." in body and "A correction note." in body
    assert "<del>The vote is expected next month</del><ins>Two</ins>." in body


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [(2, 2, 404), (0, 2, 404), (1, 4, 404), (3, 9, 404), (1, 10**30, 404), (10**30, 10**31, 404)],
)
def test_compare_bad_pairs_answer_404(client, editor, old, new, status):
    story = story_with(editor, PARAGRAPHS)
    republish(story, editor, dek="Changed.")
    publish(story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Again.", dek="Again.")

    response = client.get(compare_url(story, old, new))

    assert response.status_code == status
    assert "Page not found" in text(response)
    assert "version" in text(response).lower()


def test_compare_reversed_pair_redirects_oldest_first(client, editor):
    story = story_with(editor, PARAGRAPHS)
    republish(story, editor, dek="Changed.")

    response = client.get(compare_url(story, 2, 1))

    assert response.status_code == 301
    assert response["Location"] == compare_url(story, 1, 2)
    assert client.get(compare_url(story, 9, 1), follow=True).status_code == 404


def test_compare_unknown_story_is_404(client, db):
    assert client.get("/stories/no-such-story/history/1/compare/2/").status_code == 404
