"""Outages for real: the app under gunicorn, PostgreSQL and Redis behind TCP proxies.

``tests/test_outages.py`` and ``bench/bench_outages.py`` use these pieces: a ``TcpProxy``
in front of the real PostgreSQL and the real Redis that a test can take down (the port
closes: connections are refused) or hang (connections are accepted and never answered),
and an ``AppServer``: gunicorn serving the app with the production settings on a free
localhost port, on a database of its own (created from a migrated template) reached
through the proxy. Only localhost is ever contacted.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET_KEY = "outage-" + "q8Rv2sLm9pTt4wZc7nHb1yFd6gJk3aUe5iOo0lPq2rSt"
PASSWORD = "correct-horse-battery"
#: Variables the settings read: none of the caller's leak into the server.
SETTINGS_VARIABLES = ("DJANGO_", "DATABASE_", "REDIS_", "CACHE_", "NEWSROOM_", "GUNICORN_")
#: Stories published on every server: story-0 is the one kept in the cache.
STORIES = 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class TcpProxy:
    """Forwards a localhost port to a real server, until told to go down or hang.

    * ``down()``: the port closes and open connections are cut (a server that stopped,
      a closed port: connections are refused at once);
    * ``hang(drop_open=...)``: new connections are accepted and never answered, and
      bytes on open ones stop flowing (a server that accepts and never answers); with
      ``drop_open`` the open connections are cut first (a server restarted into a hang);
    * ``hang_on(marker)``: forwards until a client sends bytes holding ``marker`` (a
      table's name in a query), then hangs from those bytes on, open connections kept
      (a server that goes silent in the middle of a conversation);
    * ``up()``: back to forwarding.
    """

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._hanging = False
        self._marker: bytes | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._listen()

    # -- modes --------------------------------------------------------------------------

    def up(self) -> None:
        self._hanging = False
        self._marker = None
        self._flowing.set()
        if self._listener is None:
            self._listen()

    def down(self) -> None:
        self._hanging = False
        self._flowing.set()  # release frozen pumps so their threads end
        listener, self._listener = self._listener, None
        if listener is not None:
            _shut(listener)
        self._cut_open()

    def hang(self, *, drop_open: bool = False) -> None:
        self._hanging = True
        self._flowing.clear()
        if drop_open:
            self._cut_open()
        if self._listener is None:
            self._listen()

    def hang_on(self, marker: bytes) -> None:
        self._marker = marker

    def close(self) -> None:
        self.down()

    # -- plumbing -----------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _cut_open(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _shut(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._track(client)
            if self._hanging:
                continue  # accepted, never read, never answered
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _shut(client)
                continue
            self._track(upstream)
            for source, target, asks in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, asks), daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket, asks: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                break
            if not data:
                break
            if asks and self._marker is not None and self._marker in data:
                self._hanging = True  # the server falls silent from this query on
                self._flowing.clear()
            self._flowing.wait()  # hung: the bytes are held, nothing is answered
            try:
                target.sendall(data)
            except OSError:
                break
        _shut(source)
        _shut(target)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# -- HTTP --------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(
    port: int, method: str, path: str, *, cookies=None, body=None, headers=None, timeout=15
) -> Answer:
    """One request on a fresh connection, as a browser behind the https proxy sends it."""
    sent = {"Host": f"{HOST}:{port}", "X-Forwarded-Proto": "https", "Connection": "close"}
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent["Referer"] = f"https://{HOST}:{port}{path}"
    sent.update(headers or {})
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read()
        seconds = time.perf_counter() - started
        received = {name.lower(): value for name, value in response.getheaders()}
        set_cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                set_cookies[key.strip()] = rest.split(";", 1)[0]
        return Answer(response.status, received, content, seconds, set_cookies)
    except (TimeoutError, OSError) as error:
        return Answer(0, {"error": str(error)}, b"", time.perf_counter() - started)
    finally:
        connection.close()


def log_in(
    port: int, username: str = "desk", password: str = PASSWORD, code: str = ""
) -> tuple[Answer, dict]:
    """The admin's login form, as a browser fills it: (the POST's answer, the cookies).
    The desk reads the admin and changes no record: a password is its whole login. The
    editor, who can publish, needs a second factor in production: ``code``, one of
    ``EDITORS_RECOVERY_CODES``.

    The answer's time is the POST's: most of it is the password hash, by design."""
    form = request(port, "GET", "/admin/login/")
    cookies = dict(form.cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    if form.status != 200 or token is None:
        return form, cookies
    fields = f"csrfmiddlewaretoken={token.group(1).decode()}&username={username}&password={password}&otp_token={code}&next=/admin/"
    posted = request(port, "POST", "/admin/login/", cookies=cookies, body=fields)
    cookies.update(posted.cookies)
    return posted, cookies


def submit(port: int, path: str, cookies: dict, **fields) -> Answer:
    """Open the form at ``path`` and submit it with its hidden fields (the CSRF token, the
    edit it was opened on) and ``fields``, as a browser would."""
    from urllib.parse import urlencode

    form = request(port, "GET", path, cookies=cookies)
    hidden = dict(re.findall(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.body))
    data = {name.decode(): value.decode() for name, value in hidden.items()} | fields
    return request(port, "POST", path, cookies=cookies, body=urlencode(data))


# -- the server --------------------------------------------------------------------------

#: The editor's recovery codes (django-otp's static device), one per login in a test.
EDITORS_RECOVERY_CODES = ["outage-code-1", "outage-code-2", "outage-code-3"]
#: The story a test publishes an update of through the admin: its update is approved.
APPROVED_FOR_AN_UPDATE = "story-8"

SETUP_SCRIPT = f"""
import django
django.setup()
from django.contrib.auth.models import Permission
from stories import reviewing
from stories.models import Section, Story
from django_otp.plugins.otp_static.models import StaticDevice
from stories.publishing import publish

