"""Time the reader's story, history and compare pages on a story with a long record.

    .venv/bin/python bench/bench_reader.py [--runs 30] [--credits 30] [--revisions 300]

Builds its own SQLite database in a temporary directory (migrated from scratch; the
project's db.sqlite3 and any Redis are left alone) and publishes one story with the given
number of credits and revisions through the publishing service. Then, through Django's
test client, it prints the median and maximum time and the SQL query count of:

- the story page rendered afresh (cache cleared before each run),
- the story page from the reader cache, and answered with 304 to a conditional GET,
- the first page of the history, afresh and cached,
- the comparison of the first and last versions, afresh,
- one more publish of the story (an update through the publishing service, with its
  transparency-log leaf), each in a transaction rolled back so the story keeps its size.

The targets: a fresh story page well under 50 ms with a constant handful of queries, a
cached one a few milliseconds with one query; at 10,000 versions the story page and the
comparison within 1.5x of a 10-version story in time and bytes, the history page's p99
under 100 ms, and a publish within 1.5x of its time at 10 versions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(directory: str) -> None:
    """Point Django at a throwaway database and the local-memory cache, then set up."""
    setup_django(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")


def build_story(credits: int, revisions: int):
    from django.contrib.auth import get_user_model

    from stories import audit, publishing
    from stories.kinds import CreditRole, RevisionKind
    from stories.models import Contributor, Credit, Section, Story

    editor = get_user_model().objects.create_superuser("bench-editor", "bench@example.com", "x")
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    roles = [
        CreditRole.BYLINE,
        CreditRole.CONTRIBUTED,
        CreditRole.CONTRIBUTED,
        CreditRole.PHOTOGRAPHY,
    ]
    kinds = [RevisionKind.UPDATE, RevisionKind.MINOR, RevisionKind.CORRECTION, RevisionKind.UPDATE]
    paragraphs = [
        f"Paragraph {i}: the council heard from residents about the harbor wall, "
        f"its cost and the salt marsh north of the ferry landing."
        for i in range(40)
    ]
    with audit.acting_as(editor):
        section = Section.objects.create(name="Local", slug="local")
        story = Story.objects.create(
            headline="Council weighs harbor wall after king tide",
            slug="council-weighs-harbor-wall",
            dek="Residents packed the chamber for a four-hour hearing.",
            body="\n\n".join(paragraphs),
            section=section,
            dateline="PORT HAVEN",
        )
        for position in range(credits):
            contributor = Contributor.objects.create(
                name=f"Reporter {position}",
                slug=f"reporter-{position}",
                affiliation=f"the Outlet {position % 5}",
            )
            Credit.objects.create(
                story=story, contributor=contributor, role=roles[position % 4], position=position
            )
        publishing.publish(story, user=editor, at=start)
        for number in range(2, revisions + 1):
            story.body = "\n\n".join(
                paragraphs[: number % 40]
                + [f"Revision {number} adds a line."]
                + paragraphs[number % 40 :]
            )
            story.save()
            kind = kinds[number % 4]
            publishing.publish(
                story,
                user=editor,
                kind=kind,
                public_note="" if kind == RevisionKind.MINOR else f"Note for version {number}.",
                internal_reason="Style." if kind == RevisionKind.MINOR else "",
                at=start + timedelta(minutes=number),
            )
    return story


def measure(client, url: str, runs: int, *, clear_cache: bool, headers=None, status=200):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], set()
    for _ in range(runs):
        if clear_cache:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, headers=headers or {})
            timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != status:
            raise SystemExit(f"{url} answered {response.status_code}, expected {status}")
        queries.add(len(captured))
    return timings, queries, response


def measure_publish(story, runs: int):
    """Time ``runs`` publishes of one more version, each rolled back (the story keeps its
    size; the commit and the cache invalidation after it do not depend on it)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from stories import publishing
    from stories.kinds import RevisionKind
    from stories.models import Story

    editor = get_user_model().objects.get(username="bench-editor")
    timings, queries = [], set()
    for run in range(runs):
        with transaction.atomic():
            working = Story.objects.get(pk=story.pk)
            working.body += f"\n\nA late paragraph, take {run}."
            working.save()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                publishing.publish(
                    working, user=editor, kind=RevisionKind.UPDATE, public_note="Late news."
                )
                timings.append((time.perf_counter() - start) * 1000)
            queries.add(len(captured))
            transaction.set_rollback(True)
    return timings, queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, timings: list[float], queries: set[int]) -> None:
    counts = ",".join(str(count) for count in sorted(queries))
    print(
        f"{label:<34} median {statistics.median(timings):7.2f} ms   "
        f"p99 {percentile(timings, 0.99):7.2f} ms   max {max(timings):7.2f} ms   "
        f"queries {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--credits", type=int, default=30)
    parser.add_argument("--revisions", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
        configure(directory)
        from django.test import Client
        from django.urls import reverse

        from stories.reader.pages import HISTORY_PER_PAGE

        build_started = time.perf_counter()
        story = build_story(args.credits, args.revisions)
        build_seconds = time.perf_counter() - build_started
        print(
            f"story: {story.credits.count()} credits, {story.revisions.count()} revisions "
            f"(built in {build_seconds:.1f} s)"
        )
        client = Client()
        story_url = story.get_absolute_url()
        history_url = reverse("reader:history", args=[story.slug])
        compare_url = reverse("reader:compare", args=[story.slug, 1, args.revisions])
        measure(client, story_url, 3, clear_cache=True)  # warm up imports and templates

        timings, queries, response = measure(client, story_url, args.runs, clear_cache=True)
        report("story page, fresh", timings, queries)
        print(f"  ({len(response.content) // 1024} KiB of HTML)")
        timings, queries, response = measure(client, story_url, args.runs, clear_cache=False)
        report("story page, cached", timings, queries)
        etag = response["ETag"]
        timings, queries, _ = measure(
            client, story_url, args.runs, clear_cache=False,
            headers={"if-none-match": etag}, status=304,
        )  # fmt: skip
        report("story page, 304 Not Modified", timings, queries)
        timings, queries, _ = measure(client, history_url, args.runs, clear_cache=True)
        report("history page 1, fresh", timings, queries)
        timings, queries, _ = measure(client, history_url, args.runs, clear_cache=False)
        report("history page 1, cached", timings, queries)
        last_page = f"{history_url}?page={(args.revisions - 1) // HISTORY_PER_PAGE + 1}"
        timings, queries, _ = measure(client, last_page, args.runs, clear_cache=True)
        report("history last page, fresh", timings, queries)
        timings, queries, response = measure(
            client, compare_url, max(3, args.runs // 3), clear_cache=True
        )
        report(f"compare 1 with {args.revisions}, fresh", timings, queries)
        print(f"  ({len(response.content) // 1024} KiB of HTML)")
        timings, queries = measure_publish(story, args.runs)
        report("publish one more version", timings, queries)
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()
