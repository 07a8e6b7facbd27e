"""Read replicas: reader reads go to the replica; writes, publishing and the admin to the
primary. Whole-site tests run when DATABASE_REPLICA_URL names a replica (CI's PostgreSQL
run points it at the primary itself, configured as a test mirror)."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from newsroom.routers import (
    PRIMARY,
    READER,
    REPLICA,
    PinToPrimaryMiddleware,
    PrimaryReplicaRouter,
    ReaderRouter,
    for_a_reader,
    pinned_to_primary,
    use_primary,
)
from stories.models import Credit, LogLeaf, Revision, Section, Story
from stories.publishing import publish
from tests.envsettings import environment, settings_in
from tests.factories import StoryFactory, approved

router = PrimaryReplicaRouter()

needs_replica = pytest.mark.skipif(
    "replica" not in settings.DATABASES,
    reason="no read replica configured (set DATABASE_REPLICA_URL, e.g. to DATABASE_URL)",
)


# -- the router's decisions ------------------------------------------------------------


def test_reader_models_are_read_from_the_replica_outside_transactions():
    for model in (Story, Revision, Section):
        assert router.db_for_read(model) == REPLICA


def test_everything_else_is_read_from_the_primary():
    for model in (get_user_model(), Session, Credit, Story.history.model):
        assert router.db_for_read(model) == PRIMARY


def test_writes_always_go_to_the_primary():
    for model in (Story, Revision, get_user_model(), Session):
        assert router.db_for_write(model) == PRIMARY


def test_only_the_primary_is_migrated():
    assert router.allow_migrate(PRIMARY, "stories")
    assert not router.allow_migrate(REPLICA, "stories")


def test_objects_from_the_primary_keep_reading_there():
    saved = Story(pk=1)
    saved._state.db = PRIMARY
    replicated = Story(pk=2)
    replicated._state.db = REPLICA
    assert router.db_for_read(Revision, instance=saved) == PRIMARY
    assert router.db_for_read(Revision, instance=replicated) == REPLICA


def test_pinned_code_reads_from_the_primary():
    with use_primary():
        assert pinned_to_primary()
        assert router.db_for_read(Story) == PRIMARY
    assert not pinned_to_primary()
    assert router.db_for_read(Story) == REPLICA


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_the_primary_stay_there():
    assert router.db_for_read(Story) == REPLICA
    with transaction.atomic():
        # Publishing reads the story it has locked: it must see the primary's rows.
        assert router.db_for_read(Story) == PRIMARY
    assert router.db_for_read(Story) == REPLICA


def test_a_reader_pages_reads_go_to_the_readers_connection():
    reader = ReaderRouter()
    assert reader.db_for_read(LogLeaf) is None  # outside a reader page: no opinion
    with for_a_reader():
        assert reader.db_for_read(LogLeaf) == READER
        assert reader.db_for_read(get_user_model()) == READER
        # The stories are the replica's, when there is one.
        expected = None if REPLICA in settings.DATABASES else READER
        assert reader.db_for_read(Story) == expected
        with use_primary():
            assert reader.db_for_read(LogLeaf) is None
        saved = Story(pk=1)
        saved._state.db = PRIMARY
        assert reader.db_for_read(LogLeaf, instance=saved) is None
        read = Story(pk=2)
        read._state.db = READER
        assert reader.db_for_write(Story, instance=read) == PRIMARY
        assert reader.db_for_write(Story) is None


@pytest.mark.django_db(transaction=True)
def test_a_reader_pages_reads_inside_a_transaction_stay_on_the_primary():
    with for_a_reader(), transaction.atomic():
        assert ReaderRouter().db_for_read(LogLeaf) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reader_pages_read_through_the_readers_connection_and_the_admin_does_not(
    client, client_for, editor
):
    story = StoryFactory(slug="harbor-tides", headline="Tide tables for the harbor")
    publish(approved(story), user=editor)
    stories_from = REPLICA if REPLICA in settings.DATABASES else READER
    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[stories_from]) as reader,
    ):
        assert client.get(reverse("reader:story", args=[story.slug])).status_code == 200
        assert client.get(reverse("reader:story_record", args=[story.slug])).status_code == 200
    assert any("stories_revision" in query["sql"] for query in reader.captured_queries)
    assert primary.captured_queries == []
    with connections[READER].cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("1500ms",)

    staff = client_for(editor, fresh=True)
    with CaptureQueriesContext(connections[READER]) as reader:
        assert staff.get(reverse("admin:stories_story_change", args=[story.pk])).status_code == 200
    assert reader.captured_queries == []


# -- pinning requests ------------------------------------------------------------------


def _pinned_during(request) -> bool:
    """Whether ``request`` is pinned to the primary (else it is a reader page's)."""
    seen = []

    def view(request):
        seen.append((pinned_to_primary(), ReaderRouter().db_for_read(LogLeaf)))
        return HttpResponse()

    PinToPrimaryMiddleware(view)(request)
    assert not pinned_to_primary()  # never leaks past the request
    assert ReaderRouter().db_for_read(LogLeaf) is None
    pinned, reader = seen[0]
    assert pinned == (reader is None)
    return pinned


def test_anonymous_reader_requests_use_the_replica():
    factory = RequestFactory()
    assert not _pinned_during(factory.get("/"))
    assert not _pinned_during(factory.get("/search/", {"q": "ferry"}))
    assert not _pinned_during(factory.head("/stories/x/"))


def test_admin_writes_and_logged_in_staff_use_the_primary():
    factory = RequestFactory()
    assert _pinned_during(factory.get(reverse("admin:index")))
    assert _pinned_during(factory.get(reverse("admin:stories_story_changelist")))
    assert _pinned_during(factory.post("/search/"))
    logged_in = factory.get("/stories/x/")
    logged_in.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session-key"
    assert _pinned_during(logged_in)


def test_the_middleware_is_installed():
    assert "newsroom.routers.PinToPrimaryMiddleware" in settings.MIDDLEWARE


# -- settings --------------------------------------------------------------------------


def _database_settings(env: dict) -> dict:
    """The database settings the settings module makes of ``env`` (tests/envsettings.py)."""
    configured = settings_in(environment(**env), "DATABASES", "DATABASE_ROUTERS")
    return {
        "aliases": sorted(configured["DATABASES"]),
        "replica": configured["DATABASES"].get("replica", {}),
        "routers": configured["DATABASE_ROUTERS"],
    }


def test_a_replica_url_adds_the_alias_the_router_and_a_test_mirror():
    configured = _database_settings(
        {
            "DATABASE_URL": "postgres://app@primary.internal:5432/newsroom",
            "DATABASE_REPLICA_URL": "postgres://app@replica.internal:5432/newsroom",
        }
    )
    assert configured["aliases"] == ["default", "reader", "replica"]
    assert configured["routers"] == [
        "newsroom.routers.OwnerRouter",
        "newsroom.routers.ReaderRouter",
        "newsroom.routers.PrimaryReplicaRouter",
    ]
    assert configured["replica"]["HOST"] == "replica.internal"
    assert configured["replica"]["TEST"]["MIRROR"] == "default"
    assert "pool" in configured["replica"]["OPTIONS"]
    assert "-c statement_timeout=1500" in configured["replica"]["OPTIONS"]["options"]


def test_without_a_replica_url_there_is_one_database_and_only_the_owners_router():
    configured = _database_settings({})
    assert configured["aliases"] == ["default"]
    assert configured["routers"] == ["newsroom.routers.OwnerRouter"]


# -- the whole site with a replica -----------------------------------------------------


@needs_replica
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reader_pages_read_from_the_replica_and_publishing_from_the_primary(
    client, client_for, editor
):
    story = approved(StoryFactory(slug="replicated", headline="Tide tables for the harbor"))
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        publish(story, user=editor)
    assert replica.captured_queries == []  # publishing never reads a replica

    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        assert client.get(reverse("reader:story", args=[story.slug])).status_code == 200
        assert client.get(reverse("reader:search"), {"q": "tide"}).status_code == 200
    assert any("stories_revision" in query["sql"] for query in replica.captured_queries)
    assert not any("stories_" in query["sql"] for query in primary.captured_queries)

    staff = client_for(editor, fresh=True)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert staff.get(reverse("admin:stories_story_change", args=[story.pk])).status_code == 200
        assert staff.get(reverse("reader:history", args=[story.slug])).status_code == 200
    assert replica.captured_queries == []
