"""Cursor pagination by a key that only grows (keyset pagination).

A page is "the next ``limit`` rows after key K" in the list's order, and the cursor
names K (``n1234``: newest first, after key 1234), not a position. Rows published while a client walks the list do not shift the
pages it has yet to read, so it neither sees a row twice nor skips one (offsets would
do both). Newest first (the default), what is published during the walk lies before the
cursor and is for the next walk; oldest first, it lies ahead and is reached in this one,
which is why a partner keeping a copy in step walks oldest first.

django-ninja's own ``CursorPagination`` positions by one attribute's value plus an
offset among equal values; the keys here are unique and already ordered (a story's
place in the transparency log, a version's number), so a cursor is that key alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Order = Literal["newest", "oldest"]
#: A cursor: ``n`` (newest first) or ``o`` (oldest first), then the last key given. Any
#: string of this shape is a valid place to start from, so the schema says exactly this.
PATTERN = r"^[no][0-9]{1,18}$"
_CURSOR = re.compile(PATTERN)


class BadCursor(ValueError):
    """A cursor this API did not give (answered 400, naming the parameter)."""


@dataclass(frozen=True)
class Cursor:
    order: Order = "newest"
    #: The key of the last row already given (``None``: start at the beginning).
    position: int | None = None

    @classmethod
    def decode(cls, raw: str | None, order: Order = "newest") -> Cursor:
        """The cursor ``raw`` (``None`` or empty: the first page in ``order``). A cursor
        carries its own order: a walk keeps the order it started with."""
        if not raw:
            return cls(order=order)
        if not _CURSOR.match(raw):
            raise BadCursor("A cursor is a page's next_cursor, e.g. n1234.")
        return cls(order="newest" if raw[0] == "n" else "oldest", position=int(raw[1:]))

    def encode(self) -> str:
        return f"{self.order[0]}{self.position}"

    def page(self, rows, key: str, limit: int, *, largest: int = 2**63 - 1):
        """The rows after this cursor, in its order: ``limit + 1`` of them at most (one
        more than a page, to know whether another page follows). ``largest`` is the
        largest value the key's column holds: the database is never asked to compare
        with a number it cannot hold (every row is before such a position)."""
        position = self.position
        beyond = position is not None and position > largest
        if self.order == "newest":
            if position is not None and not beyond:
                rows = rows.filter(**{f"{key}__lt": position})
            rows = rows.order_by(f"-{key}")
        else:
            if beyond:
                return []
            if position is not None:
                rows = rows.filter(**{f"{key}__gt": position})
            rows = rows.order_by(key)
        return list(rows[: limit + 1])

    def following(self, rows: list, key: str, limit: int) -> Cursor | None:
        """The cursor of the page after ``rows`` (from ``page``), or ``None`` at the end."""
        if len(rows) <= limit:
            return None
        return Cursor(order=self.order, position=rows[limit - 1][key])
