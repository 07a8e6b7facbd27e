import pytest

from tests.factories import (
    EDITOR_PERMISSIONS,
    REPORTER_PERMISSIONS,
    CreditFactory,
    StoryFactory,
    UserFactory,
)


@pytest.fixture
def editor(db):
    return UserFactory(
        username="editor", first_name="Elena", last_name="Editor", permissions=EDITOR_PERMISSIONS
    )


@pytest.fixture
def reporter(db):
    return UserFactory(
        username="reporter",
        first_name="Rui",
        last_name="Reporter",
        permissions=REPORTER_PERMISSIONS,
    )


@pytest.fixture
def story(db):
    """A draft with one byline and one contributed-reporting credit."""
    story = StoryFactory()
    CreditFactory(story=story, contributor__name="Maria Ortiz", position=0)
    CreditFactory(story=story, contributor__name="Dev Patel", role="contributed", position=1)
    return story


@pytest.fixture
def client_for(client):
    """Log a user in on the test client (a fresh client per call for two-editor tests)."""
    from django.test import Client

    def login(user, *, fresh=False):
        target = Client() if fresh else client
        target.force_login(user)
        return target

    return login
