"""Outages and hostile requests inside one process (every database, no servers needed):
a database error answers 503, cached pages need no database, a Redis that refuses
connections is a cache miss, HEAD has no body, imports refuse what is not a story file,
search is bounded and rate-limited, security headers, and the login throttle.

The same outages are run for real, against gunicorn, in ``tests/test_outages.py``.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.core import signals
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from newsroom import outages
from stories import publishing
from stories.interchange import importing
from stories.models import Revision
from stories.reader import caching, pages, search
from tests.factories import StoryFactory, UserFactory, approved
from tests.readerpages import at, published_story
from tests.tampering import owner_test

pytestmark = pytest.mark.django_db


def database_down(*args, **kwargs):
    raise OperationalError("connection failed: server closed the connection unexpectedly")


# -- the database --------------------------------------------------------------------------


def test_a_page_that_needs_the_database_answers_503_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(pages, "story_state", database_down)
    response = client.get("/stories/anything/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outages.RETRY_AFTER)
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "temporarily unavailable" in body and "Traceback" not in body


def test_the_admin_answers_503_too(client_for, editor, monkeypatch):
    client = client_for(editor)
    monkeypatch.setattr("django.contrib.admin.sites.AdminSite.get_app_list", database_down)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()


def test_a_database_error_met_outside_a_view_is_a_503_as_well(rf):
    try:
        database_down()
    except OperationalError:
        response = outages.server_error(rf.get("/"))
    assert response.status_code == 503 and response["Retry-After"]
    try:
        raise ValueError("a bug")
    except ValueError:
        assert outages.server_error(rf.get("/")).status_code == 500


def test_a_cached_page_is_answered_without_any_query(
    client, editor, monkeypatch, django_assert_num_queries
):
    story = published_story(editor, when=at(0))
    url = story.get_absolute_url()
    etag = client.get(url)["ETag"]
    for name in ("story_state", "story_page", "section_links", "section_page"):
        monkeypatch.setattr(pages, name, database_down)
    with django_assert_num_queries(0):
        cached = client.get(url)
        revalidated = client.get(url, headers={"if-none-match": etag})
    assert cached.status_code == 200 and cached["X-Reader-Cache"] == "hit"
    assert revalidated.status_code == 304
    never_cached = f"/sections/never-cached-{uuid.uuid4().hex}/"
    assert client.get(never_cached).status_code == 503, "a page with no copy cannot be served"


def test_a_stale_copy_is_served_when_the_database_cannot_render_a_fresh_one(
    client, editor, monkeypatch, caplog
):
    story = published_story(editor, headline="The last good copy", when=at(0))
    url = story.get_absolute_url()
    client.get(url)
    caching.invalidate_story(story.slug, story.latest_revision_id)  # a publish elsewhere
    monkeypatch.setattr(pages, "story_state", database_down)
    with caplog.at_level(logging.WARNING, logger="stories.reader.caching"):
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Reader-Cache"] == "stale"
    assert "The last good copy" in response.content.decode()
    assert "serving a stale copy" in caplog.text


# -- the cache -----------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """django-redis, as production configures it, pointed at a port nobody listens on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    caching.health.paused_until = 0.0
    yield
    caching.health.paused_until = 0.0
    caching.health.missed_invalidations = False


def test_readiness_answers_503_naming_the_cache_when_redis_is_down(client, db, redis_down):
    live = client.get("/health/live/", headers={"accept": "application/json"})
    ready = client.get("/health/ready/", headers={"accept": "application/json"})

    assert live.status_code == 200
    assert ready.status_code == 503 and ready["Retry-After"] == "5"
    statuses = ready.json()
    assert [value for key, value in statuses.items() if key.startswith("Database")] == ["OK"]
    assert [value for key, value in statuses.items() if key.startswith("Cache")] != ["OK"]


def test_readiness_answers_200_when_every_service_answers(client, db):
    ready = client.get("/health/ready/", headers={"accept": "application/json"})

    assert ready.status_code == 200
    assert set(ready.json().values()) == {"OK"}


