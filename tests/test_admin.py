"""The editors' admin: saving, lost-edit protection, publishing and the audit trail."""

import html
import re

import pytest
from django.urls import reverse

from stories import editing, publishing
from stories.content.kinds import RevisionKind
from stories.models import Credit, Revision, Story
from tests.adminforms import add_credit, form_data
from tests.factories import ContributorFactory, SectionFactory, StoryFactory, approved


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def publish_url(story):
    return reverse("admin:stories_story_publish", args=[story.pk])


def edit(client, story, **changes):
    """Load the change form, then submit it with ``changes``, as a browser would."""
    data = form_data(client.get(change_url(story)), **changes)
    return client.post(change_url(story), data)


def publish_form(story, **fields):
    """What the publish page submits: the fields, and the version it was opened on (which
    a second editor has approved: the two-person rule)."""
    approved(story)
    return {"loaded_edit": Story.objects.get(pk=story.pk).edit_number, **fields}


def errors(response):
    return response.context["adminform"].form.errors


@pytest.fixture
def published_story(story, editor):
    publishing.publish(approved(story), user=editor)
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
    before = published_story.headline
    response = edit(client, published_story, headline="Council delays harbor vote")
    assert "say why you are changing it" in errors(response)["change_reason"][0]
    assert Story.objects.get(pk=published_story.pk).headline == before

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
    assert live.headline == before, "editing the working copy must not change what readers see"


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
    assert (stored.headline, stored.body) == ("Editor's headline", story.body)


def test_credit_only_change_moves_the_version(client_for, editor, story):
    client = client_for(editor)
    data = form_data(client.get(change_url(story)))
    add_credit(data, "credits", ContributorFactory(name="Sam Whitfield"), role="contributed")
    version = story.edit_number

    assert client.post(change_url(story), data).status_code == 302

    stored = Story.objects.get(pk=story.pk)
    assert stored.edit_number == version + 1
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
    assert (after.headline, after.slug, after.section_id, after.edit_number) == (
        before.headline,
        before.slug,
        before.section_id,
        before.edit_number,
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

    response = client.post(publish_url(story), publish_form(story))
    assert response.status_code == 302
    revision = Story.objects.get(pk=story.pk).latest_revision
    assert (revision.number, revision.kind, revision.published_by) == (
        1,
        RevisionKind.FIRST,
        editor,
    )


def test_republish_without_kind_or_note_is_a_form_error(client_for, editor, published_story):
    client = client_for(editor)

    response = client.post(publish_url(published_story), publish_form(published_story, kind=""))
    assert response.status_code == 200
    assert "Choose what kind of change" in response.context["form"].errors["kind"][0]

    response = client.post(
        publish_url(published_story), publish_form(published_story, kind="correction")
    )
    assert "needs a public note" in response.context["form"].errors["public_note"][0]
    assert published_story.revisions.count() == 1

    response = client.post(
        publish_url(published_story),
        publish_form(
            published_story, kind="correction", public_note="An earlier version misspelled a name."
        ),
    )
    assert response.status_code == 302
    assert published_story.revisions.latest().public_note == "An earlier version misspelled a name."


def test_reporter_cannot_publish_even_with_a_forged_post(client_for, reporter, story):
    client = client_for(reporter)
    change_page = client.get(change_url(story)).content.decode()
    assert 'name="_publish"' not in change_page

    response = client.post(publish_url(story), publish_form(story))

    assert response.status_code == 403
    assert "reporter does not have permission to publish stories." in response.content.decode()
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

    approved(published_story, purpose="withdraw")
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
    page = response.content.decode()
    assert "<ins>A brand new closing paragraph.</ins>" in page
    # One diff, said as one: no "Left" and "Right" columns that are not there.
    assert "Left:" not in page and "Right:" not in page
    assert "text struck through is in version 1 and not in the working copy" in page


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
    assert response.url == change_url(published_story), "back on the story, not the list"
    story = Story.objects.get(pk=published_story.pk)
    assert story.headline == draft_row.headline
    assert story.status == Story.Status.PUBLISHED
    assert story.latest_revision is not None
    assert story.history.latest().history_change_reason == "Reverted the headline"


def test_story_page_shows_where_an_imported_story_came_from(client_for, editor):
    from stories.interchange.importing import import_text

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
    publishing.publish(approved(story), user=editor)

    page = client.get(reverse("admin:stories_story_history", args=[story.pk])).content.decode()

    assert "<del>three</del><ins>four</ins>" in page
    assert "… 1 unchanged paragraph …" in page  # the first paragraph is only counted
    assert "Deleted revision" not in page
    assert "(none)&nbsp;&rarr;" in page


# -- findings of the admin review: each a behaviour an editor relies on ---------------


def test_revert_without_a_reason_restores_a_draft(client_for, editor, story):
    client = client_for(editor)
    original = story.history.earliest()
    edit(client, story, body="A rewrite that did not work.")
    url = reverse("admin:stories_story_simple_history", args=[story.pk, original.history_id])

    response = client.post(url, form_data(client.get(url)))

    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).body == original.body
    assert story.history.latest().history_user == editor


