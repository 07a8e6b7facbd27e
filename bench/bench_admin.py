"""Time the editors' pages of a long-running story: change form, History and publish.

    .venv/bin/python bench/bench_admin.py [--runs 20] [--versions 10 1000 10000] [--credits 30]

For each record length it builds, in a throwaway SQLite database, a story with the
given number of credits and published versions (version 1 through the publishing
service, the rest written in bulk with a valid hash chain and two audit rows of the story
per version, as edits and publishes leave them: ``tests.factories.long_record``), then
asks for each page as a logged-in editor through Django's test client and prints the
median and 99th-percentile time, the SQL query count and the size of the HTML.

The targets (issue "Editors' pages stay fast on long-running stories"): a constant number
of queries whatever the record's length, the change form and History within 1.5x between
10 and 10,000 versions, and History's p99 under 300 ms at 10,000 versions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchdb import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    ("change form", "admin:stories_story_change"),
    ("History", "admin:stories_story_history"),
    ("publish page", "admin:stories_story_publish"),
]


def build(versions: int, credits: int, editor):
    from stories.content.kinds import CreditRole
    from tests.factories import ContributorFactory, CreditFactory, StoryFactory, long_record

    paragraphs = [
        f"Paragraph {i}: the council heard from residents about the harbor wall, "
        f"its cost and the salt marsh north of the ferry landing."
        for i in range(40)
    ]
    story = StoryFactory(body="\n\n".join(paragraphs))
    roles = [CreditRole.BYLINE, CreditRole.CONTRIBUTED, CreditRole.PHOTOGRAPHY]
    for position in range(credits):
        CreditFactory(
            story=story,
            contributor=ContributorFactory(),
            role=roles[position % 3],
            position=position,
        )
    return long_record(story, editor, versions=versions)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(client, url: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up templates and per-process caches
    timings, queries = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries.add(len(captured))
    return timings, queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--versions", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--credits", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
        setup_django(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        editor = get_user_model().objects.create_superuser("bench-editor", "b@example.com", "x")
        client = Client()
        client.force_login(editor)
        print(f"{'page':<14} {'versions':>8} {'audit rows':>10} {'median ms':>10} {'p99 ms':>8} "
              f"{'queries':>8} {'HTML KiB':>9}")  # fmt: skip
        results = {}
        for versions in args.versions:
            started = time.perf_counter()
            story = build(versions, args.credits, editor)
            built = time.perf_counter() - started
            audit_rows = story.history.count()
            for label, name in PAGES:
                timings, queries, size = measure(client, reverse(name, args=[story.pk]), args.runs)
                median = statistics.median(timings)
                results[(label, versions)] = median
                counts = ",".join(str(count) for count in sorted(queries))
                print(
                    f"{label:<14} {versions:>8} {audit_rows:>10} {median:>10.1f} "
                    f"{percentile(timings, 0.99):>8.1f} {counts:>8} {size / 1024:>9.0f}"
                )
            print(f"  (built in {built:.1f} s)")
        shortest, longest = min(args.versions), max(args.versions)
        for label, _ in PAGES:
            ratio = results[(label, longest)] / results[(label, shortest)]
            print(f"{label}: {longest:,} versions take {ratio:.2f}x the time of {shortest:,}")


if __name__ == "__main__":
    main()