def test_without_redis_reader_pages_render_and_editors_log_in(client, editor, redis_down):
    story = published_story(editor, when=at(0))
    for url in (story.get_absolute_url(), "/", reverse("reader:corrections_policy")):
        assert client.get(url).status_code == 200, url
    assert not caching.cache_usable(), "the reader stops asking a cache that failed"

    UserFactory(username="desk", permissions=["view_story"])
    response = client.post(
        reverse("admin:login"),
        {"username": "desk", "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert response.status_code == 302, "sessions fall back to the database"
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_cache_coming_back_makes_every_page_stale_once(editor, redis_down, settings):
    caching.health.failed()  # this process saw the cache fail: publishes may be missed
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caching.health.paused_until = 0.0
    cache = caches["default"]
    cache.set_many({caching.EPOCH_KEY: "before", caching.SITE_GENERATION_KEY: "0.x"}, None)
    caching.cached_value("anything", lambda: 1)
    assert cache.get(caching.EPOCH_KEY) != "before"
    assert not caching.health.missed_invalidations


def test_ignored_cache_errors_are_logged_once_a_minute(caplog):
    from newsroom.log_filters import OncePerInterval

    logger = logging.getLogger("tests.cache-outage")
    logger.addFilter(OncePerInterval(seconds=60))
    with caplog.at_level(logging.INFO, logger="tests.cache-outage"):
        for _ in range(50):
            try:
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
            except ConnectionError:
                logger.exception("Exception ignored")
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "The cache is unavailable (Error 111" in record.getMessage()


# -- HEAD ----------------------------------------------------------------------------------


def wsgi(method: str, path: str) -> tuple[str, dict, bytes]:
    """The app as a WSGI server runs it (Django's test client drops HEAD bodies itself)."""
    environ = RequestFactory().generic(method, path).environ
    environ.update({"wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr})
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    # As Django's test client does: the test's transaction keeps its connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def test_head_answers_have_no_body_whether_rendered_or_cached(editor):
    story = published_story(editor, when=at(0))
    url = story.get_absolute_url()
    _, get_headers, get_body = wsgi("GET", "/")
    for path, expected in [(url, "200"), (url, "200"), ("/", "200"), ("/no-such-page/", "404")]:
        status, headers, body = wsgi("HEAD", path)
        assert status.startswith(expected), (path, status)
        assert body == b"", (path, status, headers.get("X-Reader-Cache"))
    status, headers, body = wsgi("HEAD", "/")
    assert headers["X-Reader-Cache"] == "hit"
    assert headers["Content-Length"] == str(len(get_body)), "the length a GET gets"


# -- imports -------------------------------------------------------------------------------


def test_an_import_refuses_a_fifo_without_waiting_for_a_writer(editor, tmp_path):
    fifo = tmp_path / "story.txt"
    os.mkfifo(fifo)
    results = []
    worker = threading.Thread(target=lambda: results.append(importing.import_file(fifo)))
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("the importer waited for a writer on the FIFO")
    assert results[0].failed
    assert results[0].problem == "is not a regular file (it is a FIFO); nothing was read"


def test_an_import_refuses_a_device(editor):
    result = importing.import_file("/dev/zero")
    assert result.failed
    assert result.problem == "is not a regular file (it is a character device); nothing was read"
    with pytest.raises(CommandError, match="1 of 1 files could not be imported"):
        call_command("import_story", "/dev/zero", stdout=io.StringIO(), stderr=io.StringIO())


def test_an_import_stops_reading_at_the_limit_whatever_size_the_file_reports(editor, monkeypatch):
    """Files under /proc report a size of 0 and hold more: only the bytes read count."""
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 100)
    result = importing.import_file(status)
    assert result.failed
    assert result.problem == "the file is larger than 100 bytes, the most a story file may be"


# -- search --------------------------------------------------------------------------------


def test_snippets_come_from_the_stored_text_and_only_its_start(editor):
    """The snippet is cut from the body's stored plain text, never the Markdown, and only
    from its first SNIPPET_SOURCE_CHARS characters (the cost of ts_headline is bounded)."""
    filler = " ".join(["Council minutes."] * (search.SNIPPET_SOURCE_CHARS // 10))
    story = StoryFactory(
        headline="Harbor report",
        body=f"**Opening** [paragraph](https://example.com) here.\n\n{filler}\n\nLighthouse keeper retires.",
    )
    published_story(editor, when=at(0))  # another story, which does not match
    revision = publishing.publish(approved(story), user=editor)
    assert revision.body_text.startswith("Opening paragraph here.\nCouncil minutes.")
    assert "**" not in revision.body_text and "https" not in revision.body_text

    hits = search.search("lighthouse").hits
    assert [hit.slug for hit in hits] == [story.slug]
    snippet = str(hits[0].snippet)
    assert "Lighthouse" not in snippet, "the hit lies beyond the text snippets are cut from"
    assert snippet.startswith("Opening paragraph here.") and snippet.endswith("…")

    hits = search.search("opening").hits
    assert str(hits[0].snippet).startswith("<mark>Opening</mark> paragraph here.")


@owner_test
def test_the_migration_fills_the_stored_text_of_older_versions(editor):
    import importlib

    from django.db import connections, transaction
    from django.db.migrations.executor import MigrationExecutor

    from stories.record import append_only, privileges

    story = published_story(editor, body="Older *version* text.", when=at(0))
    name = "0007_revision_body_text"
    # A version stored before the column existed, filled by the migration: both ran
    # before the append-only triggers were installed, so they run here with them lifted,
    # as the owner who migrates.
    with (
        privileges.as_owner() as owner,
        transaction.atomic(using=owner),
        append_only.lifted(["stories_revision", "stories_historicalrevision"], using=owner),
    ):
        state = MigrationExecutor(connections[owner]).loader.project_state(("stories", name))
        with connections[owner].cursor() as cursor:
            cursor.execute(
                "UPDATE stories_revision SET body_text = '' WHERE story_id = %s", [story.pk]
            )
        importlib.import_module(f"stories.migrations.{name}").fill_body_text(state.apps, None)
    assert Revision.objects.get(story=story).body_text == "Older version text."


@pytest.fixture
def search_limit(settings):
    settings.RATELIMIT_ENABLE = True
    settings.READER_SEARCH_RATE = "3/m"


def test_searches_are_rate_limited_per_client_with_a_429_page(client, editor, search_limit):
    published_story(editor, headline="Ferry timetable", when=at(0))
    me = {"REMOTE_ADDR": "203.0.113.7"}
    for number in range(3):
        assert client.get("/search/", {"q": f"ferry {number}"}, **me).status_code == 200
    # A search already in the cache costs nothing, and is not counted.
    assert client.get("/search/", {"q": "ferry 0"}, **me)["X-Reader-Cache"] == "hit"

    refused = client.get("/search/", {"q": "ferry again"}, **me)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "no-store" in refused["Cache-Control"]
    assert "more searches than we can answer" in refused.content.decode()

    other = client.get("/search/", {"q": "ferry again"}, REMOTE_ADDR="198.51.100.4")
    assert other.status_code == 200, "another client has its own allowance"


# -- headers -------------------------------------------------------------------------------


def directives(response) -> dict[str, str]:
    return directives_of(response["Content-Security-Policy"])


def test_reader_pages_allow_the_sites_own_scripts_only_and_keep_their_json_ld(client, editor):
    story = published_story(editor, when=at(0))
    response = client.get(story.get_absolute_url())
    policy = directives(response)
    # The story page's own script file (the report link's selected passage), nothing else.
    assert policy["script-src"] == "'self'"
    assert "connect-src" not in policy
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    # The JSON-LD is a data block (not JavaScript), which script-src does not govern.
    assert '<script type="application/ld+json">' in response.content.decode()
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    cached = client.get(story.get_absolute_url())
    assert cached["X-Reader-Cache"] == "hit"
    assert cached["Content-Security-Policy"] == response["Content-Security-Policy"]


def test_the_admin_gets_its_own_scripts_and_nothing_inline(client_for, editor):
    client = client_for(editor)
    for url in (reverse("admin:login"), reverse("admin:index")):
        response = client.get(url)
        policy = directives(response)
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert "unsafe" not in response["Content-Security-Policy"], url
        assert "<script>" not in response.content.decode(), "no inline script to allow"


def test_each_policy_header_is_the_one_django_csp_builds_and_follows_the_settings(
    client, client_for, editor, settings
):
    """The policies are built once per process (newsroom/security.py), so what a page
    carries must still be django-csp's own header for its part, and a settings change
    must reach the next answer."""
    from csp.utils import build_policy

    reader = client.get("/robots.txt")["Content-Security-Policy"]
    assert directives(client.get("/robots.txt")) == directives_of(build_policy())
    admin = client_for(editor).get(reverse("admin:index"))["Content-Security-Policy"]
    assert directives_of(admin) == directives_of(
        build_policy(config=settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
    )
    assert directives_of(reader) != directives_of(admin)  # connect-src for the admin

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'"]}
    }
    assert directives(client.get("/robots.txt"))["img-src"] == "'self'"


def test_a_site_mounted_below_the_root_knows_its_admin(client):
    """Under a SCRIPT_NAME the admin keeps its policy (and its primary database). Django's
    WSGI handler sets the script prefix from SCRIPT_NAME; its test client does not."""
    from django.test.utils import override_script_prefix

    with override_script_prefix("/news/"):
        response = client.get("/admin/login/", SCRIPT_NAME="/news")
    assert response.status_code == 200
    assert 'action="/news/admin/login/' in response.content.decode()
    assert directives(response)["connect-src"] == "'self'"


def test_a_view_with_a_policy_of_its_own_still_gets_it(rf):
    """An answer that changes its policy (django-csp's decorators) is built by django-csp."""
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from newsroom.security import ContentSecurityPolicyMiddleware

    @csp_update({"img-src": "https://pictures.example"})
    def view(request):
        return HttpResponse("ok")

    middleware = ContentSecurityPolicyMiddleware(view)
    answer = middleware(rf.get("/somewhere/"))
    assert directives_of(answer["Content-Security-Policy"])["img-src"].endswith(
        "https://pictures.example"
    )
    plain = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    assert "pictures.example" not in plain["Content-Security-Policy"]


def directives_of(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


# -- the login throttle --------------------------------------------------------------------


@pytest.fixture
def throttle(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def attempt(client, username, password, address):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_failed_logins_lock_the_account_with_a_clear_message(client, throttle):
    UserFactory(username="throttled-desk", permissions=["view_story"])
    for address in ("192.0.2.1", "192.0.2.2"):
        assert attempt(client, "throttled-desk", "wrong", address).status_code == 200
    assert attempt(client, "throttled-desk", "wrong", "192.0.2.3").status_code == 429
    # Locked: even the right password, from yet another address, is refused.
    locked = attempt(client, "throttled-desk", "correct-horse-battery", "192.0.2.4")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed logins" in text and "15 minutes" in text
    assert "_auth_user_id" not in client.session


def test_failed_logins_from_one_client_lock_that_client(client, throttle):
    UserFactory(username="other-desk", permissions=["view_story"])
    for name in ("guess-1", "guess-2"):
        assert attempt(client, name, "wrong", "192.0.2.50").status_code == 200
    assert attempt(client, "guess-3", "wrong", "192.0.2.50").status_code == 429
    assert attempt(client, "other-desk", "correct-horse-battery", "192.0.2.50").status_code == 429
    # The account itself is fine from elsewhere.
    assert attempt(client, "other-desk", "correct-horse-battery", "192.0.2.51").status_code == 302