def test_revert_of_a_section_restores_it(client_for, editor):
    section = SectionFactory(name="Local", slug="local")
    editor.is_superuser = True  # sections are changed by editors-in-chief
    editor.save()
    client = client_for(editor)
    first = section.history.get()
    client.post(
        reverse("admin:stories_section_change", args=[section.pk]),
        {"name": "Local news", "slug": "local-news", "description": ""},
    )
    url = reverse("admin:stories_section_simple_history", args=[section.pk, first.history_id])

    response = client.post(url, form_data(client.get(url)))

    assert response.status_code == 302
    assert response.url == reverse("admin:stories_section_change", args=[section.pk])
    section.refresh_from_db()
    assert (section.name, section.slug) == ("Local", "local")
    assert section.history.count() == 3


def test_a_credit_deleted_and_added_back_in_one_save(client_for, editor, story):
    client = client_for(editor)
    credit = story.credits.get(role="byline")
    data = form_data(client.get(change_url(story)))
    index = next(k for k, v in data.items() if k.endswith("-id") and v == credit.pk).split("-")[1]
    data[f"credits-{index}-DELETE"] = "on"
    add_credit(data, "credits", credit.contributor, role="byline", position=0)

    response = client.post(change_url(story), data)

    assert response.status_code == 302
    assert list(story.credits.values_list("contributor__name", flat=True).order_by("position")) == [
        "Maria Ortiz",
        "Dev Patel",
    ]


def test_swapping_contributors_between_rows_reorders_the_credits(client_for, editor, story):
    client = client_for(editor)
    byline, tagline = story.credits.get(role="byline"), story.credits.get(role="contributed")
    tagline.role = "byline"
    tagline.save()
    data = form_data(client.get(change_url(story)))
    rows = {
        v: k.split("-")[1]
        for k, v in data.items()
        if k.startswith("credits-") and k.endswith("-id")
    }
    data[f"credits-{rows[byline.pk]}-contributor"] = tagline.contributor_id
    data[f"credits-{rows[tagline.pk]}-contributor"] = byline.contributor_id

    response = client.post(change_url(story), data)

    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).byline() == "By Dev Patel and Maria Ortiz"
    # Each credit kept its row: the change is a change of positions, not new credits.
    assert set(story.credits.values_list("pk", flat=True)) == {byline.pk, tagline.pk}