User = django.contrib.auth.get_user_model()
editor = User.objects.create_user("editor", password="{PASSWORD}", is_staff=True, is_superuser=True)
codes = StaticDevice.objects.create(user=editor, name="Recovery codes", confirmed=True)
for code in {EDITORS_RECOVERY_CODES!r}:
    codes.token_set.create(token=code)
second = User.objects.create_user("second-editor", is_staff=True, is_superuser=True)
desk = User.objects.create_user("desk", password="{PASSWORD}", is_staff=True)
desk.user_permissions.set(Permission.objects.filter(codename="view_story"))
section = Section.objects.create(name="Local", slug="local")
for number in range({STORIES}):
    story = Story.objects.create(
        headline=f"Ferry timetable changes {{number}}", slug=f"story-{{number}}",
        section=section, dek="Fewer crossings.", body="The ferry runs twice a day.",
    )
    reviewing.submit(story, user=editor)  # the two-person rule: a second editor approves
    reviewing.approve(story, user=second)
    publish(story, user=editor)
    if story.slug == "{APPROVED_FOR_AN_UPDATE}":  # its next update, approved in advance
        reviewing.submit(story, user=editor)
        reviewing.approve(story, user=second)
"""


def server_environment(**variables) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SETTINGS_VARIABLES) and key != "WEB_CONCURRENCY"
    }
    defaults = {
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "NEWSROOM_PUBLICATION_URL": f"http://{HOST}",
        "NEWSROOM_LOG_SIGNING_KEY": "0d" * 32,
        # Required in production; a template that publishes names its own (PostgresTemplate).
        "NEWSROOM_LOG_SIGNER_STATE": os.path.join(
            tempfile.gettempdir(), "newsroom-outage-signer.json"
        ),
        "NEWSROOM_AUDIT_KEY": "a0" * 32,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    return {**env, **defaults, **variables}


def run(args, env, cwd=ROOT, timeout=300):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed:\n{result.stderr[-3000:]}")
    return result


class PostgresTemplate:
    """A migrated database holding the editor and the stories, copied for each server.

    ``admin_url`` names a role that may create databases: it creates and migrates them
    (the owner). With ``app_url`` (another role, as ``DATABASE_URL`` and
    ``DATABASE_OWNER_URL`` are in CI) the servers connect as that one, with the data
    rights the migration granted it; without, as the same role."""

    def __init__(
        self,
        admin_url: str,
        name: str,
        static_root: Path,
        app_dir: Path = ROOT,
        app_url: str | None = None,
    ):
        self.admin_url = admin_url
        self.app_url = app_url or admin_url
        self.name = name
        self.static_root = static_root
        self.app_dir = app_dir
        #: The log's signer's record, the template's own (its stories are published).
        self.signer_state = static_root / "log-signer.json"

    def environment(self, name: str, port: int | None = None) -> dict:
        """The database variables of a process using database ``name`` (through ``port``)."""
        variables = {"DATABASE_URL": database_url(self.app_url, name, port)}
        if self.app_url != self.admin_url:
            variables["DATABASE_OWNER_URL"] = database_url(self.admin_url, name, port)
        return variables

    def create(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        env = server_environment(
            **self.environment(self.name),
            DATABASE_POOL="0",
            DJANGO_STATIC_ROOT=str(self.static_root),
            NEWSROOM_LOG_SIGNER_STATE=str(self.signer_state),
        )
        python = sys.executable
        owner = ["--database", "owner"] if "DATABASE_OWNER_URL" in env else []
        run([python, "manage.py", "migrate", "--noinput", *owner], env, cwd=self.app_dir)
        env.pop("DATABASE_OWNER_URL", None)  # the rest runs as the application
        run([python, "manage.py", "collectstatic", "--noinput"], env, cwd=self.app_dir)
        run([python, "-c", SETUP_SCRIPT], env, cwd=self.app_dir)

    def copy(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')

    def drop(self, name: str | None = None) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name or self.name}" WITH (FORCE)')


def template_for_this_run(static_root: Path) -> PostgresTemplate:
    """A template database on the server of this test run's ``DATABASE_URL``, named after
    the run's own test database (each xdist worker has its own), made by the run's owner
    role and used by its application's role, as the run's own database is."""
    from django.conf import settings

    from tests.envsettings import database_url as url_of

    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_outage_{uuid.uuid4().hex[:6]}"[:50]
    return PostgresTemplate(
        url_of(settings.DATABASES.get("owner", database), "postgres"),
        name,
        static_root,
        app_url=url_of(database, "postgres"),
    )


def database_url(server_url: str, name: str, port: int | None = None) -> str:
    parts = urlsplit(server_url)
    netloc = parts.netloc
    if port is not None:
        credentials = netloc.rpartition("@")[0]
        netloc = f"{credentials}@{HOST}:{port}" if credentials else f"{HOST}:{port}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{name}"))


class AppServer:
    """gunicorn with the production settings, its database and cache behind proxies."""

    def __init__(
        self, template: PostgresTemplate, redis_url: str, log_path: Path, **variables: str
    ):
        self.template = template
        #: More settings for the server's environment (e.g. the reader cache turned off).
        self.variables = variables
        self.database = f"{template.name}_{uuid.uuid4().hex[:6]}"
        self.prefix = f"newsroom-outage-{uuid.uuid4().hex[:10]}"
        self.redis_url = redis_url
        self.log_path = log_path
        self.port = free_port()
        pg = urlsplit(template.admin_url)
        redis = urlsplit(redis_url)
        self.postgres = TcpProxy(pg.hostname or HOST, pg.port or 5432)
        self.redis = TcpProxy(redis.hostname or HOST, redis.port or 6379)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.template.copy(self.database)
        redis = urlsplit(self.redis_url)
        variables = self.template.environment(self.database, self.postgres.port)
        variables.pop("DATABASE_OWNER_URL", None)  # as make serve starts gunicorn
        env = server_environment(
            **variables,
            REDIS_URL=urlunsplit(redis._replace(netloc=f"{HOST}:{self.redis.port}")),
            CACHE_KEY_PREFIX=self.prefix,
            DJANGO_STATIC_ROOT=str(self.template.static_root),
            NEWSROOM_LOG_SIGNER_STATE=str(self.template.signer_state),
            GUNICORN_BIND=f"{HOST}:{self.port}",
            **self.variables,
        )
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "-c", "newsroom/gunicorn.conf.py"],
            cwd=self.template.app_dir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            if request(self.port, "GET", "/robots.txt", timeout=5).status == 200:
                return
            time.sleep(0.1)  # waiting for a process to start: there is no event to wait on
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def query(self, sql: str, *params):
        """One row of ``sql`` on the server's database, straight from PostgreSQL."""
        import psycopg

        with psycopg.connect(database_url(self.template.admin_url, self.database)) as db:
            return db.execute(sql, params).fetchone()

    def get(self, path: str, **kwargs) -> Answer:
        return request(self.port, "GET", path, **kwargs)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        self.postgres.close()
        self.redis.close()
        self.template.drop(self.database)
        self._delete_cache_keys()

    def _delete_cache_keys(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])


