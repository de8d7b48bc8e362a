"""The ids this ingest process accepted lately, with a digest of their content: a retry with the
same content needs no second Kafka message, and the same id with other content is a conflict.
Bounded, so memory stays flat; older repeats are caught by the tracker's ledger guard."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Literal

Seen = Literal["new", "repeat", "conflict"]


def digest(canonical: bytes) -> bytes:
    return hashlib.blake2b(canonical, digest_size=16).digest()


class RecentIds:
    def __init__(self, capacity: int = 500_000) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, bytes] = OrderedDict()

    def check(self, event_id: str, content: bytes) -> Seen:
        known = self._ids.get(event_id)
        if known is None:
            return "new"
        return "repeat" if known == content else "conflict"

    def remember(self, event_id: str, content: bytes) -> None:
        self._ids[event_id] = content
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
