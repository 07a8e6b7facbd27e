"""Time what the transparency log adds to one publish, at 10 and at 10,000 published
versions site-wide.

    .venv/bin/python bench/bench_log.py [--sizes 10 10000] [--runs 200] [--postgres URL]

Each size gets a throwaway database of its own (SQLite in a temporary directory, or with
``--postgres postgres://USER@HOST:5432/`` one created on that server and dropped
afterwards) and a process of its own. Each grows its site to its size, with real leaves
in the log for every version (built in bulk by ``tests.factories.long_record``, 1,000
versions a story, through the same ``transparency.append_many`` and Merkle code as a
publish). Then, at the same time (so that whatever else the machine is doing weighs on
both alike), each publishes ``--runs`` updates of one story through the publishing
service, each inside a transaction that is rolled back, so the log stays at exactly its
size, and times the whole publish and the log's part of it (``transparency.append``: the
lock, reading the tree's frontier, writing the leaf, the subtrees it completes and the
signed tree head), wall-clock and CPU, with its SQL queries. The commit is left out:
its cost does not depend on the log's size.

The target (issue "The public record holds"): the log's cost at 10,000 versions within
1.5x of its cost at 10.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from benchdb import approved, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Versions per story when growing the site (a long-running story each).
CHUNK = 1000


class RollBack(Exception):
    """Ends a measured publish's transaction without committing it."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def grow_to(size: int, editor) -> None:
    """Add stories with long records until the log holds ``size`` leaves."""
    from stories.models import LogLeaf
    from tests.factories import StoryFactory, long_record

    while (missing := size - LogLeaf.objects.count()) > 0:
        long_record(StoryFactory(), editor, versions=min(CHUNK, missing))


def timed_publishes(story, editor, runs: int) -> list[tuple[float, float, float, int]]:
    """(publish ms, log ms, log CPU ms, log queries) of ``runs`` rolled-back publishes."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from stories import publishing
    from stories.content.kinds import RevisionKind
    from stories.models import Story
    from stories.record import transparency

    original = transparency.append
    log: list[tuple[float, float, int]] = []

    def append(revision):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            leaf = original(revision)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        log.append((wall * 1000, cpu * 1000, len(captured)))
        return leaf

    transparency.append = append  # publishing calls it as transparency.append
    samples = []
    try:
        for run in range(runs + 1):
            try:
                with transaction.atomic():
                    approved(story)  # a second editor's approval: not the publish's time
                    started = time.perf_counter()
                    publishing.publish(
                        Story.objects.get(pk=story.pk),
                        user=editor,
                        kind=RevisionKind.UPDATE,
                        public_note=f"Update {run}.",
                    )
                    published = (time.perf_counter() - started) * 1000
                    raise RollBack
            except RollBack:
                samples.append((published, *log[-1]))
    finally:
        transparency.append = original
    return samples[1:]  # the first warms per-process caches (the key, query plans)


def measure_at(size: int, database_url: str, runs: int, barrier, results) -> None:
    """One process: a site of ``size`` versions, then the timed publishes."""
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from stories import publishing
    from stories.models import LogLeaf, LogNode
    from tests.factories import StoryFactory

    editor = get_user_model().objects.create_superuser("bench-editor", "b@example.com", "x")
    story = StoryFactory(slug="measured-story")
    publishing.publish(approved(story), user=editor)
    started = time.perf_counter()
    grow_to(size, editor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    built = time.perf_counter() - started
    barrier.wait()
    samples = timed_publishes(story, editor, runs)
    results.put(
        (size, LogLeaf.objects.count(), LogNode.objects.count(), built, connection.vendor, samples)
    )


def report(rows, runs: int) -> None:
    print(f"database: {rows[0][4]}; {runs} rolled-back publishes at each size, at the same time")
    print(
        f"{'leaves':>7} {'nodes':>7} {'publish ms':>11} {'p90':>6} {'log ms':>7} {'p90':>6} "
        f"{'log CPU ms':>10} {'queries':>8}"
    )
    medians = {}
    for size, leaves, nodes, built, _, samples in rows:
        publish, wall, cpu = ([sample[i] for sample in samples] for i in range(3))
        queries = ",".join(str(count) for count in sorted({sample[3] for sample in samples}))
        medians[size] = (statistics.median(wall), statistics.median(cpu))
        print(
            f"{leaves:>7} {nodes:>7} {statistics.median(publish):>11.2f} "
            f"{percentile(publish, 0.9):>6.2f} {statistics.median(wall):>7.2f} "
            f"{percentile(wall, 0.9):>6.2f} {statistics.median(cpu):>10.2f} {queries:>8}"
            f"   (grown in {built:.1f} s)"
        )
    smallest, largest = min(medians), max(medians)
    wall = medians[largest][0] / medians[smallest][0]
    cpu = medians[largest][1] / medians[smallest][1]
    verdict = "within" if wall <= 1.5 else "NOT within"
    print(
        f"the log's part of a publish at {largest:,} versions: {wall:.2f}x its time at "
        f"{smallest:,} ({cpu:.2f}x the CPU time), {verdict} the 1.5x target"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 10000])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL", help="server to create throwaway databases on")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")  # a fresh Django in each process
    barrier, results = context.Barrier(len(args.sizes)), context.Queue()
    with ExitStack() as stack:
        urls = [stack.enter_context(throwaway_database(args.postgres)) for _ in args.sizes]
        workers = [
            context.Process(target=measure_at, args=(size, url, args.runs, barrier, results))
            for size, url in zip(args.sizes, urls, strict=True)
        ]
        for worker in workers:
            worker.start()
        rows = sorted(results.get(timeout=1800) for _ in workers)
        for worker in workers:
            worker.join()
    report(rows, args.runs)


if __name__ == "__main__":
    main()
