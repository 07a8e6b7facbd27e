"""Time the reader's story, history and compare pages, and a publish, on stories with
long records, side by side.

    .venv/bin/python bench/bench_reader.py [--runs 30] [--credits 30] [--revisions 10 10000]

Builds its own SQLite database in a temporary directory (migrated from scratch; the
project's db.sqlite3 and any Redis are left alone) and publishes one story per size
given to ``--revisions``, with the given number of credits, version by version through
the publishing service (every fourth version a correction, every fourth a minor edit,
the others updates). Then, through Django's test client, taking turns between the
stories run by run (so that whatever else the machine is doing weighs on each alike),
it prints the median and 99th percentile time and the SQL query count of:

- the story page rendered afresh (cache cleared before each run), and its size,
- the story page from the reader cache, and answered with 304 to a conditional GET,
- the first and the last page of the history, afresh, and the first cached,
- the comparison of the first and last versions, afresh, and its size,
- one more publish of the story (an update through the publishing service, with its
  transparency-log leaf), each in a transaction rolled back so the story keeps its size,
- then, in a table of its own, a story with a lead image (its picture stored, renditions
  made, in a temporary media folder): afresh, cached and 304, since a picture must not
  slow the cached path,

and, with two sizes or more, each median's ratio to the smallest story's. The targets:
a fresh story page well under 50 ms with a constant handful of queries, a cached one
with none; at 10,000 versions the story page and the comparison within 1.5x of a
10-version story in time and bytes, the history page's p99 under 100 ms, and a publish
within 1.5x of its time at 10 versions.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import approved, setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(directory: str) -> None:
    """Point Django at a throwaway database and the local-memory cache, then set up."""
    setup_django(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")


def build_story(credits: int, revisions: int):
    from django.contrib.auth import get_user_model

    from stories import audit, publishing
    from stories.content.kinds import CreditRole, RevisionKind
    from stories.models import Contributor, Credit, Section, Story

    editor = get_user_model().objects.filter(username="bench-editor").first()
    editor = editor or get_user_model().objects.create_superuser(
        "bench-editor", "bench@example.com", "x"
    )
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
        section, _ = Section.objects.get_or_create(slug="local", defaults={"name": "Local"})
        story = Story.objects.create(
            headline="Council weighs harbor wall after king tide",
            slug=f"council-weighs-harbor-wall-{revisions}",
            dek="Residents packed the chamber for a four-hour hearing.",
            body="\n\n".join(paragraphs),
            section=section,
            dateline="PORT HAVEN",
        )
        for position in range(credits):
            contributor, _ = Contributor.objects.get_or_create(
                slug=f"reporter-{position}",
                defaults={
                    "name": f"Reporter {position}",
                    "affiliation": f"the Outlet {position % 5}",
                },
            )
            Credit.objects.create(
                story=story, contributor=contributor, role=roles[position % 4], position=position
            )
        publishing.publish(approved(story), user=editor, at=start)
        for number in range(2, revisions + 1):
            story.body = "\n\n".join(
                paragraphs[: number % 40]
                + [f"Revision {number} adds a line."]
                + paragraphs[number % 40 :]
            )
            story.save()
            kind = kinds[number % 4]
            publishing.publish(
                approved(story),
                user=editor,
                kind=kind,
                public_note="" if kind == RevisionKind.MINOR else f"Note for version {number}.",
                internal_reason="Style." if kind == RevisionKind.MINOR else "",
                at=start + timedelta(minutes=number),
            )
    return story


def build_pictured_story(credits: int):
    """A story with a lead image and a photographer, published once."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from PIL import Image

    from stories import editing, publishing
    from stories.content.kinds import CreditRole
    from stories.media import pictures
    from stories.models import Contributor, Section, Story

    editor = get_user_model().objects.get(username="bench-editor")
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (40, 90, 140)).save(buffer, "JPEG", quality=85)
    story = Story(
        headline="King tide swamps the harbor road",
        slug="king-tide-swamps-harbor-road",
        dek="Water stood a foot deep on the road at dawn.",
        body="\n\n".join(f"Paragraph {i} about the tide." for i in range(40)),
        section=Section.objects.get(slug="local"),
        dateline="PORT HAVEN",
        picture=pictures.store_picture(ContentFile(buffer.getvalue(), name="tide.jpg")),
        image_alt="Water over the harbor road.",
        image_caption="The harbor road at dawn.",
    )
    photographer = Contributor.objects.create(
        name="Ana Ruiz", slug="ana-ruiz", affiliation="the Coastal Ledger"
    )
    lines = [
        editing.CreditLine(contributor=contributor, role=CreditRole.BYLINE, position=position)
        for position, contributor in enumerate(Contributor.objects.order_by("pk")[:credits])
    ]
    lines.append(editing.CreditLine(photographer, CreditRole.PHOTOGRAPHY, position=credits))
    editing.save_story(story, user=editor, credits=lines)
    publishing.publish(approved(story), user=editor)
    return story


