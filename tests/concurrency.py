"""Real concurrent transactions for the PostgreSQL tests: one thread per worker, each with
its own database connection, every round started by all of them at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from django.db import connections


def at_once(workers: Iterable, rounds: int, work: Callable) -> None:
    """Run ``work(worker, round_number)`` for each round in one thread per worker, the
    workers of a round released together; raise the first error any of them met."""
    workers = list(workers)
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(worker):
        try:
            for round_number in range(rounds):
                barrier.wait(timeout=30)
                work(worker, round_number)
        except BaseException as error:  # raised below; the others must not hang
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker is still running"
    if errors:
        raise errors[0]
