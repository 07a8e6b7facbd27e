"""The editing service: the rules of saving a working copy, whoever calls it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stories import editing, publishing
from stories.content.kinds import CreditRole
from stories.models import Contributor, Credit, Section, Story
from tests.factories import ContributorFactory, SectionFactory, UserFactory, approved


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def lines(story) -> list[editing.CreditLine]:
    """The story's stored credits as lines, for edits that change one of them."""
    return [
        editing.CreditLine(c.contributor, c.role, c.affiliation, c.position)
        for c in story.ordered_credits()
    ]


@pytest.fixture
def published(story, editor):
    publishing.publish(approved(story), user=editor)
    return Story.objects.get(pk=story.pk)


def test_a_new_story_and_its_credits_are_saved_with_user_and_reason(db, reporter):
    story = Story(headline="Ferry cuts crossings", slug="ferry", section=SectionFactory())
    ada = ContributorFactory(name="Ada Lindqvist")

    edit = editing.save_story(
        story, user=reporter, credits=[editing.CreditLine(ada, CreditRole.BYLINE)]
    )

    assert edit.story_changed and [c.contributor for c in edit.added] == [ada]
    story = Story.objects.get(slug="ferry")
    assert (story.created_by, story.modified_by, story.byline()) == (
        reporter,
        reporter,
        "By Ada Lindqvist",
    )
    row = story.history.get()
    assert (row.history_user, row.history_change_reason) == (reporter, "Created")
    assert Credit.history.get(story_id=story.pk).history_user == reporter


def test_a_save_that_changes_nothing_writes_nothing(story, editor):
    before = (story.history.count(), Credit.history.count())
    fresh = Story.objects.get(pk=story.pk)

    edit = editing.save_story(fresh, user=editor, credits=lines(fresh))

    assert not (edit.story_changed or edit.credits_changed)
    assert (story.history.count(), Credit.history.count()) == before


def test_a_stale_version_is_refused_naming_who_saved_and_nothing_is_written(
    story, editor, reporter
):
    opened = Story.objects.get(pk=story.pk).edit_number
    first = Story.objects.get(pk=story.pk)
    first.headline = "The editor's headline"
    editing.save_story(first, user=editor, expected_edit=opened)

    second = Story.objects.get(pk=story.pk)
    second.body = "The reporter's rewrite."
    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(second, user=reporter, expected_edit=opened)

    message = errors_of(excinfo)["__all__"][0]
    assert message.startswith("Elena Editor saved this story at")
    stored = Story.objects.get(pk=story.pk)
    assert (stored.headline, stored.body) == ("The editor's headline", story.body)


def test_a_credit_only_change_moves_the_version_so_stale_forms_are_refused(story, editor):
    version = Story.objects.get(pk=story.pk).edit_number
    fresh = Story.objects.get(pk=story.pk)
    extra = editing.CreditLine(
        ContributorFactory(name="Sam Whitfield"), CreditRole.CONTRIBUTED, position=5
    )

    edit = editing.save_story(fresh, user=editor, credits=[*lines(fresh), extra])

    assert edit.credits_changed and not edit.story_changed
    stored = Story.objects.get(pk=story.pk)
    assert stored.edit_number == version + 1
    assert stored.history.latest().history_change_reason == "Credits edited"
    with pytest.raises(ValidationError):
        editing.save_story(fresh, user=editor, expected_edit=version, credits=lines(fresh))


def test_credits_are_matched_by_person_and_role_so_a_reorder_changes_positions(story, editor):
    fresh = Story.objects.get(pk=story.pk)
    maria, dev = fresh.ordered_credits()
    reordered = [
        editing.CreditLine(dev.contributor, dev.role, position=0),
        editing.CreditLine(maria.contributor, maria.role, position=1),
    ]

    edit = editing.save_story(fresh, user=editor, credits=reordered)

    assert (edit.added, edit.removed) == ([], [])
    assert sorted(fields for _, fields in edit.changed) == [["position"], ["position"]]
    assert [c.pk for c in Story.objects.get(pk=story.pk).ordered_credits()] == [dev.pk, maria.pk]


