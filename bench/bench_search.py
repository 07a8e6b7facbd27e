"""Time full-text search over a newsroom's worth of live stories.

    .venv/bin/python bench/bench_search.py [--stories 1000] [--paragraphs 12] [--runs 20] [--postgres URL]

Builds its own database: a SQLite file in a temporary directory by default, or with
``--postgres postgres://USER@HOST:5432/`` a throwaway PostgreSQL database created on that
server and dropped afterwards (the project's databases and any Redis are left alone).
Publishes ``--stories`` stories of ``--paragraphs`` paragraphs (about 40 words each)
through the publishing service, each with a few revisions, then prints the median and maximum time and the SQL query count of
``stories.reader.search.search()`` (ranking, pagination and highlighting; no page cache) for a
common word, a rare word, two words, a phrase and a word that matches nothing. The worst
query is the common word on long stories (every story matches and each page of hits
gets snippets): ``--paragraphs 80`` (about 3,000 words a story) measures it.

The target: on PostgreSQL with the GIN index, a search well under 50 ms at 1,000
stories with 3 queries whatever the number of matches; the SQLite fallback scans every
live revision and grows with the archive (fine on a laptop).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import approved, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "council",
    "harbor",
    "ferry",
    "budget",
    "school",
    "library",
    "flood",
    "tide",
    "bridge",
    "road",
    "mayor",
    "vote",
    "plan",
    "residents",
    "island",
    "marsh",
    "storm",
    "wall",
    "tax",
    "hospital",
    "clinic",
    "police",
    "fire",
    "station",
    "park",
    "market",
    "festival",
    "museum",
    "port",
    "fishing",
    "boat",
    "crew",
    "season",
    "winter",
    "summer",
    "rain",
    "wind",
    "contract",
    "hearing",
    "report",
    "board",
    "union",
    "teachers",
    "nurses",
    "students",
    "housing",
    "rent",
    "water",
]


def configure(database_url: str) -> None:
    setup_django(database_url)


def build(stories: int, paragraphs: int = 12) -> None:
    from django.contrib.auth import get_user_model

    from stories import audit, publishing
    from stories.content.kinds import RevisionKind
    from stories.models import Section, Story

    rng = random.Random(5)
    editor = get_user_model().objects.create_superuser("bench-editor", "bench@example.com", "x")
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

    def paragraph():
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))).capitalize() + "."

    with audit.acting_as(editor):
        sections = [Section.objects.create(name=f"Section {n}", slug=f"s{n}") for n in range(6)]
        for number in range(stories):
            headline = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
            if number % 100 == 0:
                headline += " lighthouse"  # the rare word: 1 story in 100
            story = Story.objects.create(
                headline=headline,
                slug=f"story-{number}",
                dek=paragraph()[:280],
                body="\n\n".join(paragraph() for _ in range(paragraphs)),
                section=sections[number % len(sections)],
            )
            at = start + timedelta(minutes=number)
            publishing.publish(approved(story), user=editor, at=at)
            for update in range(number % 3):
                story.body += "\n\n" + paragraph()
                story.save()
                publishing.publish(
                    approved(story),
                    user=editor,
                    kind=RevisionKind.UPDATE,
                    public_note=f"Update {update}.",
                    at=at + timedelta(seconds=update + 1),
                )


def measure(query: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stories.reader import search

    timings, queries = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            results = search.search(query)
            timings.append((time.perf_counter() - started) * 1000)
        queries.add(len(captured))
    return timings, queries, results.total


def run(database_url: str, args) -> None:
    configure(database_url)
    from django.db import connection, connections

    started = time.perf_counter()
    build(args.stories, args.paragraphs)
    print(
        f"{connection.vendor}: {args.stories} live stories of {args.paragraphs} paragraphs "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stories_revision")
    measure("harbor", 3)  # warm up
    for label, query in [
        ("common word", "harbor"),
        ("rare word", "lighthouse"),
        ("two words", "ferry budget"),
        ("phrase", '"council vote"'),
        ("no match", "zeppelin"),
    ]:
        timings, queries, total = measure(query, args.runs)
        counts = ",".join(str(count) for count in sorted(queries))
        print(
            f"{label:<12} {query!r:<16} {total:>5} hits   median "
            f"{statistics.median(timings):7.2f} ms   max {max(timings):7.2f} ms   queries {counts}"
        )
    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=12)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--postgres", metavar="URL", help="server to create a throwaway database on"
    )
    args = parser.parse_args()

    with throwaway_database(args.postgres) as database_url:
        run(database_url, args)


if __name__ == "__main__":
    main()
