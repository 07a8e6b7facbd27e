"""The editors' admin: saving, lost-edit protection, publishing and the audit trail."""

import pytest
from django.urls import reverse

from stories import publishing
from stories.kinds import RevisionKind
from stories.models import Credit, Revision, Story
from tests.adminforms import add_credit, form_data
from tests.factories import ContributorFactory, SectionFactory, StoryFactory


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def publish_url(story):
    return reverse("admin:stories_story_publish", args=[story.pk])


def edit(client, story, **changes):
    """Load the change form, then submit it with ``changes``, as a browser would."""
    data = form_data(client.get(change_url(story)), **changes)
    return client.post(change_url(story), data)


def errors(response):
    return response.context["adminform"].form.errors


@pytest.fixture
def published_story(story, editor):
    publishing.publish(story, user=editor)
    story.refresh_from_db()
    return story


def test_add_story_with_a_credit_records_user_and_reason(client_for, editor):
    client = client_for(editor)
    section = SectionFactory()
    contributor = ContributorFactory(name="Ada Lindqvist")
    data = {
        "headline": "Ferry cuts evening crossings",
        "slug": "ferry-cuts-evening-crossings",
        "dek": "",
        "section": section.pk,
        "dateline": "ISLAND",
        "body": "The ferry will stop early.",
        "change_reason": "",
        "credits-TOTAL_FORMS": 0,
        "credits-INITIAL_FORMS": 0,
        "revisions-TOTAL_FORMS": 0,
        "revisions-INITIAL_FORMS": 0,
        "_continue": "Save draft",
    }
    add_credit(data, "credits", contributor)

    response = client.post(reverse("admin:stories_story_add"), data)

    assert response.status_code == 302, response.context and errors(response)
    story = Story.objects.get(slug="ferry-cuts-evening-crossings")
    assert story.created_by == editor and story.modified_by == editor
    assert story.status == Story.Status.DRAFT
    row = story.history.get()
    assert (row.history_user, row.history_change_reason) == (editor, "Created")
    credit_row = Credit.history.get(story_id=story.pk)
    assert credit_row.history_user == editor
    assert story.byline() == "By Ada Lindqvist"


def test_saving_without_changes_writes_no_history(client_for, editor, story):
    client = client_for(editor)
    before = (story.history.count(), Credit.history.count())

    response = edit(client, story, _continue="Save draft")

    assert response.status_code == 302
    assert (story.history.count(), Credit.history.count()) == before


def test_editing_a_published_story_requires_and_records_a_reason(
    client_for, editor, published_story
):
    client = client_for(editor)
    response = edit(client, published_story, headline="Council delays harbor vote")
    assert "say why you are changing it" in errors(response)["change_reason"][0]
    assert Story.objects.get(pk=published_story.pk).headline != "Council delays harbor vote"

    response = edit(
        client, published_story, headline="Council delays harbor vote", change_reason="New angle"
    )

    assert response.status_code == 302
    row = published_story.history.latest()
    assert (row.headline, row.history_user, row.history_change_reason) == (
        "Council delays harbor vote",
        editor,
        "New angle",
    )
    live = Story.objects.get(pk=published_story.pk).latest_revision
    assert live.headline != "Council delays harbor vote", (
        "editing the working copy must not change what readers see"
    )


def test_second_of_two_concurrent_saves_is_refused_and_keeps_its_text(
    client_for, editor, reporter, story
):
    first = client_for(editor, fresh=True)
    second = client_for(reporter, fresh=True)
    first_form = first.get(change_url(story))
    second_form = second.get(change_url(story))

    response = first.post(change_url(story), form_data(first_form, headline="Editor's headline"))
    assert response.status_code == 302

    response = second.post(
        change_url(story), form_data(second_form, body="Reporter's careful rewrite.")
    )

    assert response.status_code == 200
    message = " ".join(errors(response)["__all__"])
    assert "Elena Editor saved this story at" in message
    assert "Your changes have not been saved" in message
    assert "Reporter&#x27;s careful rewrite." in response.content.decode()
    stored = Story.objects.get(pk=story.pk)
    assert stored.headline == "Editor's headline"
    assert stored.body != "Reporter's careful rewrite."


