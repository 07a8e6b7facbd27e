"""Probe the site under each outage and print the table of docs/operations.md.

    .venv/bin/python bench/bench_outages.py --postgres postgres://postgres@127.0.0.1:5432/ \
        --redis redis://127.0.0.1:6379/12 [--app-dir PATH]

Serves the app (``--app-dir``, default this checkout) with gunicorn and the production
settings on a throwaway database, behind TCP proxies to the real PostgreSQL and Redis
(``tests/outage.py``), then for each outage (Redis down or hung, PostgreSQL down or hung)
times a reader page already in the cache, one that is not, the admin for an editor
logged in before the outage, and a login during it. Keys go under a prefix of their
own and are deleted afterwards; the database is dropped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import outage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="server to create a database on")
    parser.add_argument("--redis", metavar="URL", help="Redis server (keys under a prefix)")
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    args = parser.parse_args()
    if not (args.postgres and args.redis):
        print("needs --postgres URL and --redis URL (real servers); skipped")
        return

    with tempfile.TemporaryDirectory(prefix="newsroom-outages-") as directory:
        template = outage.PostgresTemplate(
            args.postgres.rstrip("/") + "/postgres",
            f"newsroom_outage_bench_{uuid.uuid4().hex[:6]}",
            Path(directory) / "static",
            app_dir=args.app_dir.resolve(),
        )
        template.create()
        try:
            rows = []
            for number, how in enumerate(outage.OUTAGES, start=1):
                server = outage.AppServer(template, args.redis, Path(directory) / f"{number}.log")
                server.start()
                try:
                    answers = outage.probe(server, how, fresh_story=number)
                finally:
                    server.stop()
                rows.append((how, [outage.describe(answers[name]) for name in outage.PROBES]))
        finally:
            template.drop()
    print("| outage | " + " | ".join(outage.PROBES) + " |")
    print("| --- " * (len(outage.PROBES) + 1) + "|")
    for how, cells in rows:
        print(f"| {how} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
