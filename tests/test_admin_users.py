"""People named in the record: the audit trail keeps who made each change, so an account
that wrote it cannot be deleted (it can be deactivated); one that wrote nothing can."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from stories.editing import save_story
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def author_of_a_change(editor):
    story = StoryFactory()
    story.headline = "Harbor wall vote delayed"
    save_story(story, user=editor)
    return editor


def test_deleting_a_person_named_in_the_audit_trail_is_refused_with_a_reason(author_of_a_change):
    with pytest.raises(ProtectedError) as refused, transaction.atomic():
        author_of_a_change.delete()

    assert "audit trail" in str(refused.value)
    assert get_user_model().objects.filter(pk=author_of_a_change.pk).exists()


def test_a_person_who_changed_nothing_can_be_deleted(db):
    newcomer = UserFactory(username="newcomer")

    newcomer.delete()

    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_the_admin_explains_why_the_account_stays_and_offers_deactivation(
    client_for, admin_user, author_of_a_change
):
    url = reverse("admin:auth_user_delete", args=[author_of_a_change.pk])

    page = client_for(admin_user).get(url)
    refused = client_for(admin_user).post(url, {"post": "yes"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "audit trail" in text and "Active" in text
    assert refused.status_code == 200  # the refusal page again, never a 500
    assert get_user_model().objects.filter(pk=author_of_a_change.pk).exists()


def test_the_bulk_delete_action_refuses_the_same_way(client_for, admin_user, author_of_a_change):
    newcomer = UserFactory(username="newcomer")
    response = client_for(admin_user).post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [author_of_a_change.pk, newcomer.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 200
    assert "audit trail" in response.content.decode()
    assert get_user_model().objects.filter(pk__in=[author_of_a_change.pk, newcomer.pk]).count() == 2
