"""Which pupils have a clock due: the alert service's index of its clocks table, so each tick
reads only the due pupils' clocks rather than every pending clock in the table (which lives on
disk, and holds a clock for most recent exits).

The index keeps each pupil's earliest `fires_on` and a heap of them; a pupil whose clocks
change gets a new heap entry and its old one is skipped when it comes up. It is rebuilt from the
table after each recovery (the changelog's records reach the table without passing here)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from typing import Any


class DueIndex:
    def __init__(self) -> None:
        self._earliest: dict[str, str] = {}
        self._heap: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self._earliest)

    def set(self, upn: str, clocks: Iterable[dict[str, Any]]) -> None:
        """The pupil's pending clocks are now `clocks` (none: forget the pupil)."""
        first = min((str(c["fires_on"]) for c in clocks), default=None)
        if first is None:
            self._earliest.pop(upn, None)
        elif self._earliest.get(upn) != first:
            self._earliest[upn] = first
            heapq.heappush(self._heap, (first, upn))

    def rebuild(self, table: Iterable[tuple[str, list[dict[str, Any]] | None]]) -> None:
        self._earliest.clear()
        self._heap.clear()
        for upn, clocks in table:
            self.set(upn, clocks or [])

    def take_due(self, day: dt.date) -> list[str]:
        """The pupils with a clock due on or before `day`, taken out of the index: writing their
        remaining clocks back (`set`) puts them in again."""
        cutoff = day.isoformat()
        due: list[str] = []
        while self._heap and self._heap[0][0] <= cutoff:
            first, upn = heapq.heappop(self._heap)
            if self._earliest.get(upn) == first:
                del self._earliest[upn]
                due.append(upn)
        return due