def test_the_same_person_twice_in_one_role_is_refused(story, editor):
    fresh = Story.objects.get(pk=story.pk)
    maria = fresh.ordered_credits()[0]
    twice = [*lines(fresh), editing.CreditLine(maria.contributor, maria.role, position=9)]

    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(fresh, user=editor, credits=twice)

    assert "Maria Ortiz is already credited as “Byline”" in errors_of(excinfo)["credits"][0]
    assert story.credits.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("headline", "say why you are changing it."),
        ("credits", "say why you are changing its credits."),
    ],
)
def test_every_change_of_a_published_story_needs_a_reason(published, editor, change, message):
    credits = lines(published)
    if change == "headline":
        published.headline = "A sharper headline"
    else:
        credits.pop()

    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(published, user=editor, credits=credits)

    assert errors_of(excinfo)["change_reason"] == [f"This story has been published: {message}"]
    editing.save_story(published, user=editor, credits=credits, reason="Sharper")
    assert published.history.latest().history_change_reason == "Sharper"


def test_an_edit_never_changes_the_publishing_state(published, editor):
    live = published.latest_revision
    published.status = Story.Status.DRAFT
    published.latest_revision = None
    published.first_published_at = None
    published.dek = "A new dek"

    editing.save_story(published, user=editor, reason="Dek")

    stored = Story.objects.get(pk=published.pk)
    assert (stored.status, stored.latest_revision, stored.dek) == (
        Story.Status.PUBLISHED,
        live,
        "A new dek",
    )
    assert stored.first_published_at == live.published_at


def test_a_published_slug_is_fixed_through_the_service_and_in_a_shell(published, editor):
    published.slug = "a-new-address"
    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(published, user=editor, reason="New URL")
    assert "cannot change" in errors_of(excinfo)["slug"][0]

    shell = Story.objects.get(pk=published.pk)
    shell.slug = "a-new-address"
    with pytest.raises(ValidationError):
        shell.save()
    assert Story.objects.get(pk=published.pk).slug != "a-new-address"


def test_a_revert_restores_fields_but_not_the_slug_version_or_publishing_state(story, editor):
    draft_row = story.history.earliest()
    fresh = Story.objects.get(pk=story.pk)
    fresh.slug = "renamed-before-publication"
    fresh.headline = "Second headline"
    editing.save_story(fresh, user=editor)
    publishing.publish(approved(fresh), user=editor)
    version = Story.objects.get(pk=story.pk).edit_number

    old = draft_row.instance  # what a revert saves: the old row's fields
    old.slug = Story.objects.get(pk=story.pk).slug  # the revert form shows the fixed slug
    editing.save_story(old, user=editor, reason="Back to the first headline")

    stored = Story.objects.get(pk=story.pk)
    assert stored.headline == draft_row.headline
    assert stored.slug == "renamed-before-publication"
    assert stored.edit_number == version + 1
    assert stored.latest_revision is not None and stored.status == Story.Status.PUBLISHED


def test_a_revert_to_an_older_slug_is_refused_for_a_published_story(story, editor):
    draft_row = story.history.earliest()
    fresh = Story.objects.get(pk=story.pk)
    fresh.slug = "renamed-before-publication"
    editing.save_story(fresh, user=editor)
    publishing.publish(approved(fresh), user=editor)

    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(draft_row.instance, user=editor, reason="Revert")

    assert "slug" in errors_of(excinfo)
    assert Story.objects.get(pk=story.pk).slug == "renamed-before-publication"


def test_someone_without_the_permission_cannot_save(story):
    outsider = UserFactory(username="outsider", permissions=["view_story"])
    story.headline = "Not allowed"
    with pytest.raises(PermissionDenied, match="outsider does not have permission to edit stories"):
        editing.save_story(story, user=outsider)


def test_bad_field_values_are_errors_keyed_by_field(story, editor):
    story.headline = ""
    story.dek = "x" * 301
    with pytest.raises(ValidationError) as excinfo:
        editing.save_story(story, user=editor)
    assert set(errors_of(excinfo)) >= {"headline", "dek"}


