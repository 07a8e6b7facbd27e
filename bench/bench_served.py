"""The served site against its limit: gunicorn, a load generator, and a static copy.

    .venv/bin/python bench/bench_served.py [--seconds 10] [--rounds 2] [--versions 200]

Builds its own data (a story of about 900 words with the given number of published
versions and 30 credits) in a throwaway SQLite database, or in ``DATABASE_URL`` /
``REDIS_URL`` when they are set (a database and cache prefix of its own, removed after).
It saves the story page's own HTML as a static file, starts two gunicorn servers on free
ports (``-w 2``, the default settings; the second with the reader's page cache turned off),
and loads each target with wrk (Debian's ``wrk`` package), alternating the limits and the
page under test in every round so that all see the same machine:

- the page's own bytes from a bare WSGI callable in the same gunicorn (``limit_wsgi``:
  no Django at all; the limit);
- the page's own HTML as a static file (Django and WhiteNoise: the older limit);
- ``/robots.txt`` (the framework and its middleware alone);
- the story page from the reader cache;
- the story page with the reader cache turned off.

It prints requests/s, p50 and p99 latency and each target's share of both limits'
throughput, measured on the same server in the same round; the SQL queries of a cache
hit; and exits non-zero if any answer was not 200. Targets (docs/benchmarks.md), as
shares of the bare WSGI limit: the page uncached at least 0.07, a cache hit at least
0.40 (with 0 queries), on SQLite and on PostgreSQL with Redis.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from benchdb import ROOT, setup_django
from limit_wsgi import LIMIT_PATH

STORY_SLUG = "council-weighs-harbor-wall"


def psql(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_story(versions: int):
    """About 900 words in 40 paragraphs, 30 credits, ``versions`` published versions."""
    from django.contrib.auth import get_user_model

    from stories.content.kinds import CreditRole
    from tests.factories import ContributorFactory, CreditFactory, StoryFactory, long_record

    editor = get_user_model().objects.create_superuser("bench-editor", "b@example.com", "x")
    paragraph = (
        "The council heard from residents about the harbor wall, its cost, the salt marsh "
        "north of the ferry landing and the shops that took on water this week."
    )
    story = StoryFactory(
        slug=STORY_SLUG,
        headline="Council weighs harbor wall after king tide",
        body="\n\n".join(f"{paragraph} ({n})" for n in range(30)),
    )
    roles = [CreditRole.BYLINE, CreditRole.CONTRIBUTED, CreditRole.PHOTOGRAPHY]
    for position in range(30):
        CreditFactory(
            story=story,
            contributor=ContributorFactory(),
            role=roles[position % 3],
            position=position,
        )
    return long_record(story, editor, versions=versions)


def cache_hit_queries(url: str) -> int:
    """SQL queries of a story page answered from the reader cache (in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return len(captured)


def page_html(url: str) -> bytes:
    from django.test import Client

    response = Client().get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response.content


def save_page_copies(story_path: str, directory: Path) -> tuple[Path, Path]:
    """The story page's own bytes, twice: as a static file (``/static/bench/story.html``
    through Django and WhiteNoise) and as the bare WSGI limit's file. Returns the static
    root and the limit's file."""
    html = page_html(story_path)
    static_root = directory / "static"
    (static_root / "bench").mkdir(parents=True, exist_ok=True)
    (static_root / "bench" / "story.html").write_bytes(html)
    limit_file = directory / "limit.html"
    limit_file.write_bytes(html)
    return static_root, limit_file


def server_environment(
    *, database_url: str, static_root: Path, limit_file: Path, prefix: str, redis_url: str, **extra
) -> dict[str, str]:
    """The environment of the benches' gunicorn: this database, the static copy and the
    limit, a cache key prefix of the run's own, Redis only when the bench was given one."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        "CACHE_KEY_PREFIX": prefix,
        "PYTHONPATH": str(ROOT),
        "NEWSROOM_BENCH_LIMIT_FILE": str(limit_file),
        **extra,
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if not redis_url:
        env.pop("REDIS_URL", None)
    return env


class Server:
    """gunicorn serving the project on a free port, stopped on exit."""

    def __init__(self, env: dict[str, str], workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [str(gunicorn), "limit_wsgi:application", "--pythonpath", str(ROOT / "bench"),
             "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/robots.txt", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 30 s")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk(url: str, seconds: int, connections: int, threads: int, headers=()) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, and the count of answers not 2xx/3xx."""
    extra = [part for header in headers for part in ("-H", header)]
    output = subprocess.run(
        ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
         *extra, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(found.group(1)) if found else 0.0,
        "p50": _latency(output, "50%"),
        "p99": _latency(output, "99%"),
        "bad": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _latency(output: str, label: str) -> float:
    found = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not found:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench_served needs wrk: apt-get install wrk (Debian's package)")

    directory = tempfile.mkdtemp(prefix="newsroom-served-")
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    server_url, bench_database = database_url.rsplit("/", 1)[0], f"newsroom_bench_{os.getpid()}"
    if database_url.startswith("postgres"):
        # A database of its own on the same server, dropped at the end.
        psql(server_url, f"CREATE DATABASE {bench_database}")
        database_url = f"{server_url}/{bench_database}"
    else:
        database_url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
    prefix = f"newsroom-bench-{uuid.uuid4().hex[:8]}"
    setup_django(database_url)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url  # setup_django cleared it for the build

    story = build_story(args.versions)
    story_path = story.get_absolute_url()
    static_root, limit_file = save_page_copies(story_path, Path(directory))
    queries = cache_hit_queries(story_path)
    from django.db import connections

    connections.close_all()

    env = server_environment(
        database_url=database_url,
        static_root=static_root,
        limit_file=limit_file,
        prefix=prefix,
        redis_url=redis_url,
    )
    cached = Server(env, args.workers)
    uncached = Server({**env, "NEWSROOM_READER_CACHE_TIMEOUT": "0"}, args.workers)
    targets = [
        ("bare WSGI (the limit)", cached, LIMIT_PATH),
        ("static copy", cached, "/static/bench/story.html"),
        ("/robots.txt", cached, "/robots.txt"),
        ("story page, cache hit", cached, story_path),
        ("bare WSGI (2nd server)", uncached, LIMIT_PATH),
        ("static copy (2nd server)", uncached, "/static/bench/story.html"),
        ("story page, cache off", uncached, story_path),
    ]
    results: dict[str, list[dict]] = {label: [] for label, _, _ in targets}
    try:
        for _, server, path in targets:  # warm every worker's cache and templates
            wrk(server.url + path, 2, args.connections, args.threads)
        for _ in range(args.rounds):
            for label, server, path in targets:
                results[label].append(
                    wrk(server.url + path, args.seconds, args.connections, args.threads)
                )
    finally:
        cached.stop()
        uncached.stop()
        if database_url.startswith("postgres"):
            psql(server_url, f"DROP DATABASE IF EXISTS {bench_database} WITH (FORCE)")

    def summary(label):
        runs = results[label]
        return (
            statistics.mean(run["rps"] for run in runs),
            statistics.median(run["p50"] for run in runs),
            max(run["p99"] for run in runs),
            sum(run["bad"] for run in runs),
        )

    def limits(server) -> tuple[float, float]:
        """(bare WSGI, static copy) requests/s on ``server``, in the same rounds."""
        if server is uncached:
            return summary("bare WSGI (2nd server)")[0], summary("static copy (2nd server)")[0]
        return summary("bare WSGI (the limit)")[0], summary("static copy")[0]

    print(
        f"story: {args.versions} versions, {len(story.body.split())} words; gunicorn -w "
        f"{args.workers}; wrk -t{args.threads} -c{args.connections} -d{args.seconds}s x "
        f"{args.rounds} rounds; {'PostgreSQL' if 'postgres' in database_url else 'SQLite'}, "
        f"{'Redis' if redis_url else 'local-memory cache'}"
    )
    print(
        f"{'target':<26} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'share of bare WSGI':>19} {'share of static':>16}"
    )
    failures = 0
    for label, server, _ in targets:
        rps, p50, p99, bad = summary(label)
        bare, static = limits(server)
        print(
            f"{label:<26} {rps:>11,.0f} {p50:>8.2f} {p99:>8.2f} "
            f"{rps / bare:>19.3f} {rps / static:>16.3f}"
        )
        failures += bad
    print(f"SQL queries of a story page answered from the cache: {queries}")
    shutil.rmtree(directory, ignore_errors=True)
    if failures:
        raise SystemExit(f"{failures} answers were not 200")


if __name__ == "__main__":
    main()
