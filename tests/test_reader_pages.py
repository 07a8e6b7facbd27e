"""Reader pages: home, sections, the story page, contributors, corrections, errors."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.reader import caching, pages
from tests.factories import ContributorFactory, CreditFactory, SectionFactory, approved
from tests.readerpages import at, make_story, publish, published_story, read, text

BYLINE, CONTRIBUTED = CreditRole.BYLINE, CreditRole.CONTRIBUTED


# -- the story page ----------------------------------------------------------------------


def test_story_page_shows_the_live_revision(client, editor):
    story = make_story(
        [("June Okafor", BYLINE, ""), ("Marco Bellini", BYLINE, "")],
        headline="King tide swamps Pier Road",
        dek="Eleven shops took on water.",
        dateline="PORT HAVEN",
        body="An unusually high tide pushed seawater across Pier Road.\n\nThe water stood two feet deep.",
    )
    publish(story, editor, when=at(0))

    response = client.get(story.get_absolute_url())

    assert response.status_code == 200
    page = read(response)
    assert page.h1 == ["King tide swamps Pier Road"]
    body = text(response)
    assert "Eleven shops took on water." in body
    assert '<span class="story-dateline">PORT HAVEN</span> — An unusually high tide' in body
    assert "<p>The water stood two feet deep.</p>" in body
    okafor, bellini = story.ordered_credits()
    assert (
        f'By <a href="/contributors/{okafor.contributor.slug}/">June Okafor</a> and '
        f'<a href="/contributors/{bellini.contributor.slug}/">Marco Bellini</a>'
    ) in body


@pytest.mark.parametrize(
    ("credits", "tagline"),
    [
        (
            [("Dev Patel", "the Coastal Ledger")],
            "Dev Patel of the Coastal Ledger contributed to this report.",
        ),
        (
            [("Maria Ortiz", "the Coastal Ledger"), ("Dev Patel", "the Coastal Ledger")],
            "Maria Ortiz and Dev Patel of the Coastal Ledger contributed to this report.",
        ),
        (
            [
                ("Tomas Reyes", "the Island Gazette"),
                ("Lena Brooks", "the Coastal Ledger"),
                ("Sam Whitfield", "the Valley Courier"),
            ],
            "Tomas Reyes of the Island Gazette, Lena Brooks of the Coastal Ledger and "
            "Sam Whitfield of the Valley Courier contributed to this report.",
        ),
        (
            [
                ("Maria Ortiz", "the Coastal Ledger"),
                ("Dev Patel", "the Coastal Ledger"),
                ("Tomas Reyes", "the Island Gazette"),
            ],
            "Maria Ortiz and Dev Patel of the Coastal Ledger and Tomas Reyes of the "
            "Island Gazette contributed to this report.",
        ),
    ],
    ids=["one", "two-same-outlet", "three-outlets", "three-mixed"],
)
def test_story_page_tagline_from_credits(client, editor, credits, tagline):
    story = make_story(
        [("June Okafor", BYLINE, "")] + [(n, CONTRIBUTED, a) for n, a in credits],
        body="The council met on Tuesday.",
    )
    publish(story, editor, when=at(0))

    body = text(client.get(story.get_absolute_url()))

    shown = re.search(r'<p class="story-tagline fst-italic">(.*?)</p>', body).group(1)
    assert re.sub(r"<[^>]+>", "", shown) == tagline
    # Every credited person links to their contributor page.
    assert shown.count('<a href="/contributors/') == len(credits)
    # The tagline stands after the body, never inside it.
    assert body.index("The council met on Tuesday.") < body.index(shown)


def test_published_and_updated_times_in_the_newsroom_time_zone(client, editor, settings):
    """Readers read New York time, named; machines read UTC."""
    settings.TIME_ZONE = "America/New_York"
    story = published_story(editor, when=at(0))  # 14:30 UTC = 9:30 EST

    response = client.get(story.get_absolute_url())
    body = text(response)
    assert (
        'Published <time datetime="2025-03-04T14:30:00+00:00">March 4, 2025, 9:30 a.m. EST</time>'
        in body
    )
    assert "Updated" not in body

    publish(story, editor, when=at(1), kind=RevisionKind.MINOR, reason="Typo.", body="Fixed.")
    assert "Updated" not in text(client.get(story.get_absolute_url())), "minor edits move nothing"

    publish(
        story, editor, when=at(3), kind=RevisionKind.UPDATE, note="This story has been updated."
    )
    response = client.get(story.get_absolute_url())
    body = text(response)
    assert (
        'Updated <time datetime="2025-03-04T17:30:00+00:00">March 4, 2025, 12:30 p.m. EST</time>'
        in body
    )
    # Both times stand between the headline and the body.
    h1_end = body.index("</h1>")
    assert h1_end < body.index("Published <time") < body.index('<div class="story-body">')
    assert h1_end < body.index("Updated <time") < body.index('<div class="story-body">')


def test_notes_corrections_on_top_latest_update_at_the_foot(client, editor):
    story = published_story(editor, body="The bridge will close on Monday.", when=at(0))
    publish(
        story, editor, when=at(1), kind=RevisionKind.UPDATE,
        note="This story has been updated to include the detour.",
    )  # fmt: skip
    publish(
        story, editor, when=at(2), kind=RevisionKind.CORRECTION,
        note="An earlier version misstated the closing day.",
        body="The bridge will close on Tuesday.",
    )  # fmt: skip
    publish(
        story, editor, when=at(3), kind=RevisionKind.EDITORS_NOTE,
        note="This story was reported with help from a city employee.",
    )  # fmt: skip
    publish(
        story, editor, when=at(4), kind=RevisionKind.UPDATE,
        note="This story has been updated with the reopening date.",
    )  # fmt: skip

    body = text(client.get(story.get_absolute_url()))

    start = body.index('<div class="story-body">')
    correction = body.index(
        "<strong>Correction:</strong> An earlier version misstated the closing day."
    )
    editors_note = body.index("<strong>Editor's note:</strong> This story was reported with help")
    latest_update = body.index("(This story has been updated with the reopening date.)")
    assert editors_note < correction < start, "newest prominent note first, all above the body"
    assert latest_update > start
    assert "updated to include the detour" not in body, "only the latest update note is shown"
    assert "View revision history (5 versions)" in body
    assert reverse("reader:corrections_policy") in body
    # Each note carries its time.
    page = read(client.get(story.get_absolute_url()))
    assert {
        "2025-03-04T16:30:00+00:00",
        "2025-03-04T17:30:00+00:00",
        "2025-03-04T18:30:00+00:00",
    } <= set(page.times)


def test_other_credit_roles_are_listed_with_links(client, editor):
    story = make_story([("June Okafor", BYLINE, ""), ("Ana Lens", CreditRole.PHOTOGRAPHY, "")])
    publish(story, editor, when=at(0))

    body = text(client.get(story.get_absolute_url()))

    photographer = story.ordered_credits()[1].contributor
    assert f'Photography: <a href="/contributors/{photographer.slug}/">Ana Lens</a>' in body


def test_unpublished_and_unknown_stories_answer_a_styled_404(client, editor):
    draft = make_story([("June Okafor", BYLINE, "")])
    scheduled = make_story([("June Okafor", BYLINE, "")])
    publishing.schedule(approved(scheduled), user=editor, at=at(24 * 365 * 30))

    for url in (draft.get_absolute_url(), scheduled.get_absolute_url(), "/stories/no-such-story/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in text(response)
        assert read(response).h1 == ["Page not found"]


def test_withdrawn_story_answers_410_with_the_note_on_every_text_address(client, editor):
    story = published_story(
        editor, headline="Ferry operator sued", body="The lawsuit says the ferry.", when=at(0)
    )
    publish(story, editor, when=at(1), kind=RevisionKind.UPDATE, note="Updated.")
    publishing.withdraw(
        approved(story, purpose="withdraw"),
        user=editor,
        public_note="This story was withdrawn on legal advice.",
    )

    for url in (
        story.get_absolute_url(),
        reverse("reader:revision", args=[story.slug, 1]),
        reverse("reader:revision", args=[story.slug, 3]),
        reverse("reader:compare", args=[story.slug, 1, 2]),
    ):
        response = client.get(url)
        assert response.status_code == 410, url
        body = text(response)
        assert "This story was withdrawn on legal advice." in body
        # The 410 page names the story that was withdrawn, never its text.
        assert "&ldquo;Ferry operator sued&rdquo; has been withdrawn" in response.content.decode()
        assert "The lawsuit says" not in body

    assert "Ferry operator sued" not in text(client.get("/"))


# -- lists -------------------------------------------------------------------------------


def test_home_lists_live_stories_newest_first(client, editor):
    older = published_story(editor, headline="Older story", when=at(0))
    newer = published_story(editor, headline="Newer story", when=at(5))
    make_story([("June Okafor", BYLINE, "")], headline="Draft story")

    response = client.get("/")

    body = text(response)
    assert response.status_code == 200
    assert body.index("Newer story") < body.index("Older story")
    assert "Draft story" not in body
    assert f'href="{newer.get_absolute_url()}"' in body
    assert f'href="{older.get_absolute_url()}"' in body
    assert read(response).h1 == ["Latest stories"]


def test_home_and_sections_paginate(client, editor, monkeypatch):
    # Pages of 5 rather than 20 stories: the same two pages (a full first page, a short
    # second one) from 8 publishes instead of 23.
    monkeypatch.setattr(pages.lists, "STORIES_PER_PAGE", 5)
    section = SectionFactory(name="Local", slug="local")
    for hour in range(8):
        published_story(editor, headline=f"Story number {hour:02d}", section=section, when=at(hour))

    first = text(client.get("/"))
    second = text(client.get("/?page=2"))
    assert "Story number 07" in first and "Story number 03" in first
    assert "Story number 02" not in first
    assert "Story number 02" in second and "Story number 00" in second
    assert "Page 2 of 2" in second
    assert text(client.get("/sections/local/?page=2")).count('class="story-card ') == 3
    for bad in ("/?page=3", "/?page=0", "/?page=abc", "/?page=-1", "/sections/local/?page=9"):
        assert client.get(bad).status_code == 404, bad


def test_section_page_lists_only_its_live_stories(client, editor):
    local = SectionFactory(name="Local", slug="local", description="News from the harbor towns.")
    transport = SectionFactory(name="Transport", slug="transport")
    published_story(editor, headline="Harbor dredging begins", section=local, when=at(0))
    published_story(editor, headline="Ferry fares rise", section=transport, when=at(1))

    response = client.get("/sections/local/")

    body = text(response)
    assert read(response).h1 == ["Local"]
    assert "News from the harbor towns." in body
    assert "Harbor dredging begins" in body
    assert "Ferry fares rise" not in body
    assert client.get("/sections/no-such-section/").status_code == 404


def test_section_page_follows_the_published_section_not_the_draft(client, editor):
    local = SectionFactory(name="Local", slug="local")
    transport = SectionFactory(name="Transport", slug="transport")
    story = published_story(editor, headline="Bus lanes approved", section=local, when=at(0))
    story.section = transport
    story.save()  # not published

    assert "Bus lanes approved" in text(client.get("/sections/local/"))
    assert "Bus lanes approved" not in text(client.get("/sections/transport/"))


def test_contributor_page_lists_their_published_stories(client, editor):
    ortiz = ContributorFactory(name="Maria Ortiz", affiliation="the Coastal Ledger", bio="")
    byline = published_story(editor, headline="Ortiz byline", when=at(0))
    CreditFactory(story=byline, contributor=ortiz, role=BYLINE, position=5)
    publish(byline, editor, when=at(1), kind=RevisionKind.UPDATE, note="Credit added.")
    tagline = make_story([("June Okafor", BYLINE, "")], headline="Ortiz tagline")
    CreditFactory(story=tagline, contributor=ortiz, role=CONTRIBUTED, position=5)
    publish(tagline, editor, when=at(2))
    published_story(editor, headline="Someone else's story", when=at(3))

    response = client.get(ortiz.get_absolute_url())

    body = text(response)
    assert read(response).h1 == ["Maria Ortiz"]
    assert "Ortiz byline" in body and "Ortiz tagline" in body
    assert "Someone else's story" not in body
    assert "2 published stories" in body


def test_contributor_credited_only_on_drafts_or_unknown_is_404(client, editor):
    drafted = ContributorFactory(name="Nadia Draft")
    story = published_story(editor, when=at(0))
    CreditFactory(story=story, contributor=drafted, role=BYLINE, position=9)  # not published

    assert client.get(drafted.get_absolute_url()).status_code == 404
    assert client.get("/contributors/nobody/").status_code == 404


def test_corrections_page_lists_corrections_and_clarifications_newest_first(client, editor):
    story = published_story(editor, headline="Library wing approved", when=at(0))
    publish(
        story,
        editor,
        when=at(1),
        kind=RevisionKind.CORRECTION,
        note="The wing is 4,000 square feet.",
    )
    publish(
        story, editor, when=at(2), kind=RevisionKind.UPDATE, note="Updated with the vote count."
    )
    publish(story, editor, when=at(3), kind=RevisionKind.CLARIFICATION, note="The vote was 6-3.")

    response = client.get(reverse("reader:corrections"))

    body = text(response)
    assert read(response).h1 == ["Corrections, clarifications and withdrawals"]
    assert body.index("The vote was 6-3.") < body.index("The wing is 4,000 square feet.")
    assert "Updated with the vote count." not in body
    assert f'href="{story.get_absolute_url()}"' in body
    assert reverse("reader:compare", args=[story.slug, 1, 2]) in body
    assert reverse("reader:corrections_policy") in body


def test_corrections_policy_page(client, db):
    response = client.get(reverse("reader:corrections_policy"))
    assert response.status_code == 200
    assert read(response).h1 == ["Corrections policy"]
    assert "revision history" in text(response)


# -- every page: accessibility and the shared layout -------------------------------------


def test_pages_have_landmarks_one_h1_and_ordered_headings(client, editor, settings):
    settings.PUBLICATION_LANGUAGE = "en-GB"
    story = published_story(editor, body="## A subhead\n\nText under it.", when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed a name.")
    contributor_slug = story.ordered_credits()[0].contributor.slug
    urls = [
        "/",
        story.section.get_absolute_url(),
        story.get_absolute_url(),
        reverse("reader:history", args=[story.slug]),
        reverse("reader:revision", args=[story.slug, 1]),
        reverse("reader:compare", args=[story.slug, 1, 2]),
        f"/contributors/{contributor_slug}/",
        reverse("reader:corrections"),
        reverse("reader:corrections_policy"),
        "/no-such-page/",
    ]
    for url in urls:
        response = client.get(url)
        page = read(response)
        assert page.html_lang == "en-GB", url
        assert page.has("a", href="#main"), url
        assert page.has("main", id="main"), url
        for landmark in ("header", "nav", "footer"):
            assert page.has(landmark), (url, landmark)
        assert len(page.h1) == 1, url
        assert page.headings[0] == 1, url
        steps = zip(page.headings, page.headings[1:], strict=False)
        assert all(after <= before + 1 for before, after in steps), (url, page.headings)
        assert "cdn" not in response.content.decode().lower(), url
        assert page.has("link", rel="stylesheet", href="/static/vendor/bootstrap/bootstrap.min.css")


def test_header_search_form_and_section_links(client, editor):
    local = SectionFactory(name="Local", slug="local")
    SectionFactory(name="Empty section", slug="empty")
    published_story(editor, section=local, when=at(0))

    page = read(client.get("/"))

    assert page.has("form", role="search", method="get")
    assert page.has("input", type="search", name="q")
    assert page.has("a", href="/sections/local/")
    assert not page.has("a", href="/sections/empty/")
    assert client.get("/sections/empty/").status_code == 404


def test_reader_pages_do_not_depend_on_who_is_logged_in(client, editor):
    story = published_story(editor, when=at(0))
    anonymous = client.get(story.get_absolute_url()).content
    caching.invalidate_all()
    client.force_login(editor)
    assert client.get(story.get_absolute_url()).content == anonymous


def test_error_pages_are_styled(rf, db):
    from django.core.exceptions import PermissionDenied
    from django.views import defaults

    server_error = defaults.server_error(rf.get("/"))
    assert server_error.status_code == 500
    body = server_error.content.decode()
    assert "Something went wrong" in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body

    denied = defaults.permission_denied(rf.get("/"), PermissionDenied())
    assert denied.status_code == 403
    assert read(denied).h1 == ["Access denied"]


def test_remembered_addresses_follow_the_script_prefix_they_were_made_under():
    from django.urls import set_script_prefix

    assert pages.contributor_url("maria-ortiz") == reverse(
        "reader:contributor", kwargs={"slug": "maria-ortiz"}
    )
    try:
        set_script_prefix("/news/")
        assert pages.contributor_url("maria-ortiz") == "/news/contributors/maria-ortiz/"
        assert pages.story_url("harbor-wall") == "/news/stories/harbor-wall/"
    finally:
        set_script_prefix("/")
    assert pages.contributor_url("maria-ortiz") == "/contributors/maria-ortiz/"


def test_a_section_nobody_published_in_is_still_not_found(client, editor):
    make_story([("Maria Ortiz", BYLINE, "")], section=SectionFactory(slug="secret-plans"))

    assert client.get("/sections/secret-plans/").status_code == 404
    assert client.get("/sections/secret-plans/feeds/rss/").status_code == 404


def test_a_withdrawal_is_listed_on_the_corrections_page_with_its_note(
    client, editor, django_capture_on_commit_callbacks
):
    story = published_story(editor, headline="Pier collapse blamed on contractor", when=at(0))
    publish(story, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed a name.")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.withdraw(
            approved(story, purpose="withdraw"),
            user=editor,
            public_note="We could not confirm the contractor was at fault.",
        )

    body = text(client.get(reverse("reader:corrections")))

    assert "<strong>Withdrawal:</strong> We could not confirm the contractor was at fault." in body
    assert body.index("Withdrawal:") < body.index("Fixed a name.")
    history = reverse("reader:history", args=[story.slug])
    assert body.count(f'href="{history}"') == 2  # the withdrawal and the earlier correction
    assert body.count("Story withdrawn since") == 1  # said of the correction, not the withdrawal


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Lisbon", "March 4, 2025, 2:30 p.m. WET"),
        ("Asia/Kolkata", "March 4, 2025, 8 p.m. IST"),
        ("America/Sao_Paulo", "March 4, 2025, 11:30 a.m. UTC-03"),
        ("UTC", "March 4, 2025, 2:30 p.m. UTC"),
    ],
)
def test_every_zone_is_named_and_machines_read_utc(client, editor, settings, zone, shown):
    settings.TIME_ZONE = zone
    story = published_story(editor, when=at(0))  # 14:30 UTC

    body = text(client.get(story.get_absolute_url()))

    assert f'<time datetime="2025-03-04T14:30:00+00:00">{shown}</time>' in body


def test_the_footer_and_the_corrections_policy_lead_to_how_to_check_the_record(client, db):
    guide = reverse("reader:verify")

    for url in ("/", reverse("reader:corrections_policy")):
        assert f'href="{guide}"' in text(client.get(url)), url


def test_the_record_is_explained_in_plain_words_with_the_technical_page_a_click_away(
    client, db, settings
):
    from stories.record import signing

    settings.PUBLICATION_URL = "https://news.example"
    response = client.get(reverse("reader:verify"))

    assert response.status_code == 200
    body = text(response)
    assert read(response).h1 == ["How to check our record"]
    assert "What the fingerprints prove" in body and "What the fingerprints do not prove" in body
    key = signing.public_key_hex()
    assert (
        f"python3 outside_verifier.py https://news.example --public-key {key} "
        "--state newsroom-record.json"
    ) in body
    technical = reverse("reader:verify_technical")
    assert f'href="{technical}"' in body
    technical_page = text(client.get(technical))
    assert reverse("reader:log_head") in technical_page and "RFC 9162" in technical_page