class Result:
    """The timings, query counts and answer sizes of one measurement of one story."""

    def __init__(self):
        self.timings: list[float] = []
        self.queries: set[int] = set()
        self.size = 0

    def median(self) -> float:
        return statistics.median(self.timings)

    def p99(self) -> float:
        ordered = sorted(self.timings)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def get_page(client, url: str, *, clear_cache: bool, headers=None, status=200):
    """One timed request: (milliseconds, queries, bytes)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if clear_cache:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != status:
        raise SystemExit(f"{url} answered {response.status_code}, expected {status}")
    return elapsed, len(captured), len(response.content)


def publish_once(story, run: int):
    """One more version of ``story`` published, timed, and rolled back (the story keeps
    its size; the commit and the cache invalidation after it do not depend on it)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from stories import publishing
    from stories.content.kinds import RevisionKind
    from stories.models import Story

    editor = get_user_model().objects.get(username="bench-editor")
    with transaction.atomic():
        working = Story.objects.get(pk=story.pk)
        working.body += f"\n\nA late paragraph, take {run}."
        working.save()
        approved(working)  # a second editor's approval: not the publish's time
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            publishing.publish(
                working, user=editor, kind=RevisionKind.UPDATE, public_note="Late news."
            )
            elapsed = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    return elapsed, len(captured), 0


def measurements(stories, client, runs: int):
    """(label, runs, how to take one run of a story) of each measurement, in order."""
    from django.urls import reverse

    from stories.reader.pages import HISTORY_PER_PAGE

    def page(url_of, *, clear_cache: bool):
        def take(story, run):
            if run == 0 and not clear_cache:
                client.get(url_of(story))  # cache it first: the runs measure hits
            return get_page(client, url_of(story), clear_cache=clear_cache)

        return take

    def history(story, page_number=1):
        url = reverse("reader:history", args=[story.slug])
        return f"{url}?page={page_number}" if page_number > 1 else url

    def last_history_page(story):
        return history(story, (story.versions - 1) // HISTORY_PER_PAGE + 1)

    def compare(story):
        return reverse("reader:compare", args=[story.slug, 1, story.versions])

    def etag(story):
        return client.get(story.get_absolute_url())["ETag"]

    etags = {}

    def not_modified(story, run):
        etags.setdefault(story.pk, etag(story))
        return get_page(
            client,
            story.get_absolute_url(),
            clear_cache=False,
            headers={"if-none-match": etags[story.pk]},
            status=304,
        )

    def url(story):
        return story.get_absolute_url()

    return [
        ("story page, fresh", runs, page(url, clear_cache=True)),
        ("story page, cached", runs, page(url, clear_cache=False)),
        ("story page, 304 Not Modified", runs, not_modified),
        ("history page 1, fresh", runs, page(history, clear_cache=True)),
        ("history page 1, cached", runs, page(history, clear_cache=False)),
        ("history last page, fresh", runs, page(last_history_page, clear_cache=True)),
        ("compare first with last, fresh", max(3, runs // 3), page(compare, clear_cache=True)),
        ("publish one more version", runs, publish_once),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--credits", type=int, default=30)
    parser.add_argument("--revisions", type=int, nargs="+", default=[300])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
        os.environ["NEWSROOM_MEDIA_ROOT"] = str(Path(directory) / "media")
        configure(directory)
        from django.test import Client

        stories = []
        for revisions in args.revisions:
            build_started = time.perf_counter()
            story = build_story(args.credits, revisions)
            story.versions = revisions
            stories.append(story)
            print(
                f"story: {story.credits.count()} credits, {story.revisions.count()} versions "
                f"(built in {time.perf_counter() - build_started:.1f} s)"
            )
        client = Client()
        for story in stories:  # warm up imports and templates
            for _ in range(3):
                get_page(client, story.get_absolute_url(), clear_cache=True)

        header = "".join(f" | {story.versions} versions" for story in stories)
        print(f"\n| measurement{header} |")
        print("| --- " * (len(stories) + 1) + "|")
        for label, runs, take in measurements(stories, client, args.runs):
            results = [Result() for _ in stories]
            for run in range(runs):
                for story, result in zip(stories, results, strict=True):
                    elapsed, queries, size = take(story, run)
                    result.timings.append(elapsed)
                    result.queries.add(queries)
                    result.size = size
            cells = [describe(result, results[0]) for result in results]
            print(f"| {label} | " + " | ".join(cells) + " |")

        pictured = build_pictured_story(args.credits)
        pictured.versions = 1
        print("\n| measurement | a story with a lead image |")
        print("| --- | --- |")
        for label, runs, take in measurements([pictured], client, args.runs)[:3]:
            result = Result()
            for run in range(runs):
                elapsed, queries, size = take(pictured, run)
                result.timings.append(elapsed)
                result.queries.add(queries)
                result.size = size
            print(f"| {label} | {describe(result, result)} |")
        from django.db import connections

        connections.close_all()


def describe(result: Result, smallest: Result) -> str:
    """A table cell: median and p99, queries, size; the ratios to the smallest story's."""
    queries = ",".join(str(count) for count in sorted(result.queries))
    cell = f"{result.median():.2f} ms (p99 {result.p99():.2f}), {queries} queries"
    if result.size:
        cell += f", {result.size / 1024:.1f} KiB"
    if result is not smallest:
        cell += f"; {result.median() / smallest.median():.2f}x"
        if result.size and smallest.size:
            cell += f", {result.size / smallest.size:.2f}x bytes"
    return cell


if __name__ == "__main__":
    main()
