"""Time the desk's pages: the review queue, a change form with its comments, and the
change form's heartbeat and autosave endpoints.

    .venv/bin/python bench/bench_desk.py [--runs 20] [--stories 300 1000] [--comments 100]

For each size it builds, in a throwaway SQLite database, that many stories in review
(stories and reviews written in bulk, with a spread of priorities, due times, reviewers
and section desks: submitting a thousand stories one by one through the service would be
the slow part), then asks for the queue ("everything in review", a page of 100 rows, and
"waiting for me") as a logged-in editor through Django's test client, and prints the
median and 99th-percentile time, the SQL query count and the size of the HTML. Then one
story with ``--comments`` comments (through the comments service) for the change form,
and the heartbeat and autosave endpoints.

The targets (issue "The desk"): a constant number of queries whatever the queue's length
or the number of comments (the tests pin them: tests/test_admin_queries.py), and the queue
at 1,000 stories in review within 1.5x of a smaller queue that also fills a page of 100
rows, so that the time does not grow with what waits beyond it. The smaller size is 300,
not 100: one story in three is assigned to this editor by name, and "waiting for me"
lists those only (reviews for a section desk have a tab of their own), so at 100 it
showed 34 rows and at 200 some 67, and compared part of a page with a full one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchdb import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_queue(count: int, reporter, editor, sections) -> None:
    """``count`` stories in review, in bulk."""
    from django.utils import timezone

    from stories.models import Review, Story

    now = timezone.now()
    start = Story.objects.count()
    stories = Story.objects.bulk_create(
        Story(
            headline=f"Story {start + n} waiting for the desk",
            slug=f"desk-story-{start + n}",
            body="The council met on Tuesday.\n\nResidents spoke for three hours.",
            section=sections[n % len(sections)],
            created_by=reporter,
            modified_by=reporter,
        )
        for n in range(count)
    )
    Review.objects.bulk_create(
        Review(
            story=story,
            submitted_by=reporter,
            submitted_edit=1,
            message="Please read.",
            reviewer=editor if n % 3 == 0 else None,
            reviewer_section=None if n % 3 == 0 else sections[n % len(sections)],
            priority=("urgent", "high", "normal", "normal")[n % 4],
            due_at=now + timedelta(hours=(n % 48) - 6) if n % 2 else None,
        )
        for n, story in enumerate(stories)
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(client, url: str, runs: int, *, data=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def ask():
        if data is None:
            return client.get(url)
        return client.post(url, json.dumps(data), content_type="application/json")

    ask()  # warm up templates and per-process caches
    timings, queries = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = ask()
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries.add(len(captured))
    return timings, queries, len(response.content)


def report(label: str, size: int, timings, queries, length) -> float:
    median = statistics.median(timings)
    counts = ",".join(str(count) for count in sorted(queries))
    print(
        f"{label:<22} {size:>7} {median:>10.1f} {percentile(timings, 0.99):>8.1f} "
        f"{counts:>8} {length / 1024:>9.0f}"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--stories", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--comments", type=int, default=100)
    args = parser.parse_args()

    # The comments notify people: their emails are sent nowhere while timing.
    os.environ["EMAIL_URL"] = "dummymail://"
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
        setup_django(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
        from django.test import Client
        from django.urls import reverse

        from stories import reviewing
        from stories.desk import comments
        from stories.models import SectionEditor
        from tests.factories import (
            EDITOR_PERMISSIONS,
            REPORTER_PERMISSIONS,
            SectionFactory,
            StoryFactory,
            UserFactory,
        )

        editor = UserFactory(username="bench-editor", permissions=EDITOR_PERMISSIONS)
        reporter = UserFactory(username="bench-reporter", permissions=REPORTER_PERMISSIONS)
        sections = [SectionFactory() for _ in range(5)]
        for section in sections[:2]:
            SectionEditor.objects.create(section=section, user=editor)
        client = Client()
        client.force_login(editor)
        queue = reverse("admin:stories_review_changelist")

        print(
            f"{'page':<22} {'size':>7} {'median ms':>10} {'p99 ms':>8} {'queries':>8} {'HTML KiB':>9}"
        )
        results = {}
        built = 0
        for size in sorted(args.stories):
            build_queue(size - built, reporter, editor, sections)
            built = size
            for label, url in (
                ("queue: everything", f"{queue}?tab=all"),
                ("queue: for me", f"{queue}?tab=mine"),
            ):
                results[(label, size)] = report(label, size, *measure(client, url, args.runs))

        story = StoryFactory(body="The council met on Tuesday.\n\nResidents spoke for three hours.")
        reviewing.submit(story, user=reporter, message="Please read.")
        for number in range(args.comments):
            comments.add_comment(
                story,
                user=editor if number % 2 else reporter,
                body=f"Comment {number}: is this right?",
                field="body" if number % 3 == 0 else "",
                quote="on Tuesday" if number % 3 == 0 else "",
            )
        change = reverse("admin:stories_story_change", args=[story.pk])
        report("change form", args.comments, *measure(client, change, args.runs))
        beat = reverse("admin:stories_story_desk_presence", args=[story.pk])
        report("heartbeat", 1, *measure(client, beat, args.runs, data={}))
        save = reverse("admin:stories_story_desk_autosave", args=[story.pk])
        body = {"fields": {"body": "Unsaved words. " * 400}, "based_on_edit": story.edit_number}
        report("autosave", 1, *measure(client, save, args.runs, data=body))

        smallest, largest = min(args.stories), max(args.stories)
        for label in ("queue: everything", "queue: for me"):
            ratio = results[(label, largest)] / results[(label, smallest)]
            print(
                f"{label}: {largest:,} stories in review take {ratio:.2f}x the time of {smallest:,}"
            )


if __name__ == "__main__":
    main()
