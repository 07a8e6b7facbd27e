"""Sections and contributors that published versions link to: what readers see of them
changes only with the publish permission and a reason, shows at once, and their public
addresses never pass to anyone else."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from stories import editing, publishing
from stories.models import Contributor, Section, Story
from tests.adminforms import form_data
from tests.factories import ContributorFactory, SectionFactory, UserFactory, approved


@pytest.fixture
def published(story, editor):
    publishing.publish(approved(story), user=editor)
    return Story.objects.get(pk=story.pk)


@pytest.fixture
def maria(published):
    """The credited contributor of a published story (fresh from the database)."""
    return Contributor.objects.get(pk=published.ordered_credits()[0].contributor_id)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_a_reporter_cannot_change_what_readers_see_of_a_credited_contributor(maria, reporter):
    """The hole: a reporter's edit of a credited contributor's bio went straight to
    /contributors/<slug>/ without anyone publishing."""
    for name, value in (("name", "Maria O."), ("affiliation", "Elsewhere"), ("bio", "New bio")):
        fresh = Contributor.objects.get(pk=maria.pk)
        setattr(fresh, name, value)
        with pytest.raises(PermissionDenied, match="reporter does not have permission to change"):
            editing.save_contributor(fresh, user=reporter, reason="Tidying up")
    stored = Contributor.objects.get(pk=maria.pk)
    assert (stored.name, stored.affiliation, stored.bio) == (
        maria.name,
        maria.affiliation,
        maria.bio,
    )


def test_a_section_editor_without_the_publish_permission_cannot_rename_a_public_section(
    published,
):
    desk = UserFactory(username="desk", permissions=["change_section"])
    section = Section.objects.get(pk=published.section_id)
    section.description = "Unreviewed description"
    with pytest.raises(PermissionDenied, match="desk does not have permission"):
        editing.save_section(section, user=desk, reason="Description")
    assert Section.objects.get(pk=section.pk).description == ""


def test_an_editor_needs_a_reason_and_it_is_recorded(maria, editor):
    maria.bio = "Covers the harbor and the council."
    with pytest.raises(ValidationError) as excinfo:
        editing.save_contributor(maria, user=editor)
    assert errors_of(excinfo)["change_reason"] == [
        "Readers see this contributor on the site: say why you are changing its short bio."
    ]

    assert editing.save_contributor(maria, user=editor, reason="Bio for the new beat")

    row = Contributor.objects.get(pk=maria.pk).history.latest()
    assert (row.history_user, row.history_change_reason, row.bio) == (
        editor,
        "Bio for the new beat",
        "Covers the harbor and the council.",
    )


def test_a_section_editor_needs_a_reason_too(published, editor):
    section = Section.objects.get(pk=published.section_id)
    section.name, section.description = "Harbor", "The port and its people."
    with pytest.raises(ValidationError) as excinfo:
        editing.save_section(section, user=editor)
    assert (
        "say why you are changing its name and description"
        in (errors_of(excinfo)["change_reason"][0])
    )


def test_unlinked_contributors_and_private_fields_need_neither(maria, reporter):
    newcomer = Contributor.objects.get(pk=ContributorFactory(name="Newcomer").pk)
    newcomer.bio = "Not credited on anything published yet."
    assert editing.save_contributor(newcomer, user=reporter)

    maria.user = reporter  # the staff account is not shown to readers
    assert editing.save_contributor(maria, user=reporter)


def test_a_public_change_shows_at_once_on_cached_pages(
    maria, published, editor, client, django_capture_on_commit_callbacks
):
    contributor_url = reverse("reader:contributor", args=[maria.slug])
    section_url = reverse("reader:section", args=[published.section.slug])
    assert maria.name in client.get(contributor_url).content.decode()
    client.get(section_url)
    assert client.get(contributor_url)["X-Reader-Cache"] == "hit"

    maria.name = "Maria Ortiz-Lane"
    section = Section.objects.get(pk=published.section_id)
    section.description = "The port and its people."
    with django_capture_on_commit_callbacks(execute=True):
        editing.save_contributor(maria, user=editor, reason="Name after marriage")
        editing.save_section(section, user=editor, reason="Description")

    assert "Maria Ortiz-Lane" in client.get(contributor_url).content.decode()
    assert "The port and its people." in client.get(section_url).content.decode()


def test_the_admin_shows_the_refusal_next_to_the_form(maria, reporter, client_for):
    client = client_for(reporter)
    url = reverse("admin:stories_contributor_change", args=[maria.pk])

    response = client.post(url, form_data(client.get(url), bio="A reporter's bio"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert (
        "reporter does not have permission to change what readers see"
        in (form.non_field_errors()[0])
    )
    assert Contributor.objects.get(pk=maria.pk).bio == ""


def test_the_impostor_cannot_take_a_live_bylines_address(published, maria, editor, client_for):
    """End to end: the credit leaves the working copy, then the old address is renamed,
    deleted or reused through the admin. Version 1 still credits it, so none of it works
    and the live byline keeps pointing at the person it named."""
    editor.is_superuser = True  # every admin permission: only the rules stand in the way
    editor.save()
    client = client_for(editor)
    old_slug = maria.slug
    keep = [
        editing.CreditLine(c.contributor, c.role, c.affiliation, c.position)
        for c in published.ordered_credits()
        if c.contributor_id != maria.pk
    ]
    editing.save_story(published, user=editor, reason="Dropped a byline", credits=keep)
    change_url = reverse("admin:stories_contributor_change", args=[maria.pk])

    # Renaming the slug: the field is fixed, a forged value is ignored.
    page = client.get(change_url)
    client.post(change_url, form_data(page, slug="maria-renamed", change_reason="Rename"))
    assert Contributor.objects.get(pk=maria.pk).slug == old_slug

    # Deleting her: refused, in the admin and in a shell.
    delete_url = reverse("admin:stories_contributor_delete", args=[maria.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Contributor.objects.filter(pk=maria.pk).exists()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        Contributor.objects.get(pk=maria.pk).delete()

    # Creating "Impostor Person" at her address: refused.
    add = client.get(reverse("admin:stories_contributor_add"))
    response = client.post(
        reverse("admin:stories_contributor_add"),
        form_data(add, name="Impostor Person", slug=old_slug, affiliation="", bio=""),
    )
    assert response.status_code == 200
    assert not Contributor.objects.filter(name="Impostor Person").exists()

    # The live byline still links to her page, which still names her.
    story_page = client.get(reverse("reader:story", args=[published.slug])).content.decode()
    assert f'href="/contributors/{old_slug}/"' in story_page
    assert maria.name in client.get(f"/contributors/{old_slug}/").content.decode()


def test_a_public_address_left_behind_by_a_deleted_row_is_never_reused(maria, editor):
    """Data from before these rules: the person was deleted while versions credit them."""
    old_slug = maria.slug
    Contributor.objects.filter(pk=maria.pk).update(slug="moved-aside")  # no other way now
    impostor = Contributor(name="Impostor Person", slug=old_slug)
    with pytest.raises(ValidationError) as excinfo:
        editing.save_contributor(impostor, user=editor)
    assert "it cannot be given to a new entry" in errors_of(excinfo)["slug"][0]


def test_a_section_published_versions_link_to_cannot_be_deleted(published, editor, client_for):
    section = Section.objects.get(pk=published.section_id)
    published.section = SectionFactory(slug="elsewhere")
    editing.save_story(published, user=editor, reason="Moved")  # the section is now unused
    with pytest.raises(ValidationError, match="cannot be deleted"):
        section.delete()
    editor.is_superuser = True
    editor.save()
    response = client_for(editor).post(
        reverse("admin:stories_section_delete", args=[section.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Section.objects.filter(pk=section.pk).exists()