def test_a_contributor_slug_a_published_version_credits_is_fixed_even_uncredited(published, editor):
    """The impostor case: the credit leaves the working copy, yet version 1 still links."""
    maria = published.ordered_credits()[0].contributor
    editing.save_story(
        published, user=editor, reason="Dropped a byline", credits=lines(published)[1:]
    )
    maria = Contributor.objects.get(pk=maria.pk)
    old_slug = maria.slug
    maria.slug = "maria-ortiz-renamed"

    with pytest.raises(ValidationError) as excinfo:
        editing.save_contributor(maria, user=editor)

    assert "cannot change" in errors_of(excinfo)["slug"][0]
    impostor = Contributor(name="Impostor Person", slug=old_slug)
    with pytest.raises(ValidationError):
        editing.save_contributor(impostor, user=editor)


def test_a_section_slug_a_published_version_links_to_is_fixed(published, editor):
    section = Section.objects.get(pk=published.section_id)
    section.slug = "elsewhere"
    with pytest.raises(ValidationError):
        editing.save_section(section, user=editor)

    section = Section.objects.get(pk=published.section_id)
    section.name = "A better name"
    assert editing.save_section(section, user=editor, reason="Renamed")
    assert section.history.latest().history_change_reason == "Renamed"


def test_an_unpublished_section_may_change_its_slug(db, editor):
    section = SectionFactory(slug="draft-section")
    section = Section.objects.get(pk=section.pk)
    section.slug = "better"
    assert editing.save_section(section, user=editor)
    assert Section.objects.get(pk=section.pk).slug == "better"


def test_the_permanent_id_never_changes_through_an_edit_a_revert_or_a_shell(published, editor):
    import uuid

    original = published.public_id
    published.public_id = uuid.uuid4()
    published.headline = "A new headline"
    editing.save_story(published, user=editor, reason="Headline")
    assert Story.objects.get(pk=published.pk).public_id == original

    shell = Story.objects.get(pk=published.pk)
    shell.public_id = uuid.uuid4()
    with pytest.raises(ValidationError, match="permanent id never changes"):
        shell.save()
    assert Story.objects.get(pk=published.pk).public_id == original


# -- rules pinned exactly ------------------------------------------------------------------


def test_a_story_deleted_since_the_editor_opened_it_is_not_saved_again(story, editor):
    opened = Story.objects.get(pk=story.pk)
    Story.objects.filter(pk=story.pk).delete()  # a colleague deleted the draft meanwhile
    opened.headline = "My changes"

    with pytest.raises(ValidationError) as refused:
        editing.save_story(opened, user=editor, expected_edit=opened.edit_number)

    assert refused.value.messages == ["This story has been deleted since you opened it."]
    assert not Story.objects.filter(pk=story.pk).exists()


def test_a_history_rows_story_is_an_edit_of_its_row_not_a_new_story(story, editor):
    """A revert saves the object a history row gives back: it says it is new (adding),
    yet its row exists, so the edit rules (reason, fixed slug, edit number) apply."""
    publishing.publish(approved(story), user=editor)
    old = story.history.earliest().instance
    assert old._state.adding

    with pytest.raises(ValidationError) as refused:
        editing.save_story(old, user=editor)

    assert "change_reason" in refused.value.message_dict  # an edit of a published story
    reverted = editing.save_story(old, user=editor, reason="Back to the first wording.")
    assert not old._state.adding and reverted.story_changed
    assert Story.objects.filter(slug=story.slug).count() == 1


def test_a_story_with_a_chosen_id_and_no_row_is_new(db, reporter):
    story = Story(pk=4242, headline="Ferry", slug="ferry-new", section=SectionFactory())

    edit = editing.save_story(story, user=reporter)

    stored = Story.objects.get(pk=4242)
    assert edit.story_changed and stored.created_by == reporter
    assert stored.history.get().history_change_reason == editing.CREATED