def test_the_same_contributor_twice_in_one_role_is_a_form_error(client_for, editor, story):
    client = client_for(editor)
    byline = story.credits.get(role="byline")
    data = add_credit(form_data(client.get(change_url(story))), "credits", byline.contributor)

    response = client.post(change_url(story), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    # Said at the row, naming who and in which role, not in Django's stock words above.
    assert list(formset.non_form_errors()) == []
    repeated = formset.forms[-1].errors["contributor"]
    first_row = [form.instance.pk for form in formset.forms].index(byline.pk) + 1
    assert repeated == [
        f"{byline.contributor.name} is already credited as “Byline” in row {first_row}. "
        "Choose another role or contributor, or delete this row."
    ]
    assert story.credits.count() == 2


def test_credit_changes_on_a_published_story_need_a_reason(client_for, editor, published_story):
    client = client_for(editor)
    data = add_credit(
        form_data(client.get(change_url(published_story))), "credits", ContributorFactory()
    )

    response = client.post(change_url(published_story), data)

    assert response.status_code == 200
    message = " ".join(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert "say why you are changing its credits" in message
    assert published_story.credits.count() == 2


def test_publish_at_a_past_time_is_refused(client_for, editor, story):
    response = client_for(editor).post(
        publish_url(story), publish_form(story, scheduled_at="2001-01-01T10:00")
    )
    assert response.status_code == 200
    assert "Choose a time in the future" in response.context["form"].errors["scheduled_at"][0]
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_schedule_and_cancel_through_the_admin(client_for, editor, story):
    client = client_for(editor)
    client.post(publish_url(story), publish_form(story, scheduled_at="2999-01-01T10:00"))
    assert Story.objects.get(pk=story.pk).status == Story.Status.SCHEDULED
    assert "Cancel schedule" in client.get(change_url(story)).content.decode()

    response = client.post(reverse("admin:stories_story_unschedule", args=[story.pk]))

    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT


def test_publish_refuses_changes_saved_after_the_page_was_opened(
    client_for, editor, reporter, published_story
):
    opened = publish_form(published_story, kind="update", public_note="Added a quote.")
    edit(
        client_for(reporter, fresh=True),
        published_story,
        body="Unreviewed text.",
        change_reason="x",
    )

    response = client_for(editor).post(publish_url(published_story), opened)

    assert response.status_code == 200
    assert "Rui Reporter changed the working copy after you opened this page" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert published_story.revisions.count() == 1


def test_reporter_sees_a_clear_refusal_on_the_publish_page(client_for, reporter, story):
    response = client_for(reporter).get(publish_url(story))
    assert response.status_code == 403
    assert "reporter does not have permission to publish stories." in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/stories/story/abc/history/",
        "/admin/stories/story/abc/delete/",
        "/admin/stories/section/abc/history/",
        "/admin/stories/section/1/history/abc/",
    ],
)
def test_non_numeric_admin_ids_are_not_found(client_for, editor, url):
    editor.is_superuser = True
    editor.save()
    assert client_for(editor).get(url).status_code == 404


