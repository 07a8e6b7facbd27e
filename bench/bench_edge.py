"""The edge: Varnish in front of gunicorn, its speed, its purges and its shield.

    .venv/bin/python bench/bench_edge.py [--seconds 10] [--publishes 100] [--bursts 10]

Builds its own data (the story of ``bench_served``: about 900 words, 30 credits, 200
versions) in a throwaway SQLite database, or on the PostgreSQL server of
``DATABASE_URL`` (a database of its own, dropped after; Redis from ``REDIS_URL``), then
runs gunicorn (``-w 2``), the task worker on the database backend (it sends the purges)
and two Varnish edges with ``deploy/varnish/newsroom.vcl`` (Debian's varnish and
varnish-modules), each on free ports, and measures:

1. **Speed**: the story page through Varnish against a static object of the same size
   (the page's own HTML, saved as a static file and kept by the same Varnish), loaded by
   wrk in alternation. Target: the page at least 0.9 of the static object.
2. **Purge latency**: the time from a publish's commit until *every* edge serves the new
   version, over ``--publishes`` corrections (p50, p99, max). Target: p99 under 1 s.
3. **Shield**: right after each of ``--bursts`` publishes, 500 connections ask one edge
   for the page at once (wrk -c500); how many requests reached the origin (varnishstat's
   ``MAIN.backend_req``). Target: one per publish.

Exits non-zero if an answer was not 200 or a publish never reached an edge.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_served import Server, build_story, psql, save_page_copies, server_environment, wrk
from benchdb import ROOT, approved, setup_django

sys.path.insert(0, str(ROOT))
from deploy.varnish.edge import Varnish, varnishd_path  # noqa: E402
from tests.outage import request  # noqa: E402

GZIP = "Accept-Encoding: gzip"


class Worker:
    """``manage.py db_worker`` on the database backend, polling every 50 ms."""

    def __init__(self, env: dict[str, str], log: Path):
        import subprocess

        self._log = open(log, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval",
             "0.05", "--no-startup-delay"],
            cwd=ROOT, env=env, stdout=self._log, stderr=self._log,
        )  # fmt: skip

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self._log.close()


def version_number(edge: Varnish, path: str) -> int:
    """The version an edge serves (the history link says "N versions")."""
    import re

    answer = request(edge.port, "GET", path)
    if answer.status != 200:
        return -1
    found = re.search(rb"View revision history \((\d+) version", answer.body)
    return int(found.group(1)) if found else -1


def wait_for_version(edges, path: str, number: int, timeout: float = 10.0) -> float:
    """Seconds until every edge serves version ``number`` (NaN if one never does)."""
    started = time.perf_counter()
    pending = list(edges)
    while pending and time.perf_counter() - started < timeout:
        pending = [edge for edge in pending if version_number(edge, path) < number]
    return time.perf_counter() - started if not pending else float("nan")


def correct(story, editor, n: int):
    from stories import editing, publishing
    from stories.content.kinds import RevisionKind

    story.refresh_from_db()
    story.dek = f"Correction number {n}."
    editing.save_story(story, user=editor, reason="bench", expected_edit=story.edit_number)
    approved(story)  # a second editor's approval, before the timed part starts
    return publishing.publish(
        story, user=editor, kind=RevisionKind.CORRECTION, public_note=f"Fixed {n}."
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--publishes", type=int, default=100)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            raise SystemExit("bench_edge needs wrk: apt-get install wrk (Debian's package)")
    if varnishd_path() is None:
        raise SystemExit("bench_edge needs Varnish: apt-get install varnish varnish-modules")

    directory = Path(tempfile.mkdtemp(prefix="newsroom-edge-"))
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    server_url, bench_database = database_url.rsplit("/", 1)[0], f"newsroom_edge_{os.getpid()}"
    if database_url.startswith("postgres"):
        psql(server_url, f"CREATE DATABASE {bench_database}")
        database_url = f"{server_url}/{bench_database}"
    else:
        database_url = f"sqlite:///{directory / 'bench.sqlite3'}"
    # Publishes here go through the database queue to the worker, as the admin's do.
    os.environ["NEWSROOM_TASKS_BACKEND"] = "database"
    # This process publishes: with Redis it must bump the cache generations the servers
    # read, in their Redis and under their key prefix, or their reader cache keeps the
    # old page and every purged edge fetches it again.
    prefix = f"newsroom-edge-{uuid.uuid4().hex[:8]}"
    os.environ["CACHE_KEY_PREFIX"] = prefix
    setup_django(database_url, keep_redis=bool(redis_url))

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connections

    story = build_story(args.versions)
    editor = get_user_model().objects.get(username="bench-editor")
    path = story.get_absolute_url()
    static_root, limit_file = save_page_copies(path, directory)
    connections.close_all()

    env = server_environment(
        database_url=database_url,
        static_root=static_root,
        limit_file=limit_file,
        prefix=prefix,
        redis_url=redis_url,
        NEWSROOM_TASKS_BACKEND="database",
    )
    if not redis_url:
        # Each gunicorn worker's local-memory cache would never hear of publishes made in
        # this process: without Redis the edge is the only cache.
        env["NEWSROOM_READER_CACHE_TIMEOUT"] = "0"
    origin = Server(env, 2)
    origin_port = int(origin.url.rsplit(":", 1)[1])
    edges = [Varnish([("127.0.0.1", origin_port)]).start() for _ in range(2)]
    purge_urls = [f"{edge.url}/" for edge in edges]
    worker = Worker(
        {**env, "NEWSROOM_EDGE_PURGE_URLS": ",".join(purge_urls)}, directory / "worker.log"
    )
    settings.EDGE_PURGE_URLS = purge_urls  # from now on, publishes here purge both edges
    failures = 0
    try:
        # 1. Speed through the edge.
        targets = [("static object (the limit)", "/static/bench/story.html"), ("story page", path)]

        def load(target, seconds, connections):
            # As browsers ask: the edge keeps pages and static files compressed.
            url = edges[0].url + target
            return wrk(url, seconds, connections, args.threads, headers=[GZIP])

        for _, target in targets:
            load(target, 2, args.connections)
        speed = {label: [] for label, _ in targets}
        for _ in range(args.rounds):
            for label, target in targets:
                speed[label].append(load(target, args.seconds, args.connections))

        # 2. Publish to every edge.
        latencies = []
        for n in range(args.publishes):
            for edge in edges:  # both edges hold the current version
                version_number(edge, path)
            revision = correct(story, editor, n)
            seconds = wait_for_version(edges, path, revision.number)
            if seconds != seconds:
                failures += 1
            else:
                latencies.append(seconds)

        # 3. Origin requests per publish under a 500-connection burst.
        per_publish = []
        for n in range(args.bursts):
            revision = correct(story, editor, args.publishes + n)
            before = edges[0].counter("MAIN.backend_req")
            load(path, 2, 500)
            if version_number(edges[0], path) < revision.number:
                failures += 1
            per_publish.append(edges[0].counter("MAIN.backend_req") - before)
    finally:
        worker.stop()
        for edge in edges:
            edge.stop()
        origin.stop()
        connections.close_all()
        if database_url.startswith("postgres"):
            psql(server_url, f"DROP DATABASE IF EXISTS {bench_database} WITH (FORCE)")

    database = "PostgreSQL" if "postgres" in database_url else "SQLite"
    print(
        f"story: {args.versions} versions, 30 credits; gunicorn -w 2 ({database}, "
        f"{'Redis' if redis_url else 'local-memory cache'}); 2 Varnish edges; wrk -t"
        f"{args.threads} -c{args.connections} -d{args.seconds}s x {args.rounds} rounds"
    )
    static_rps = statistics.mean(run["rps"] for run in speed[targets[0][0]])
    print(f"{'through the edge':<28} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'share':>7}")
    for label, _ in targets:
        runs = speed[label]
        rps = statistics.mean(run["rps"] for run in runs)
        p50 = statistics.median(run["p50"] for run in runs)
        p99 = max(run["p99"] for run in runs)
        failures += sum(run["bad"] for run in runs)
        print(f"{label:<28} {rps:>11,.0f} {p50:>8.2f} {p99:>8.2f} {rps / static_rps:>7.3f}")
    if latencies:
        print(
            f"publish to every edge ({len(latencies)} corrections): p50 "
            f"{percentile(latencies, 0.5) * 1000:.0f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    print(
        f"origin requests per publish under a 500-connection burst ({args.bursts} publishes): "
        f"{' '.join(map(str, per_publish))}"
    )
    shutil.rmtree(directory, ignore_errors=True)
    if failures:
        raise SystemExit(f"{failures} failures (answers not 200, or versions never seen)")


if __name__ == "__main__":
    main()