def test_credit_only_change_moves_the_version(client_for, editor, story):
    client = client_for(editor)
    data = form_data(client.get(change_url(story)))
    add_credit(data, "credits", ContributorFactory(name="Sam Whitfield"), role="contributed")
    version = story.version

    assert client.post(change_url(story), data).status_code == 302

    stored = Story.objects.get(pk=story.pk)
    assert stored.version == version + 1
    assert (
        stored.tagline()
        == "Dev Patel and Sam Whitfield of the Coastal Ledger contributed to this report."
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("headline", "", "This field is required."),
        ("headline", "x" * 201, "Ensure this value has at most 200 characters"),
        ("slug", "taken-slug", "Story with this Slug already exists."),
        ("section", 999999, "Select a valid choice."),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(
    client_for, editor, story, field, value, message
):
    StoryFactory(slug="taken-slug")
    client = client_for(editor)
    before = Story.objects.get(pk=story.pk)

    response = edit(client, story, **{field: value})

    assert response.status_code == 200
    assert message in " ".join(errors(response)[field])
    after = Story.objects.get(pk=story.pk)
    assert (after.headline, after.slug, after.section_id, after.version) == (
        before.headline,
        before.slug,
        before.section_id,
        before.version,
    )


def test_slug_is_fixed_once_published(client_for, editor, published_story):
    client = client_for(editor)
    response = edit(client, published_story, slug="a-new-url", dek="New dek", change_reason="Dek")
    assert response.status_code == 302
    assert Story.objects.get(pk=published_story.pk).slug == published_story.slug


def test_publish_through_the_admin(client_for, editor, story):
    client = client_for(editor)
    response = edit(client, story, _publish="Save and publish…")
    assert response.status_code == 302 and response.url == publish_url(story)

    page = client.get(publish_url(story))
    assert page.status_code == 200
    assert "What readers will see" in page.content.decode()

    response = client.post(publish_url(story), {})
    assert response.status_code == 302
    revision = Story.objects.get(pk=story.pk).latest_revision
    assert (revision.number, revision.kind, revision.published_by) == (
        1,
        RevisionKind.FIRST,
        editor,
    )


def test_republish_without_kind_or_note_is_a_form_error(client_for, editor, published_story):
    client = client_for(editor)

    response = client.post(publish_url(published_story), {"kind": "", "public_note": ""})
    assert response.status_code == 200
    assert "Choose what kind of change" in response.context["form"].errors["kind"][0]

    response = client.post(publish_url(published_story), {"kind": "correction", "public_note": ""})
    assert "needs a public note" in response.context["form"].errors["public_note"][0]
    assert published_story.revisions.count() == 1

    response = client.post(
        publish_url(published_story),
        {"kind": "correction", "public_note": "An earlier version misspelled a name."},
    )
    assert response.status_code == 302
    assert published_story.revisions.latest().public_note == "An earlier version misspelled a name."


def test_reporter_cannot_publish_even_with_a_forged_post(client_for, reporter, story):
    client = client_for(reporter)
    change_page = client.get(change_url(story)).content.decode()
    assert 'name="_publish"' not in change_page

    response = client.post(publish_url(story), {})

    assert response.status_code == 403
    assert not Revision.objects.exists()
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_reporter_cannot_withdraw(client_for, reporter, published_story):
    response = client_for(reporter).post(
        reverse("admin:stories_story_withdraw", args=[published_story.pk]), {"public_note": "Gone"}
    )
    assert response.status_code == 403
    assert Story.objects.get(pk=published_story.pk).status == Story.Status.PUBLISHED


def test_withdraw_through_the_admin(client_for, editor, published_story):
    client = client_for(editor)
    url = reverse("admin:stories_story_withdraw", args=[published_story.pk])
    response = client.post(url, {"public_note": ""})
    assert response.status_code == 200 and response.context["form"].errors["public_note"]

    response = client.post(url, {"public_note": "Withdrawn pending a legal review."})

    assert response.status_code == 302
    story = Story.objects.get(pk=published_story.pk)
    assert story.status == Story.Status.WITHDRAWN
    assert story.latest_revision.public_note == "Withdrawn pending a legal review."


def test_compare_working_copy_with_live(client_for, editor, published_story):
    published_story.body += "\n\nA brand new closing paragraph."
    published_story.save()

    response = client_for(editor).get(
        reverse("admin:stories_story_compare", args=[published_story.pk])
    )

    assert response.status_code == 200
    assert "<ins>A brand new closing paragraph.</ins>" in response.content.decode()


def test_history_view_shows_fields_users_reasons_and_credits(client_for, editor, published_story):
    client = client_for(editor)
    edit(client, published_story, dek="A new dek", change_reason="Sharper dek")

    page = client.get(
        reverse("admin:stories_story_history", args=[published_story.pk])
    ).content.decode()

    assert "Sharper dek" in page
    assert "A new dek" in page
    assert "Published as version 1 (First publication)" in page
    assert 'id="credit-history"' in page and "Maria Ortiz" in page


def test_revert_restores_fields_but_never_publishing_state(client_for, editor, published_story):
    client = client_for(editor)
    draft_row = published_story.history.earliest()
    edit(client, published_story, headline="Changed after publication", change_reason="Try")
    url = reverse(
        "admin:stories_story_simple_history", args=[published_story.pk, draft_row.history_id]
    )

    data = form_data(client.get(url), change_reason="Reverted the headline")
    response = client.post(url, data)

    assert response.status_code == 302
    story = Story.objects.get(pk=published_story.pk)
    assert story.headline == draft_row.headline
    assert story.status == Story.Status.PUBLISHED
    assert story.latest_revision is not None
    assert story.history.latest().history_change_reason == "Reverted the headline"


def test_story_page_shows_where_an_imported_story_came_from(client_for, editor):
    from stories.importing import import_text

    import_text(
        "Ferry cuts late crossings\n\nThe ferry stops early.\nCorrection: The time was wrong.\n",
        filename="ferry.txt",
        user=editor,
    )
    story = Story.objects.get(slug="ferry-cuts-late-crossings")

    page = client_for(editor).get(change_url(story)).content.decode()

    assert "ferry.txt, by editor on" in page
    assert "Notes in the file: correction: The time was wrong." in page


def test_history_shows_text_changes_as_word_diffs_and_empty_links_as_none(
    client_for, editor, story
):
    client = client_for(editor)
    edit(client, story, body=story.body.replace("three hours", "four hours"))
    publishing.publish(story, user=editor)

    page = client.get(reverse("admin:stories_story_history", args=[story.pk])).content.decode()

    assert "<del>three</del><ins>four</ins>" in page
    assert "… 1 unchanged paragraph(s) …" in page  # the first paragraph is only counted
    assert "Deleted revision" not in page
    assert "(none)&nbsp;&rarr;" in page
