"""No draft reaches a reader: public URLs render published revisions only; the preview
shows the working copy to staff who may change stories, and to nobody else."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.paginator import Page
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.template.context import Context
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import timezone

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.reader import pages
from stories.reader import urls as reader_urls
from tests.factories import ContributorFactory, CreditFactory, SectionFactory, UserFactory, approved
from tests.readerpages import make_story, publish, read, text

SECRET = "Zanzibar-7 quartermaster sentence that must stay unpublished"
SECRET_NAME = "Quentin Unpublishedname"
SECRET_SECTION = "Secretsection Drafts"
#: What the desk says about a story: never public either.
SECRET_COMMENT = "Xylophone-4 comment the desk keeps to itself"
SECRET_REVIEW = "Marmalade-9 review message for editors only"
SECRET_REVIEWER = "Quintessa Reviewername"


@pytest.fixture
def live_story_with_draft_changes(editor):
    """A live story (corrected, recent) whose working copy then changes everywhere."""
    now = timezone.now()
    story = make_story(
        [
            ("June Okafor", CreditRole.BYLINE, ""),
            ("Dev Patel", CreditRole.CONTRIBUTED, "the Coastal Ledger"),
        ],
        headline="Harbor wall vote delayed",
        dek="The council wants more study.",
        body="The council met on Tuesday.\n\nResidents spoke for three hours.",
        section=SectionFactory(name="Local", slug="local"),
    )
    publish(story, editor, when=now - timedelta(hours=3))
    publish(
        story, editor, when=now - timedelta(hours=2), kind=RevisionKind.CORRECTION,
        note="An earlier version misstated the day.",
        body="The council met on Wednesday.\n\nResidents spoke for three hours.",
    )  # fmt: skip

    # Unpublished edits: every public field, a new credit, another section.
    story.headline = f"{SECRET} headline"
    story.dek = f"{SECRET} dek"
    story.body = f"The council met on Wednesday.\n\n{SECRET}.\n\nResidents spoke for three hours."
    story.dateline = "SECRETVILLE"
    story.section = SectionFactory(name=SECRET_SECTION, slug="secret-section")
    story.save()
    CreditFactory(
        story=story,
        contributor=ContributorFactory(name=SECRET_NAME, slug="secret-contributor"),
        role=CreditRole.BYLINE,
        position=9,
    )
    desk_talk(story, editor)
    return story


def desk_talk(story, editor):
    """Comments, a review message and a named reviewer on ``story``, as the desk leaves them."""
    from stories import reviewing
    from stories.desk import comments

    first_name, last_name = SECRET_REVIEWER.split()
    reviewer = UserFactory(
        username="secret-reviewer", first_name=first_name, last_name=last_name,
        permissions=["publish_story", "change_story"],
    )  # fmt: skip
    reviewing.submit(story, user=editor, message=SECRET_REVIEW, reviewer=reviewer)
    thread = comments.add_comment(
        story, user=editor, body=SECRET_COMMENT, field="body", quote=SECRET
    )
    comments.add_comment(story, user=reviewer, body=f"{SECRET_COMMENT}, replied", parent=thread)


@pytest.fixture
def never_published(editor):
    story = make_story(
        [("Nadia Neverpublished", CreditRole.BYLINE, "")],
        headline=f"{SECRET} in a draft story",
        body=f"{SECRET} in a draft body.",
        slug="draft-only-story",
    )
    from stories.desk import comments

    comments.add_comment(story, user=editor, body=f"{SECRET_COMMENT} on a draft")
    return story


def public_urls(story):
    contributor = story.ordered_credits()[0].contributor
    return [
        "/",
        "/?page=1",
        "/sections/local/",
        "/sections/secret-section/",
        story.get_absolute_url(),
        reverse("reader:history", args=[story.slug]),
        reverse("reader:revision", args=[story.slug, 1]),
        reverse("reader:revision", args=[story.slug, 2]),
        reverse("reader:compare", args=[story.slug, 1, 2]),
        contributor.get_absolute_url(),
        "/contributors/secret-contributor/",
        reverse("reader:corrections"),
        reverse("reader:corrections_policy"),
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        "/sections/local/feeds/rss/",
        "/sections/local/feeds/atom/",
        "/sections/secret-section/feeds/rss/",
        "/feeds/corrections/atom/",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/robots.txt",
        reverse("reader:story_record", args=[story.slug]),
        "/search/?q=Xylophone-4",
        "/search/?q=Marmalade-9+review",
        "/search/?q=Quintessa",
        "/stories/draft-only-story/",
        "/stories/draft-only-story/history/",
        "/stories/draft-only-story/history/1/",
        "/contributors/no-such-person/",
    ]


def assert_no_draft_content(response, url):
    body = text(response)
    secrets = (
        SECRET, SECRET_NAME, SECRET_SECTION, "SECRETVILLE", "Nadia Neverpublished",
        SECRET_COMMENT, SECRET_REVIEW, SECRET_REVIEWER, "secret-reviewer",
    )  # fmt: skip
    for secret in secrets:
        assert secret not in body, f"{secret!r} leaked on {url} ({response.status_code})"


#: The public URLs that must answer 404: drafts, and what only drafts name.
NOT_PUBLIC = {
    "/sections/secret-section/",
    "/sections/secret-section/feeds/rss/",
    "/contributors/secret-contributor/",
    "/stories/draft-only-story/",
    "/stories/draft-only-story/history/",
    "/stories/draft-only-story/history/1/",
    "/contributors/no-such-person/",
}


def assert_public_pages_show_no_draft(client, story):
    """Every public URL answers as it should (so its content really was looked at: a
    404 everywhere would show no draft either), and none shows a word of a draft."""
    for url in public_urls(story):
        response = client.get(url)
        expected = 404 if url in NOT_PUBLIC else 200
        assert response.status_code == expected, url
        assert_no_draft_content(response, url)
    assert "Harbor wall vote delayed" in text(client.get(story.get_absolute_url()))
    assert "Harbor wall vote delayed" in text(client.get("/sitemap-news.xml"))


def test_no_draft_content_on_any_public_url(client, live_story_with_draft_changes, never_published):
    assert_public_pages_show_no_draft(client, live_story_with_draft_changes)


def test_no_draft_content_for_logged_in_staff_either(
    client, editor, live_story_with_draft_changes, never_published
):
    client.force_login(editor)
    assert_public_pages_show_no_draft(client, live_story_with_draft_changes)


#: The reader views that read the working copy, on purpose: the staff-only preview, and
#: an outside approver's signed link (its token is no sample: tests/test_desk_previews.py).
WORKING_COPY_VIEWS = {"preview", "outside_preview"}
#: Addresses that only take a POST (a witness's cosignature: tests/test_checkpoints.py).
POST_ONLY_VIEWS = {"log_cosignatures"}
READER_PACKAGE = str(Path(reader_urls.__file__).parent)


def sample_kwargs(pattern, story):
    """Arguments for a reader URL, from its route: a story's, section's or contributor's
    slug by where the slug stands, version numbers 1 and 2, log sizes 1 and 2."""
    route = str(pattern.pattern)
    samples = {"number": 1, "old": 1, "new": 2, "first": 1, "second": 2}
    kwargs = {}
    for name in pattern.pattern.converters:
        if name != "slug":
            kwargs[name] = samples[name]
        elif route.startswith("sections/"):
            kwargs[name] = "local"
        elif route.startswith("contributors/"):
            kwargs[name] = story.ordered_credits()[0].contributor.slug
        else:
            kwargs[name] = story.slug
    return kwargs


def model_paths(value, path, seen):
    """Where ``value`` holds a model instance (or a queryset of them), as paths."""
    if id(value) in seen or isinstance(value, str | bytes | int | float | bool | type(None)):
        return
    seen.add(id(value))
    if isinstance(value, Model):
        yield f"{path} is a {type(value).__name__}"
    elif isinstance(value, QuerySet):
        if value._iterable_class is ModelIterable:
            yield f"{path} is a queryset of {value.model.__name__}"
        else:
            for index, item in enumerate(value):
                yield from model_paths(item, f"{path}[{index}]", seen)
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from model_paths(getattr(value, item.name), f"{path}.{item.name}", seen)
    elif isinstance(value, Page):
        yield from model_paths(list(value.object_list), f"{path}.object_list", seen)
    elif isinstance(value, Context | ContextList):
        for layer in value.dicts if isinstance(value, Context) else value:
            yield from model_paths(layer, path, seen)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from model_paths(item, f"{path}[{key!r}]", seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from model_paths(item, f"{path}[{index}]", seen)


@contextmanager
def watching_the_reader():
    """Every value returned by a function of the reader app (page builders, feed and
    sitemap items, view helpers) while the block runs, with the function's name."""
    returned = []

    def profile(frame, event, value):
        if event == "return" and frame.f_code.co_filename.startswith(READER_PACKAGE):
            returned.append((frame.f_code.co_qualname, value))

    sys.setprofile(profile)
    try:
        yield returned
    finally:
        sys.setprofile(None)


