import pytest

from tests.factories import (
    EDITOR_PERMISSIONS,
    REPORTER_PERMISSIONS,
    CreditFactory,
    StoryFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def fresh_reader_cache():
    """Every test starts with no cached reader pages.

    Each test's database starts afresh (and reuses ids) while the cache outlives it, so
    a page cached by one test must not answer in the next. Bumping the reader's cache
    epoch does that without ``cache.clear()``, which on Redis would flush the database.
    """
    from stories import caching

    caching.invalidate_all()


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
