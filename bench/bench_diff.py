"""Time stories.content.diffing.compare_snapshots on a long story.

    .venv/bin/python bench/bench_diff.py [--runs 20] [--seed 2024]

Builds two ~5,000-word versions of a story (~60 paragraphs; ~3% of words changed, one
paragraph moved, one inserted) deterministically, then prints the median and maximum
time of compare_snapshots over the runs and its peak memory (tracemalloc). The target
is well under 100 ms. The module is pure, so no django.setup() is needed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

from stories.content.diffing import compare_snapshots, split_paragraphs  # noqa: E402

PARAGRAPHS = 60
WORDS = 5000
CHANGE_RATE = 0.03


def make_vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [26 - i for i in range(len(letters))]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 10))) for _ in range(size)]


def make_paragraph(rng: random.Random, vocabulary: list[str], words: int) -> list[str]:
    tokens = []
    sentence_start = True
    for index in range(words):
        word = rng.choice(vocabulary)
        if sentence_start:
            word = word.capitalize()
            sentence_start = False
        if index == words - 1 or rng.random() < 0.07:
            word += "."
            sentence_start = True
        elif rng.random() < 0.06:
            word += ","
        tokens.append(word)
    return tokens


def make_versions(seed: int) -> tuple[dict, dict]:
    rng = random.Random(seed)
    vocabulary = make_vocabulary(rng)
    per_paragraph = WORDS // PARAGRAPHS
    old = [
        make_paragraph(rng, vocabulary, rng.randint(per_paragraph - 30, per_paragraph + 30))
        for _ in range(PARAGRAPHS)
    ]

    new = [list(words) for words in old]
    for words in new:  # ~3% of words replaced, deleted or followed by a new word
        for index in range(len(words) - 1, -1, -1):
            if rng.random() < CHANGE_RATE:
                action = rng.choice(("replace", "delete", "insert"))
                if action == "replace":
                    words[index] = rng.choice(vocabulary)
                elif action == "delete" and len(words) > 1:
                    del words[index]
                else:
                    words.insert(index + 1, rng.choice(vocabulary))
    moved = new.pop(5)  # one paragraph moved further down
    new.insert(40, moved)
    new.insert(25, make_paragraph(rng, vocabulary, per_paragraph))  # one new paragraph

    def snapshot(paragraphs: list[list[str]], headline: str) -> dict:
        return {
            "headline": headline,
            "dek": "Officials expect the coastal highway to reopen by Friday.",
            "byline": "By Maria Ortiz",
            "tagline": "Dev Patel of the Coastal Ledger contributed to this report.",
            "dateline": "PORT ELLIS",
            "section": "Local",
            "body": "\n\n".join(" ".join(words) for words in paragraphs),
        }

    return (
        snapshot(old, "Storm closes coastal highway"),
        snapshot(new, "Storm closes coastal highway for a week"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    old, new = make_versions(args.seed)
    compare_snapshots(old, new)  # warm up (regex compilation, imports)

    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        diffs = compare_snapshots(old, new)
        timings.append((time.perf_counter() - start) * 1000)

    tracemalloc.start()
    compare_snapshots(old, new)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    blocks = diffs[-1].blocks
    kinds = {
        kind: sum(1 for b in blocks if b.kind == kind) for kind in sorted({b.kind for b in blocks})
    }
    print(f"old: {len(old['body'].split())} words, {len(split_paragraphs(old['body']))} paragraphs")
    print(f"new: {len(new['body'].split())} words, {len(split_paragraphs(new['body']))} paragraphs")
    print(f"changed fields: {', '.join(d.label for d in diffs if d.changed)}")
    print(f"body blocks: {', '.join(f'{k}={n}' for k, n in kinds.items())}")
    print(f"runs: {args.runs}")
    print(f"median: {statistics.median(timings):.1f} ms")
    print(f"max: {max(timings):.1f} ms")
    print(f"peak memory: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