def test_no_reader_view_gives_a_template_a_model_instance(
    client, live_story_with_draft_changes, never_published
):
    """A template can only reach what its context holds. Every reader URL is requested,
    found from the reader's URLconf (not from a list kept here), while every function of
    the reader app is watched: no builder any view calls returns a model instance, and
    no template context holds one, so nothing leads from a page to a working copy (a
    draft's text, a contributor's staff account)."""
    story = live_story_with_draft_changes
    requested = []
    for pattern in reader_urls.urlpatterns:
        if pattern.name in WORKING_COPY_VIEWS | POST_ONLY_VIEWS:
            continue
        url = reverse(f"reader:{pattern.name}", kwargs=sample_kwargs(pattern, story))
        with watching_the_reader() as returned:
            response = client.get(url)
        assert response.status_code in (200, 301, 302), f"{url} answered {response.status_code}"
        # A query helper may return a queryset of models (``live_versions``): it never
        # reaches a template unless a builder or a view hands it on, which is checked.
        found = [
            problem
            for name, value in returned
            if not isinstance(value, QuerySet)
            for problem in model_paths(value, f"{name}()", set())
        ]
        found += list(model_paths(response.context or [], "context", set()))
        assert not found, f"{url}: {found}"
        requested.append((pattern.name, len(returned)))
    # Builders really were watched: the story page's and the section page's among them.
    names = {name for name, _ in requested}
    assert {"story", "section", "contributor", "history", "compare", "home"} <= names
    assert all(count for name, count in requested if name != "log_public_key")