# -- the probes of the table -------------------------------------------------------------

#: What each outage is checked on: a reader page already in the cache, one that is not,
#: the admin for an editor logged in before the outage, and a login during it.
PROBES = ("reader page cached", "reader page uncached", "admin", "login")
OUTAGES = ("none", "Redis down", "Redis hung", "PostgreSQL down", "PostgreSQL hung")


def start_outage(server: AppServer, outage: str) -> None:
    if outage == "Redis down":
        server.redis.down()
    elif outage == "Redis hung":
        server.redis.hang()
    elif outage == "PostgreSQL down":
        server.postgres.down()
    elif outage == "PostgreSQL hung":
        # A server that accepts and never answers; the pool's connections were cut
        # (a database restarted into a hang): see docs/operations.md for the case of a
        # server that freezes in the middle of a conversation.
        server.postgres.hang(drop_open=True)


def end_outages(server: AppServer) -> None:
    server.redis.up()
    server.postgres.up()


def probe(server: AppServer, outage: str, fresh_story: int) -> dict[str, Answer]:
    """Warm the cache and log in while all is well, start ``outage``, and probe."""
    end_outages(server)
    cached_url = "/stories/story-0/"
    server.get(cached_url)
    logged_in, cookies = log_in(server.port)
    assert logged_in.status == 302, (logged_in.status, logged_in.text[:500], server.log()[-3000:])
    start_outage(server, outage)
    try:
        answers = {
            "reader page cached": server.get(cached_url),
            "reader page uncached": server.get(f"/stories/story-{fresh_story}/"),
            "admin": server.get("/admin/", cookies=cookies),
            "login": log_in(server.port)[0],
        }
    finally:
        end_outages(server)
    return answers


def describe(answer: Answer) -> str:
    status = answer.status or "no answer"
    how = answer.headers.get("x-reader-cache")
    return f"{status}{f' ({how})' if how else ''} in {answer.seconds:.2f} s"
