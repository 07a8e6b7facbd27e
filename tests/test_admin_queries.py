"""The editors' pages stay flat on long-running stories: a constant number of queries
whatever the number of published versions, credits and audit rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stories.content.kinds import CreditRole
from tests.adminforms import queries_of
from tests.factories import ContributorFactory, CreditFactory, StoryFactory, long_record


def long_running_story(editor, *, versions: int, credits: int):
    """A story with ``versions`` published versions, their audit rows, and ``credits``."""
    story = StoryFactory()
    roles = [CreditRole.BYLINE, CreditRole.CONTRIBUTED, CreditRole.PHOTOGRAPHY]
    for position in range(credits):
        CreditFactory(
            story=story,
            contributor=ContributorFactory(),
            role=roles[position % 3],
            position=position,
        )
    return long_record(story, editor, versions=versions)


@pytest.mark.parametrize(
    "page",
    ["admin:stories_story_change", "admin:stories_story_history", "admin:stories_story_publish"],
)
def test_story_pages_run_the_same_queries_at_1_30_and_300_versions(client_for, editor, page):
    client = client_for(editor)
    counts = {}
    for versions, credits in ((1, 1), (30, 10), (300, 30)):
        story = long_running_story(editor, versions=versions, credits=credits)
        counts[versions] = queries_of(client, reverse(page, args=[story.pk]))
    assert counts[1] == counts[30] == counts[300], counts


def test_the_change_form_lists_the_latest_versions_and_links_to_all(client_for, editor):
    story = long_running_story(editor, versions=25, credits=2)

    page = client_for(editor).get(reverse("admin:stories_story_change", args=[story.pk]))

    html = page.content.decode()
    assert "Version 25" in html and "Version 16" in html and "Version 15" not in html
    all_versions = reverse("admin:stories_revision_changelist") + f"?story__id__exact={story.pk}"
    assert f'href="{all_versions}"' in html.replace("&amp;", "&")
    listing = client_for(editor).get(all_versions)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 25


def test_the_history_page_pages_through_credit_changes_too(client_for, editor):
    story = long_running_story(editor, versions=2, credits=1)
    credit = story.credits.get()
    for position in range(1, 61):
        credit.position = position
        credit.save()
    client = client_for(editor)
    url = reverse("admin:stories_story_history", args=[story.pk])

    first, last = client.get(url), client.get(url + "?credits_page=3")

    assert len(first.context["credit_history"]) == 25
    assert "Credit changes 1–25 of 61" in first.content.decode()
    assert len(last.context["credit_history"]) == 11


# -- the desk --------------------------------------------------------------------------------

#: Queries of the change form of a story in review with its comments, and of the review
#: queue: the same for 1 comment as for 100, and for 1 story in review as for 50 (pinned,
#: so a query per comment or per row cannot creep in). The session's own query is left
#: out: with Redis, sessions are read from the cache.
CHANGE_FORM_IN_REVIEW_QUERIES = 23
QUEUE_QUERIES = 8


def desk_queries_of(client, url) -> int:
    client.get(url)  # the first request of a run also fills per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return sum(1 for query in captured if "django_session" not in query["sql"])


def story_in_review(reporter, editor, *, comments_count: int):
    from stories import reviewing
    from stories.desk import comments

    story = StoryFactory()
    CreditFactory(story=story, contributor=ContributorFactory(), position=0)
    reviewing.submit(story, user=reporter, message="Please read.")
    thread = None
    for number in range(comments_count):
        thread = comments.add_comment(
            story,
            user=editor if number % 2 else reporter,
            body=f"Comment {number}",
            field="body" if number % 3 == 0 else "",
            quote="The council met" if number % 3 == 0 else "",
            parent=thread if number % 5 == 4 else None,
        )
    return story


def test_the_change_form_of_a_story_in_review_runs_the_same_queries_at_1_and_100_comments(
    client_for, reporter, editor
):
    client = client_for(editor)
    counts = {}
    for size in (1, 100):
        story = story_in_review(reporter, editor, comments_count=size)
        counts[size] = desk_queries_of(
            client, reverse("admin:stories_story_change", args=[story.pk])
        )
    assert counts[1] == counts[100] == CHANGE_FORM_IN_REVIEW_QUERIES, counts


def test_the_review_queue_runs_the_same_queries_at_1_and_50_stories(client_for, reporter, editor):
    from stories import reviewing

    client = client_for(editor)
    url = reverse("admin:stories_review_changelist") + "?tab=all"
    reviewing.submit(StoryFactory(), user=reporter, reviewer=editor, priority="high")
    one = desk_queries_of(client, url)
    for _ in range(49):
        reviewing.submit(StoryFactory(), user=reporter, reviewer=editor)
    fifty = desk_queries_of(client, url)
    assert len(client.get(url).context["rows"]) == 50
    assert one == fifty == QUEUE_QUERIES, (one, fifty)
