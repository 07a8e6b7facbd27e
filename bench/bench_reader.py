"""Time the reader's story, history and compare pages on a story with a long record.

    .venv/bin/python bench/bench_reader.py [--runs 30] [--credits 30] [--revisions 300]

Builds its own SQLite database in a temporary directory (migrated from scratch; the
project's db.sqlite3 and any Redis are left alone) and publishes one story with the given
number of credits and revisions through the publishing service. Then, through Django's
test client, it prints the median and maximum time and the SQL query count of:

- the story page rendered afresh (cache cleared before each run),
- the story page from the reader cache, and answered with 304 to a conditional GET,
- the first page of the history, afresh and cached,
- the comparison of the first and last versions, afresh;
- a story with a lead image (its picture stored, renditions made, in a temporary media
  folder), afresh, cached and 304: a picture must not slow the cached path.

The targets: a fresh story page well under 50 ms with a constant handful of queries, a
cached one a few milliseconds with one query.
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


def build_pictured_story(credits: int):
    """A story with a lead image and a photographer, published once."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from PIL import Image

    from stories import editing, pictures, publishing
    from stories.kinds import CreditRole
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
    publishing.publish(story, user=editor)
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


def report(label: str, timings: list[float], queries: set[int]) -> None:
    counts = ",".join(str(count) for count in sorted(queries))
    print(
        f"{label:<34} median {statistics.median(timings):7.2f} ms   "
        f"max {max(timings):7.2f} ms   queries {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--credits", type=int, default=30)
    parser.add_argument("--revisions", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
        os.environ["NEWSROOM_MEDIA_ROOT"] = str(Path(directory) / "media")
        configure(directory)
        from django.test import Client
        from django.urls import reverse

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
        timings, queries, _ = measure(client, compare_url, max(3, args.runs // 3), clear_cache=True)
        report(f"compare 1 with {args.revisions}, fresh", timings, queries)

        pictured = build_pictured_story(args.credits).get_absolute_url()
        measure(client, pictured, 3, clear_cache=True)
        timings, queries, response = measure(client, pictured, args.runs, clear_cache=True)
        report("story with image, fresh", timings, queries)
        timings, queries, response = measure(client, pictured, args.runs, clear_cache=False)
        report("story with image, cached", timings, queries)
        timings, queries, _ = measure(
            client, pictured, args.runs, clear_cache=False,
            headers={"if-none-match": response["ETag"]}, status=304,
        )  # fmt: skip
        report("story with image, 304 Not Modified", timings, queries)
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()
