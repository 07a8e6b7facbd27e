"""Settings from the environment and the production mode (``DJANGO_ENV=production``).

Settings are read once per process. What a configuration means is checked by evaluating
the settings module in this process under exactly the environment in question
(tests/envsettings.py); what needs a real process (``manage.py check --deploy``, pages
served in production mode, gunicorn's configuration, ``make serve``) gets one.
"""

import json
import os
import re
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from newsroom.settings import proxy_ssl_header
from tests.envsettings import (
    AUDIT_KEY,
    BASE_DIR,
    HOST,
    LOG_SIGNING_KEY,
    environment,
    evaluate_settings,
    manage,
    production,
    run,
    settings_in,
)
from tests.factories import UserFactory
from tests.readerpages import read, text

# -- production mode refuses to start half-configured ----------------------------------


def test_production_without_a_secret_key_stops_with_a_clear_error():
    env = production()
    del env["DJANGO_SECRET_KEY"]
    with pytest.raises(ImproperlyConfigured) as stopped:
        evaluate_settings(env)
    assert "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production" in str(stopped.value)


def test_production_with_an_empty_secret_key_stops_too():
    with pytest.raises(ImproperlyConfigured) as stopped:
        evaluate_settings(production(DJANGO_SECRET_KEY=""))
    assert "DJANGO_SECRET_KEY must be set" in str(stopped.value)


def test_production_refuses_webhooks_to_private_addresses():
    """Deliveries to loopback and private networks are for development and tests only."""
    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_WEBHOOKS_ALLOW_PRIVATE"):
        evaluate_settings(production(NEWSROOM_WEBHOOKS_ALLOW_PRIVATE="1"))
    assert settings_in(production(), "WEBHOOKS_ALLOW_PRIVATE") == {"WEBHOOKS_ALLOW_PRIVATE": False}


def test_production_without_allowed_hosts_stops_with_a_clear_error():
    env = production()
    del env["DJANGO_ALLOWED_HOSTS"]
    with pytest.raises(ImproperlyConfigured) as stopped:
        evaluate_settings(env)
    assert "DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production" in str(stopped.value)