def test_sections_and_contributors_reach_templates_as_plain_data(
    client, live_story_with_draft_changes
):
    contributor = live_story_with_draft_changes.ordered_credits()[0].contributor
    contributor.user = UserFactory(username="staff-account-of-june")
    contributor.save()

    section_page = client.get("/sections/local/")
    contributor_page = client.get(contributor.get_absolute_url())

    assert isinstance(section_page.context["section"], pages.SectionProfile)
    assert isinstance(contributor_page.context["contributor"], pages.ContributorProfile)
    assert not hasattr(contributor_page.context["contributor"], "user")
    assert "staff-account-of-june" not in text(contributor_page)


def test_preview_shows_the_working_copy_to_editors(client, editor, live_story_with_draft_changes):
    story = live_story_with_draft_changes
    client.force_login(editor)

    response = client.get(reverse("reader:preview", args=[story.slug]))

    assert response.status_code == 200
    body = text(response)
    assert "Preview - not published" in body
    assert read(response).h1 == [f"{SECRET} headline"]
    assert f"<p>{SECRET}.</p>" in body
    assert SECRET_NAME in body and "SECRETVILLE" in body
    assert "An earlier version misstated the day." in body, "published notes are kept"
    assert "Readers currently see" in body
    edit_url = reverse("admin:stories_story_change", args=[story.pk])
    assert f'href="{edit_url}">← Back to editing</a>' in body
    assert SECRET_COMMENT not in body and SECRET_REVIEW not in body, "the desk's talk stays inside"
    assert '<meta name="robots" content="noindex">' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def test_preview_of_a_never_published_draft(client, editor, never_published):
    client.force_login(editor)

    response = client.get(reverse("reader:preview", args=[never_published.slug]))

    assert response.status_code == 200
    body = text(response)
    assert f"{SECRET} in a draft body." in body
    assert "Not yet published" in body
    assert "Readers cannot see this story yet." in body


def test_preview_is_never_cached(client, editor, live_story_with_draft_changes):
    story = live_story_with_draft_changes
    client.force_login(editor)
    url = reverse("reader:preview", args=[story.slug])
    client.get(url)

    story.body = "A second draft."
    story.save()

    assert "A second draft." in text(client.get(url))


def test_preview_is_404_for_everyone_else(client, editor, reporter, live_story_with_draft_changes):
    url = reverse("reader:preview", args=[live_story_with_draft_changes.slug])

    assert client.get(url).status_code == 404, "anonymous"

    viewer = UserFactory(username="viewer", permissions=["view_story"])
    client.force_login(viewer)
    assert client.get(url).status_code == 404, "staff without change permission"

    not_staff = UserFactory(username="outsider", is_staff=False, permissions=["change_story"])
    client.force_login(not_staff)
    assert client.get(url).status_code == 404, "change permission without staff access"

    inactive = UserFactory(username="gone", is_active=False, permissions=["change_story"])
    client.force_login(inactive)
    assert client.get(url).status_code == 404, "inactive account"

    client.force_login(reporter)
    response = client.get(url)
    assert response.status_code == 200, "reporters may preview what they draft"
    assert SECRET in text(response)

    client.force_login(editor)
    assert client.get("/stories/no-such-story/preview/").status_code == 404


# -- the way in from the admin -----------------------------------------------------------


def test_admin_links_to_the_preview_and_the_live_page(client, editor):
    story = make_story([("June Okafor", CreditRole.BYLINE, "")])
    client.force_login(editor)
    change_url = reverse("admin:stories_story_change", args=[story.pk])
    preview_link = f'href="{reverse("reader:preview", args=[story.slug])}">Preview</a>'
    live_link = f'href="{story.get_absolute_url()}">View live</a>'

    draft_page = text(client.get(change_url))
    assert preview_link in draft_page
    assert live_link not in draft_page, "a draft has no live page"

    approved(story)
    response = client.post(
        reverse("admin:stories_story_publish", args=[story.pk]),
        {"loaded_edit": story.edit_number},
        follow=True,
    )
    message = text(response)
    assert f'<a href="{story.get_absolute_url()}">View it live</a>' in message
    live_page = text(client.get(change_url))
    assert preview_link in live_page and live_link in live_page

    publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn.")
    assert live_link not in text(client.get(change_url)), "a withdrawn story answers 410"
