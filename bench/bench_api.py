"""Time the read API beside the reader's story page, and webhooks from commit to receiver.

    .venv/bin/python bench/bench_api.py [--stories 30] [--runs 30] [--publishes 100] [--endpoints 50]

Builds its own SQLite database in a temporary directory (the project's db.sqlite3 and
any Redis are left alone), with ``--stories`` published stories of four versions and
eight credits each. Then:

1. **Reads**, through Django's test client, taking turns run by run: the reader's story
   page, the API's story (``/api/v1/stories/{id}``), its ninjs item and the first page
   of ``/api/v1/stories``, each afresh (cache cleared) and from the cache: the median
   and 99th percentile time, the queries and the bytes.
2. **Commit to receiver**: a real ``manage.py db_worker`` (the database task backend,
   as ``make worker`` runs it, polling every 50 ms) and a receiver serving on
   127.0.0.1; ``--publishes`` corrections are published one after another, each timed
   from the moment its transaction committed to the moment the receiver held the
   event: p50 and p99.
3. **Throughput**: ``--endpoints`` endpoints (all on the local receiver) and
   ``--fanout`` publishes: the messages delivered per second by one worker, from the
   first commit to the last message received.

The worker's poll interval bounds part 2 from below; a receiver on the same machine
answers at once, so the numbers measure this side of the wire.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchdb import approved, setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Receiver:
    """Records the time each message arrives, by the story version it names."""

    def __init__(self):
        self.arrivals: dict[tuple[str, int], float] = {}
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.expected = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # http.server's name
                import json

                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.perf_counter()
                data = json.loads(body)["data"]
                with receiver.lock:
                    receiver.arrivals.setdefault((data["story"], data["version"]), now)
                    receiver.count += 1
                    if receiver.count >= receiver.expected:
                        receiver.done.set()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "hooks") -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"

    def expect(self, count: int):
        with self.lock:
            self.count, self.expected = 0, count
            self.done.clear()


def build_stories(count: int):
    from django.contrib.auth import get_user_model

    from stories import audit, publishing
    from stories.content.kinds import CreditRole, RevisionKind
    from stories.models import Contributor, Credit, Section, Story

    editor = get_user_model().objects.create_superuser("bench-editor", "bench@example.com", "x")
    section = Section.objects.create(slug="local", name="Local")
    people = [
        Contributor.objects.create(
            slug=f"reporter-{n}", name=f"Reporter {n}", affiliation="the Outlet"
        )
        for n in range(8)
    ]
    paragraphs = [f"Paragraph {n} about the harbor wall and its cost." for n in range(30)]
    stories = []
    with audit.acting_as(editor):
        for number in range(count):
            story = Story.objects.create(
                headline=f"Council weighs harbor wall, part {number}",
                slug=f"harbor-wall-{number}",
                dek="Residents packed the chamber.",
                body="\n\n".join(paragraphs),
                section=section,
                dateline="PORT HAVEN",
            )
            for position, person in enumerate(people):
                role = CreditRole.BYLINE if position < 2 else CreditRole.CONTRIBUTED
                Credit.objects.create(story=story, contributor=person, role=role, position=position)
            publishing.publish(approved(story), user=editor)
            for version in range(2, 5):
                story.body += f"\n\nVersion {version} adds a line."
                story.save()
                approved(story)
                publishing.publish(
                    story, user=editor, kind=RevisionKind.CORRECTION, public_note=f"Fix {version}."
                )
            stories.append(story)
    return editor, stories


def measure_reads(stories, runs: int):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    story = stories[len(stories) // 2]
    targets = {
        "reader story page": f"/stories/{story.slug}/",
        "API story": f"/api/v1/stories/{story.public_id}",
        "API story, ninjs": f"/api/v1/stories/{story.public_id}/ninjs",
        "API stories list": "/api/v1/stories?limit=20",
    }
    client = Client()
    results = {(name, fresh): ([], set(), 0) for name in targets for fresh in (True, False)}
    for _ in range(runs):
        for name, url in targets.items():
            for fresh in (True, False):
                if fresh:
                    cache.clear()
                else:
                    client.get(url)
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, response.status_code)
                timings, counts, _ = results[(name, fresh)]
                timings.append(elapsed)
                counts.add(len(queries))
                results[(name, fresh)] = (timings, counts, len(response.content))
    print(f"\nReads ({runs} runs, Django test client, SQLite, local-memory cache)\n")
    print("| answer | cache | median ms | p99 ms | queries | bytes |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (name, fresh), (timings, counts, size) in results.items():
        print(
            f"| {name} | {'afresh' if fresh else 'cached'} | {statistics.median(timings):.2f} "
            f"| {percentile(timings, 0.99):.2f} | {'/'.join(map(str, sorted(counts)))} | {size:,} |"
        )


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--interval",
            "0.05",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def prepare_correction(story, number: int) -> None:
    """Edit the story and have a second editor approve the edit (not timed)."""
    story.body += f"\n\nCorrection {number}."
    story.save()
    approved(story)


def publish_correction(story, editor, number: int) -> float:
    """Publish the prepared correction; the time its transaction committed."""
    from stories import publishing
    from stories.content.kinds import RevisionKind

    publishing.publish(
        story, user=editor, kind=RevisionKind.CORRECTION, public_note=f"Fix {number}."
    )
    return time.perf_counter()  # publish() returns after its transaction committed


def measure_latency(receiver: Receiver, editor, stories, publishes: int):
    from stories.partners import endpoints

    endpoint = endpoints.add_endpoint(url=receiver.url(), event_types=["story.corrected"])
    latencies = []
    for number in range(publishes):
        story = stories[number % len(stories)]
        prepare_correction(story, number)
        receiver.expect(1)
        committed = publish_correction(story, editor, number)
        if not receiver.done.wait(30):
            raise SystemExit(
                "the receiver did not hear of a publish within 30 s: is the worker running?"
            )
        story.refresh_from_db()
        arrived = receiver.arrivals[(str(story.public_id), story.latest_revision.number)]
        latencies.append((arrived - committed) * 1000)
    endpoints.disable(endpoint, reason="benchmark done")
    print(f"\nCommit to receiver ({publishes} corrections, one worker polling every 50 ms)\n")
    print("| p50 ms | p99 ms | max ms |")
    print("| ---: | ---: | ---: |")
    print(
        f"| {statistics.median(latencies):.1f} | {percentile(latencies, 0.99):.1f} | {max(latencies):.1f} |"
    )


def measure_throughput(receiver: Receiver, editor, stories, endpoints_count: int, fanout: int):
    from stories.partners import endpoints

    for number in range(endpoints_count):
        endpoints.add_endpoint(url=receiver.url(f"hooks/{number}"), event_types=["story.corrected"])
    for number in range(fanout):
        prepare_correction(stories[number % len(stories)], 10_000 + number)
    receiver.expect(endpoints_count * fanout)
    started = time.perf_counter()
    for number in range(fanout):
        publish_correction(stories[number % len(stories)], editor, 10_000 + number)
    if not receiver.done.wait(600):
        raise SystemExit(
            f"only {receiver.count} of {receiver.expected} messages arrived within 600 s"
        )
    elapsed = time.perf_counter() - started
    total = endpoints_count * fanout
    print(f"\nThroughput ({endpoints_count} endpoints x {fanout} publishes, one worker)\n")
    print("| messages | seconds | messages/s |")
    print("| ---: | ---: | ---: |")
    print(f"| {total} | {elapsed:.2f} | {total / elapsed:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--publishes", type=int, default=100)
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--fanout", type=int, default=4, help="publishes sent to every endpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsroom-bench-api-") as directory:
        os.environ["NEWSROOM_TASKS_BACKEND"] = "database"
        os.environ["NEWSROOM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
        os.environ["NEWSROOM_PUBLICATION_URL"] = "https://news.example"
        os.environ["NEWSROOM_MEDIA_ROOT"] = str(Path(directory) / "media")
        database = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        setup_django(database)
        editor, stories = build_stories(args.stories)
        measure_reads(stories, args.runs)

        receiver = Receiver()
        worker = start_worker({**os.environ, "DATABASE_URL": database})
        try:
            measure_latency(receiver, editor, stories, args.publishes)
            measure_throughput(receiver, editor, stories, args.endpoints, args.fanout)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            receiver.server.shutdown()


if __name__ == "__main__":
    main()