def test_production_without_a_log_signing_key_stops_with_a_clear_error():
    env = production()
    del env["NEWSROOM_LOG_SIGNING_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "NEWSROOM_LOG_SIGNING_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_production_without_an_audit_key_stops_with_a_clear_error():
    env = production()
    del env["NEWSROOM_AUDIT_KEY"]
    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_AUDIT_KEY must be set when"):
        evaluate_settings(env)
    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_AUDIT_KEY must hold 64 hex"):
        evaluate_settings(production(NEWSROOM_AUDIT_KEY="short"))
    assert settings_in(production(), "AUDIT_CHAIN_KEY")["AUDIT_CHAIN_KEY"] == AUDIT_KEY


def test_a_malformed_log_signing_key_is_refused_naming_the_variable():
    result = manage("check", env=production(NEWSROOM_LOG_SIGNING_KEY="not-a-key"))
    assert result.returncode != 0
    assert "NEWSROOM_LOG_SIGNING_KEY must hold 64 hexadecimal characters" in result.stderr


def test_production_without_the_signers_record_stops_with_a_clear_error():
    env = production()
    del env["NEWSROOM_LOG_SIGNER_STATE"]
    with pytest.raises(ImproperlyConfigured) as stopped:
        evaluate_settings(env)
    assert "NEWSROOM_LOG_SIGNER_STATE must be set when DJANGO_ENV=production" in str(stopped.value)
    assert evaluate_settings(production())["LOG_SIGNER_TRUST_ON_FIRST_USE"] is False


def test_the_logs_origin_comes_from_the_publication_and_refuses_spaces():
    assert evaluate_settings(production())["LOG_ORIGIN"] == f"{HOST}/log"
    assert evaluate_settings(production(NEWSROOM_LOG_ORIGIN="news.example/x"))["LOG_ORIGIN"] == (
        "news.example/x"
    )
    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_LOG_ORIGIN must have no spaces"):
        evaluate_settings(production(NEWSROOM_LOG_ORIGIN="news example"))
    development = evaluate_settings(environment())
    assert development["LOG_ORIGIN"] == "localhost/log"
    assert development["LOG_SIGNER_STATE"] == BASE_DIR / ".newsroom-log-signer.json"
    assert development["LOG_SIGNER_TRUST_ON_FIRST_USE"] is True
    ignored = run(["git", "check-ignore", "-q", ".newsroom-log-signer.json"], environment())
    assert ignored.returncode == 0


def test_development_generates_a_key_once_into_an_ignored_file_and_says_so(tmp_path, capsys):
    from newsroom.log_key import signing_key_seed

    key_file = tmp_path / ".newsroom-log-signing-key"
    first = signing_key_seed("", production=False, development_file=key_file)
    said = capsys.readouterr().err
    again = signing_key_seed("", production=False, development_file=key_file)
    assert f"generated a development signing key for the transparency log in {key_file}" in said
    assert capsys.readouterr().err == ""
    assert first == again == key_file.read_text().strip()
    assert len(first) == 64 and key_file.stat().st_mode & 0o077 == 0
    assert signing_key_seed(
        LOG_SIGNING_KEY.upper(), production=True, development_file=key_file
    ) == (LOG_SIGNING_KEY)
    ignored = run(["git", "check-ignore", "-q", ".newsroom-log-signing-key"], environment())
    assert ignored.returncode == 0


def test_deploy_check_finds_nothing_to_warn_about():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_deploy_check_does_warn_about_a_development_configuration():
    """The check above can fail: the same command on the laptop defaults complains."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=environment())
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS


def test_production_settings():
    configured = settings_in(
        production(DJANGO_DEBUG="1"),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "STORAGES",
        "LOG_FORMAT",
        "LOG_STREAM",
        "ALLOWED_HOSTS",
    )
    assert configured["DEBUG"] is False  # DJANGO_DEBUG is ignored in production
    assert configured["SESSION_COOKIE_SECURE"] and configured["CSRF_COOKIE_SECURE"]
    assert configured["SECURE_SSL_REDIRECT"] is True
    assert configured["SECURE_HSTS_SECONDS"] >= 31536000
    assert configured["SECURE_PROXY_SSL_HEADER"] is None
    assert configured["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert configured["LOG_FORMAT"] == "json"
    assert configured["LOG_STREAM"] == "stdout"
    assert configured["ALLOWED_HOSTS"] == [HOST]


def test_the_proxy_ssl_header_is_configurable():
    configured = settings_in(
        production(DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"), "SECURE_PROXY_SSL_HEADER"
    )
    assert configured["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("0", None),
        ("1", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("true", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("HTTP_X_FORWARDED_PROTO,https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("CloudFront-Forwarded-Proto", ("HTTP_CLOUDFRONT_FORWARDED_PROTO", "https")),
        ("X-Forwarded-SSL, on", ("HTTP_X_FORWARDED_SSL", "on")),
    ],
)
def test_proxy_ssl_header_values(value, expected):
    assert proxy_ssl_header(value) == expected


# -- the database and the cache from URLs ----------------------------------------------


def test_laptop_defaults_are_sqlite_local_memory_and_database_sessions():
    configured = settings_in(
        environment(), "DATABASES", "CACHES", "SESSION_ENGINE", "LOG_FORMAT", "LOG_STREAM"
    )
    database = configured["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    # Kept between requests: a new connection reads the whole schema on its first query.
    assert database["CONN_MAX_AGE"] == 600
    assert list(configured["DATABASES"]) == ["default"]
    assert configured["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert configured["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert configured["LOG_FORMAT"] == "plain"
    assert configured["LOG_STREAM"] == "stderr"  # command output on stdout stays clean


def test_an_empty_database_url_means_sqlite_too():
    configured = settings_in(environment(DATABASE_URL=""), "DATABASES")
    assert configured["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_sqlite_can_open_a_connection_per_request():
    configured = settings_in(environment(DATABASE_SQLITE_CONN_MAX_AGE="0"), "DATABASES")
    assert configured["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_postgres_url_gets_the_pool_and_timeouts():
    configured = settings_in(
        environment(
            DATABASE_URL="postgres://newsroom:s3cret@db.internal:5433/newsroom",
            DATABASE_POOL_MAX_SIZE="8",
            DATABASE_STATEMENT_TIMEOUT="15000",
        ),
        "DATABASES",
    )
    database = configured["DATABASES"]["default"]
    assert database["ENGINE"] == "newsroom.postgresql"  # Django's, its waits bounded
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5433,
        "newsroom",
    )
    assert database["CONN_MAX_AGE"] == 0  # the pool replaces persistent connections
    assert database["CONN_HEALTH_CHECKS"] is True  # the pool checks each connection it lends
    assert database["ATOMIC_REQUESTS"] is False
    options = database["OPTIONS"]
    assert options["pool"] == {
        "min_size": 1,
        "max_size": 8,
        "timeout": 2.0,  # a database down or hung answers 503 within 3 s
        "max_idle": 300.0,
        "max_lifetime": 3600.0,
    }
    assert options["connect_timeout"] == 2
    assert options["tcp_user_timeout"] == 10_000  # a frozen host fails a query, not the worker
    assert (options["keepalives"], options["keepalives_idle"]) == (1, 30)
    assert "-c statement_timeout=15000" in options["options"]
    assert "-c lock_timeout=10000" in options["options"]
    assert database["ANSWER_TIMEOUT"] == 15.5  # the statement timeout and the margin


def test_reader_pages_have_a_connection_of_their_own_with_short_limits():
    configured = settings_in(
        environment(DATABASE_URL="postgres://newsroom@db.internal:5432/newsroom"),
        "DATABASES",
        "DATABASE_ROUTERS",
    )
    databases = configured["DATABASES"]
    reader, default = databases["reader"], databases["default"]
    assert (reader["HOST"], reader["NAME"], reader["USER"]) == (
        "db.internal",
        "newsroom",
        "newsroom",
    )
    assert reader["TEST"] == {"MIRROR": "default"}
    for name, value in (("statement_timeout", 1500), ("lock_timeout", 500)):
        assert f"-c {name}={value}" in reader["OPTIONS"]["options"]
    assert "-c statement_timeout=20000" in default["OPTIONS"]["options"]
    # A reader page gives up on a silent database within 3 s; a publish before gunicorn's
    # 30 s timeout kills the worker.
    assert reader["ANSWER_TIMEOUT"] == 2.0 and default["ANSWER_TIMEOUT"] == 20.5
    assert "newsroom.routers.ReaderRouter" in configured["DATABASE_ROUTERS"]
    sqlite = settings_in(environment(), "DATABASES")["DATABASES"]
    assert list(sqlite) == ["default"] and "ANSWER_TIMEOUT" not in sqlite["default"]


def test_the_pool_can_be_turned_off_and_url_options_are_kept():
    configured = settings_in(
        environment(
            DATABASE_URL="postgres://newsroom@db.internal/newsroom?sslmode=require",
            DATABASE_POOL="0",
        ),
        "DATABASES",
    )
    options = configured["DATABASES"]["default"]["OPTIONS"]
    assert "pool" not in options
    assert options["sslmode"] == "require"


def test_redis_url_selects_the_redis_cache_and_cached_sessions():
    configured = settings_in(
        environment(REDIS_URL="redis://cache.internal:6379/2", CACHE_KEY_PREFIX="chronicle"),
        "CACHES",
        "SESSION_ENGINE",
    )
    cache = configured["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/2"
    assert cache["KEY_PREFIX"] == "chronicle"
    # Redis failing is a cache miss, and a hung one costs a tenth of a second a call.
    assert cache["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    assert 0 < cache["OPTIONS"]["SOCKET_TIMEOUT"] <= 0.5
    assert 0 < cache["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] <= 0.5
    assert configured["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


# -- the site in production mode -------------------------------------------------------

# One process does what ``make serve`` does before gunicorn starts (migrate, collectstatic)
# and then reads the site: Django starts once, not three times.
PAGES_SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)

from django.contrib.auth.models import Permission
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
from stories.models import Section, Story
from stories.publishing import publish

User = django.contrib.auth.get_user_model()
editor = User.objects.create_user("editor", password="correct-horse-battery", is_staff=True)
editor.user_permissions.set(Permission.objects.filter(codename="publish_story"))
section = Section.objects.create(name="Local", slug="local")
story = Story.objects.create(
    headline="Ferry timetable <changes>", slug="ferry", section=section, body="The ferry runs."
)
# The two-person rule: a second editor approves the edit before the editor publishes it.
from stories import reviewing
second = User.objects.create_user("second", is_staff=True)
second.user_permissions.set(Permission.objects.filter(codename__in=["publish_story", "change_story"]))
reviewing.submit(story, user=second)
reviewing.approve(story, user=second)
publish(story, user=editor)

client = Client(HTTP_HOST=sys.argv[2])
answers = {}
for name, path in [
    ("home", "/"),
    ("story", "/stories/ferry/"),
    ("search", "/search/?q=ferry"),
    ("login", "/admin/login/"),
    ("missing", "/no-such-page/"),
    ("css", staticfiles_storage.url("stories/reader.css")),
]:
    response = client.get(path, secure=True)
    answers[name] = {
        "status": response.status_code,
        "headers": dict(response.items()),
        "cookies": {key: dict(morsel) for key, morsel in response.cookies.items()},
        "body": b"".join(response).decode("utf-8", "replace") if name != "css" else "",
    }
insecure = client.get("/")
answers["insecure"] = {"status": insecure.status_code, "location": insecure.get("Location")}
answers["css_url"] = staticfiles_storage.url("stories/reader.css")
with open(sys.argv[1], "w") as output:
    json.dump(answers, output)
"""


def test_pages_in_production_mode(tmp_path, migrated_sqlite):
    """Migrate, collect static files, publish a story and read the site as a reader.

    The database starts migrated (a copy of this run's), as a deployment's does after
    its first release; migrate runs all the same, as ``make serve`` runs it."""
    env = production(
        DATABASE_URL=f"sqlite:///{migrated_sqlite}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        NEWSROOM_LOG_SIGNER_STATE=str(tmp_path / "log-signer.json"),
    )
    output = tmp_path / "answers.json"
    result = run([sys.executable, "-c", PAGES_SCRIPT, str(output), HOST], env)
    assert result.returncode == 0, result.stderr
    answers = json.loads(output.read_text())

    for name in ("home", "story", "search", "login"):
        assert answers[name]["status"] == 200, name
        headers = answers[name]["headers"]
        assert (
            headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        # The Content-Security-Policy is on in production: the site's own scripts only,
        # requests from scripts in the admin only, and nothing inline anywhere.
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, name
        assert ("connect-src 'self'" in policy) == (name == "login"), name
        assert "camera=()" in headers["Permissions-Policy"], name
    # Manifest storage: hashed names that a CDN may keep for ever.
    assert answers["css_url"] != "/static/stories/reader.css"
    assert answers["css_url"] in answers["home"]["body"]
    assert answers["css"]["status"] == 200
    assert "immutable" in answers["css"]["headers"]["Cache-Control"]
    assert "public" in answers["story"]["headers"]["Cache-Control"]
    assert "Ferry timetable &lt;changes&gt;" in answers["story"]["body"]
    assert "<mark>Ferry</mark> timetable &lt;changes&gt;" in answers["search"]["body"]
    assert answers["login"]["cookies"]["csrftoken"]["secure"] is True
    assert answers["missing"]["status"] == 404
    assert answers["insecure"] == {"status": 301, "location": f"https://{HOST}/"}

    # Logs: one JSON object per line on stdout.
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    loggers = [record["logger"] for record in records]
    assert loggers[:2] == ["stories.record.signer", "stories.publishing"]
    assert (
        records[0]["message"]
        == "the transparency log's signer starts a record at 1 entries (a new log)"
    )
    assert {"level": "INFO", "logger": "stories.publishing"}.items() <= records[1].items()
    not_found = [record for record in records if record["logger"] == "django.request"]
    assert not_found[0]["message"] == "Not Found: /no-such-page/"
    assert not_found[0]["status_code"] == 404
    assert all("time" in record for record in records)


# -- gunicorn and make serve -----------------------------------------------------------


def test_gunicorn_configuration_loads_and_reads_the_environment():
    env = production(GUNICORN_WORKERS="3", GUNICORN_THREADS="4", PORT="8123")
    result = run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--print-config",
            "--config",
            "newsroom/gunicorn.conf.py",
            "newsroom.wsgi",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(
        line.split("=", 1)
        for line in (row.replace(" ", "") for row in result.stdout.splitlines())
        if "=" in line
    )
    assert printed["workers"] == "3"
    assert printed["threads"] == "4"
    assert printed["bind"] == "['0.0.0.0:8123']"
    assert printed["accesslog"] == "-"


def test_make_serve_needs_a_database_url():
    env = production()
    result = run(["make", "--no-print-directory", "-o", ".venv/.installed", "serve"], env)
    assert result.returncode != 0
    assert "make serve needs DATABASE_URL" in result.stderr


# -- sessions on a real Redis ----------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server: set REDIS_URL")
@pytest.mark.django_db
def test_admin_login_keeps_its_session_in_redis_and_the_database(client):
    """A real login through the admin's form, with sessions cached in Redis (cached_db).

    The keys carry a prefix of their own, deleted afterwards, so the test never touches
    another run's (or a developer's) cache entries.
    """
    prefix = f"newsroom-test-sessions-{uuid.uuid4().hex[:12]}"
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    UserFactory(username="desk", permissions=["view_story"])
    with override_settings(
        CACHES=redis_cache, SESSION_ENGINE="django.contrib.sessions.backends.cached_db"
    ):
        redis = caches["default"]._cache.get_client(write=True)
        try:
            response = client.post(
                reverse("admin:login"),
                {"username": "desk", "password": "correct-horse-battery", "next": "/admin/"},
            )
            assert response.status_code == 302
            session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
            keys = [key.decode() for key in redis.scan_iter(match=f"{prefix}:*")]
            assert any(session_key in key for key in keys)
            assert Session.objects.filter(session_key=session_key).exists()

            assert client.get(reverse("admin:index")).status_code == 200
            # Redis loses the entry (eviction, restart): the database copy still logs in.
            redis.delete(*keys)
            assert client.get(reverse("admin:index")).status_code == 200
            client.post(reverse("admin:logout"))
            assert client.get(reverse("admin:index")).status_code == 302
        finally:
            keys = list(redis.scan_iter(match=f"{prefix}:*"))
            if keys:
                redis.delete(*keys)


def test_production_requires_the_publication_url():
    env = production()
    env.pop("NEWSROOM_PUBLICATION_URL", None)

    result = run(
        [sys.executable, "manage.py", "check"],
        env,
    )

    assert result.returncode != 0
    assert "NEWSROOM_PUBLICATION_URL must be set when DJANGO_ENV=production" in result.stderr


def demo_environment() -> dict:
    """The variables ``make run`` sets (the Makefile's DEMO_ENV), as it sets them."""
    makefile = (BASE_DIR / "Makefile").read_text()
    line = re.search(r"^DEMO_ENV := (.*)$", makefile, flags=re.M).group(1)
    variables = dict(pair.split("=", 1) for pair in line.split())
    return environment(**variables)


def test_the_demo_shows_the_sites_404_not_djangos_debug_page(db, client):
    demo = settings_in(demo_environment(), "DEBUG", "DEMO_MODE", "WHITENOISE_USE_FINDERS")

    assert demo["DEMO_MODE"] is True
    assert demo["DEBUG"] is False, "Django's debug 404 page shows instead of the site's"
    assert demo["WHITENOISE_USE_FINDERS"] is True, "static files are still served"
    # With those settings, a missing page is the site's own 404.
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert read(response).h1 == ["Page not found"]
    assert "Using the URLconf" not in text(response)