@pytest.mark.parametrize("view", ["publish", "withdraw", "compare", "unschedule"])
def test_non_numeric_ids_on_story_pages_get_the_admins_not_found_message(client_for, editor, view):
    response = client_for(editor).get(f"/admin/stories/story/abc/{view}/", follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in str(list(response.context["messages"])[0])


def test_a_published_story_cannot_be_deleted_and_the_editor_is_told_why(
    client_for, editor, published_story
):
    client = client_for(editor)
    response = client.post(
        reverse("admin:stories_story_delete", args=[published_story.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert Story.objects.filter(pk=published_story.pk).exists()
    message = str(list(client.get(change_url(published_story)).context["messages"])[0])
    assert "Withdraw it instead" in message


def test_a_form_without_its_edit_number_is_refused_clearly(client_for, editor, story):
    client = client_for(editor)
    data = form_data(client.get(change_url(story)), headline="New")
    del data["loaded_edit"]

    response = client.post(change_url(story), data)

    assert "does not say which edit" in " ".join(errors(response)["__all__"])


def test_slugs_that_published_versions_link_to_are_fixed(client_for, editor, published_story):
    editor.is_superuser = True  # sections are changed by editors-in-chief
    editor.save()
    client = client_for(editor)
    section, contributor = published_story.section, published_story.credits.first().contributor
    for obj, name in ((section, "section"), (contributor, "contributor")):
        public_slug = obj.slug
        url = reverse(f"admin:stories_{name}_change", args=[obj.pk])
        page = client.get(url)
        field = page.context["adminform"].form.fields["slug"]
        assert field.disabled, f"the {name}'s public slug is shown fixed"

        response = client.post(
            url, form_data(page, slug="a-new-address", name="Renamed", change_reason="Renamed")
        )

        assert response.status_code == 302
        obj.refresh_from_db()
        assert (obj.slug, obj.name) == (public_slug, "Renamed")


def test_contributor_staff_account_is_a_plain_choice_of_staff(client_for, editor, reporter):
    from tests.factories import UserFactory

    UserFactory(username="reader", is_staff=False)
    page = client_for(editor).get(reverse("admin:stories_contributor_add"))
    choices = [label for _, label in page.context["adminform"].form.fields["user"].choices]
    assert "editor" in choices and "reporter" in choices and "reader" not in choices


# -- reverts: every history row of every model opens and saves, no public slug moves ---


def _revert_every_row(client, obj, name):
    """Open the revert page of each of ``obj``'s history rows, newest first, and save it."""
    for row in list(obj.history.order_by("-history_date", "-history_id")):
        url = reverse(f"admin:stories_{name}_simple_history", args=[obj.pk, row.history_id])
        page = client.get(url)
        assert page.status_code == 200, f"{name} history row {row.history_id} opens"
        response = client.post(url, form_data(page, change_reason="Reverted in a test"))
        assert response.status_code == 302, (
            page.context and response.context["adminform"].form.errors
        )


@pytest.mark.parametrize("name", ["story", "section", "contributor"])
def test_every_history_row_reverts_before_and_after_publication_keeping_public_slugs(
    client_for, editor, story, name
):
    editor.is_superuser = True  # sections are changed by editors-in-chief
    editor.save()
    client = client_for(editor)
    objects = {
        "story": story,
        "section": story.section,
        "contributor": story.credits.first().contributor,
    }
    obj = objects[name]
    # Before publication: the slug may still change, and does.
    obj = type(obj).objects.get(pk=obj.pk)
    obj.slug = f"{obj.slug}-draft"
    save = {"story": editing.save_story, "section": editing.save_section}
    save.get(name, editing.save_contributor)(obj, user=editor)
    publishing.publish(approved(Story.objects.get(pk=story.pk)), user=editor)
    # After publication: an ordinary edit, with its reason.
    obj = type(obj).objects.get(pk=obj.pk)
    if name == "story":
        obj.headline = "A headline after publication"
    else:
        obj.name = "A name after publication"
    save.get(name, editing.save_contributor)(obj, user=editor, reason="Renamed")
    public_slug = obj.slug
    live = Story.objects.get(pk=story.pk).latest_revision

    _revert_every_row(client, obj, name)

    obj.refresh_from_db()
    assert obj.slug == public_slug
    stored = Story.objects.get(pk=story.pk)
    assert (stored.status, stored.latest_revision, stored.slug) == (
        Story.Status.PUBLISHED,
        live,
        story.slug if name != "story" else public_slug,
    )
    assert client.get(stored.get_absolute_url()).status_code == 200


# -- the admin as an editor reads it --------------------------------------------------


def test_a_withdrawn_story_page_says_what_is_true(client_for, editor, published_story):
    publishing.withdraw(
        approved(published_story, purpose="withdraw"),
        user=editor,
        public_note="Withdrawn for legal review.",
    )
    client = client_for(editor)

    page = client.get(change_url(published_story)).content.decode()

    assert "Withdrawn" in page and "410 Gone" in page
    assert "readers see them after you publish an update" not in page
    assert "Compare with live" not in page and "View live" not in page
    assert 'name="_publish"' not in page and "Withdraw…" not in page

    client.post(reverse("admin:stories_story_delete", args=[published_story.pk]), {"post": "yes"})
    message = str(list(client.get(change_url(published_story)).context["messages"])[0])
    assert message == "A withdrawn story cannot be deleted: its versions stay a public record."
    assert Story.objects.filter(pk=published_story.pk).exists()


def test_times_read_like_the_rest_of_the_admin(client_for, editor, published_story):
    client = client_for(editor)
    edit(client, published_story, body="A new body.\n\nIn two paragraphs.", change_reason="Redo")
    publishing.publish(
        approved(published_story), user=editor, kind=RevisionKind.UPDATE, public_note="Rewritten."
    )

    change_page = client.get(change_url(published_story)).content.decode()
    history = client.get(
        reverse("admin:stories_story_history", args=[published_story.pk])
    ).content.decode()

    assert "Readers see version 2 (published " in change_page
    assert ".." not in change_page.replace("...", "")
    raw_time = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00"
    assert re.search(raw_time, history) is None, "times are formatted, not stored strings"
    assert "version 1 (First publication)&nbsp;&rarr;" in history
    assert "paragraph(s)" not in history


def test_save_and_publish_carries_the_reason_to_the_publish_page(
    client_for, editor, published_story
):
    client = client_for(editor)

    response = edit(
        client,
        published_story,
        headline="Council delays harbor vote",
        change_reason="Sharper headline",
        _publish="Save and publish update…",
    )

    assert response.status_code == 302
    page = client.get(response.url)
    assert page.context["form"]["internal_reason"].value() == "Sharper headline"


def test_save_and_publish_of_an_empty_body_is_refused_at_the_field(client_for, editor, story):
    client = client_for(editor)

    response = edit(client, story, body="", _publish="Save and publish…")

    assert response.status_code == 200
    assert "The body is empty" in errors(response)["body"][0]
    assert Story.objects.get(pk=story.pk).body == story.body  # nothing saved, nothing lost


def test_the_publish_page_says_why_an_empty_story_cannot_be_published(client_for, editor, story):
    story.body = ""
    story.save()
    client = client_for(editor)

    response = client.post(publish_url(story), publish_form(story))

    assert response.status_code == 200
    assert "The body is empty" in response.context["form"].non_field_errors()[0]
    assert not Story.objects.get(pk=story.pk).has_published_version


def test_the_withdrawal_form_says_the_label_is_added_and_readers_see_it_once(
    client_for, client, editor, published_story
):
    url = reverse("admin:stories_story_withdraw", args=[published_story.pk])
    editors = client_for(editor)

    form = editors.get(url).content.decode()
    approved(published_story, purpose="withdraw")
    editors.post(url, {"public_note": "Editor's note: Withdrawn pending a legal review."})
    gone = client.get(published_story.get_absolute_url())

    assert "after the label “Editor's note:”, which the site adds" in html.unescape(form)
    assert gone.status_code == 410
    assert html.unescape(gone.content.decode()).count("Editor's note") == 1


def test_saving_a_body_that_publishing_would_change_warns_what_it_will_lose(
    client_for, editor, story
):
    client = client_for(editor)

    response = edit(
        client,
        story,
        body="Watch [the clip](javascript:play()).\n\n<iframe src='https://video.example'></iframe>",
        _continue="Save draft",
    )
    page = client.get(response.url)
    publish_page = client.get(publish_url(story))

    said = [(message.level_tag, str(message)) for message in page.context["messages"]]
    assert said[0] == (
        "warning",
        "When this story is published, its body will lose: the link on “the clip” (a "
        "javascript: address): its text stays, unlinked; a <iframe> element (the text inside "
        "it stays). The saved text keeps them; change the body if readers should see "
        "something else.",
    )
    assert "Publishing will leave these out of the body" in publish_page.content.decode()


def test_a_clean_body_saves_without_a_warning(client_for, editor, story):
    client = client_for(editor)

    response = edit(client, story, body="Plain text.", _continue="Save draft")

    levels = [message.level_tag for message in client.get(response.url).context["messages"]]
    assert levels == ["success"]


def test_the_headline_input_counts_instead_of_cutting(client_for, editor, story):
    client = client_for(editor)
    too_long = "Harbor " * 40  # 280 characters, over the limit of 200

    form = client.get(change_url(story)).content.decode()
    response = edit(client, story, headline=too_long.strip())

    headline_input = re.search(r'<input[^>]*name="headline"[^>]*>', form).group(0)
    assert 'data-character-limit="200"' in headline_input and "maxlength" not in headline_input
    assert "stories/character-count.js" in form
    assert "at most 200 characters (it has 279)" in errors(response)["headline"][0]
    assert response.context["adminform"].form["headline"].value() == too_long.strip()


# -- changes not yet published, and whose they are ----------------------------------------------


def reporter_adds_a_line(client_for, reporter, story):
    response = edit(
        client_for(reporter, fresh=True),
        story,
        body=story.body + "\n\nDraft: the board meets again on Tuesday.",
        change_reason="Draft line for the next update.",
    )
    assert response.status_code == 302


def test_stories_with_unpublished_edits_are_marked_in_the_list_and_on_the_form(
    client_for, editor, reporter, published_story
):
    reporter_adds_a_line(client_for, reporter, published_story)
    client = client_for(editor)

    listing = client.get(reverse("admin:stories_story_changelist")).content.decode()
    form = client.get(change_url(published_story)).content.decode()

    assert "changes not yet published: 1 edit by Rui Reporter" in listing
    assert (
        "Readers have not seen these yet: changes not yet published: 1 edit by Rui Reporter."
        in form
    )


def test_the_publish_page_lists_each_pending_edit_with_its_author_above_the_button(
    client_for, editor, reporter, published_story
):
    reporter_adds_a_line(client_for, reporter, published_story)

    page = client_for(editor).get(publish_url(published_story)).content.decode()

    listed = page.index('id="unpublished-edits"')
    assert listed < page.index('<form method="post"') < page.index('value="Publish update"')
    edit_number = Story.objects.get(pk=published_story.pk).edit_number
    assert f"Edit {edit_number} by Rui Reporter" in page
    assert "Draft line for the next update." in page
    assert "I have reviewed the edits by Rui Reporter listed above" in page


def test_publishing_someone_elses_edits_needs_an_explicit_confirmation(
    client_for, editor, reporter, published_story
):
    reporter_adds_a_line(client_for, reporter, published_story)
    client = client_for(editor)
    fields = {"kind": "update", "public_note": "The board meets on Tuesday."}

    refused = client.post(publish_url(published_story), publish_form(published_story, **fields))
    confirmed = client.post(
        publish_url(published_story),
        publish_form(published_story, others_edits_confirmed="on", **fields),
    )

    assert (
        "include edits by Rui Reporter"
        in refused.context["form"].errors["others_edits_confirmed"][0]
    )
    assert confirmed.status_code == 302
    assert "Draft: the board meets" in published_story.revisions.latest().body


def test_an_editor_publishing_only_their_own_edits_is_not_asked(
    client_for, editor, published_story
):
    client = client_for(editor)
    edit(client, published_story, dek="A sharper dek.", change_reason="Style.")

    page = client.get(publish_url(published_story)).content.decode()
    response = client.post(
        publish_url(published_story),
        publish_form(published_story, kind="update", public_note="A sharper summary."),
    )

    assert "I have reviewed the edits" not in page
    assert response.status_code == 302


def test_the_admin_is_titled_with_the_publications_name(client_for, editor, settings):
    page = client_for(editor).get(reverse("admin:index")).content.decode()

    assert f"{settings.PUBLICATION_NAME}: the newsroom" in page
    assert f"| {settings.PUBLICATION_NAME} newsroom</title>" in page
    assert "Django administration" not in page and "Django site admin" not in page


# -- credits on the story form -------------------------------------------------------------------


def test_the_credits_come_before_the_audit_fields(client_for, editor, story):
    page = client_for(editor).get(change_url(story)).content.decode()

    credits, audit = page.index('id="credits-group"'), page.index(">Audit</h2>")
    assert page.index(">Lead image</h2>") < credits < audit


def test_new_credit_rows_start_without_a_position_and_keep_their_order(client_for, editor):
    client = client_for(editor)
    add_page = client.get(reverse("admin:stories_story_add"))
    first, second = ContributorFactory(name="Ada Ames"), ContributorFactory(name="Bo Brandt")
    section = SectionFactory()
    data = {
        "headline": "Two writers",
        "slug": "two-writers",
        "section": section.pk,
        "body": "Text.",
        "credits-TOTAL_FORMS": 2,
        "credits-INITIAL_FORMS": 0,
        "credits-0-contributor": first.pk,
        "credits-0-role": "byline",
        "credits-0-position": "",
        "credits-1-contributor": second.pk,
        "credits-1-role": "byline",
        "credits-1-position": "",
    }

    empty_row = add_page.context["inline_admin_formsets"][0].formset.empty_form
    response = client.post(reverse("admin:stories_story_add"), data)

    assert empty_row["position"].value() is None
    assert response.status_code == 302
    story = Story.objects.get(slug="two-writers")
    assert [(c.contributor.name, c.position) for c in story.ordered_credits()] == [
        ("Ada Ames", 0),
        ("Bo Brandt", 1),
    ]
    assert story.byline() == "By Ada Ames and Bo Brandt"


def test_a_first_publications_internal_reason_is_not_said_to_be_required(
    client_for, editor, published_story
):
    client = client_for(editor)

    first = client.get(publish_url(StoryFactory())).context["form"]
    update = client.get(publish_url(published_story)).context["form"]

    assert first.fields["internal_reason"].help_text == "For the audit trail only; optional."
    assert "Required for a minor edit" in update.fields["internal_reason"].help_text


def test_the_history_shows_the_save_counter_as_edits_not_versions(
    client_for, editor, published_story
):
    client = client_for(editor)
    before = Story.objects.get(pk=published_story.pk).edit_number
    edit(client, published_story, dek="A new dek", change_reason="Sharper dek")

    page = html.unescape(
        client.get(
            reverse("admin:stories_story_history", args=[published_story.pk])
        ).content.decode()
    )

    assert re.search(rf"Working copy:</strong>\s*edit {before}\s*→\s*edit {before + 1}\b", page)
    assert "Edit:</strong>" not in page and "Version:</strong>" not in page
