"""Each pupil's rows form a hash chain; these are its rules, shared by the writer and the verifier
(the verifier recomputes the same formula in SQL: keep the two in step)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

GENESIS = "0" * 64


def chain_hash(prev_hash: str, canonical_event: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_event).hexdigest()


class HeadCache:
    """The latest (chain_seq, hash) of recently seen pupils, bounded so memory stays flat however
    many pupils the ledger holds; a miss is read back from the ledger."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._capacity = capacity
        self._heads: OrderedDict[str, tuple[int, str]] = OrderedDict()

    def get(self, upn: str) -> tuple[int, str] | None:
        head = self._heads.get(upn)
        if head is not None:
            self._heads.move_to_end(upn)
        return head

    def put(self, upn: str, head: tuple[int, str]) -> None:
        self._heads[upn] = head
        self._heads.move_to_end(upn)
        while len(self._heads) > self._capacity:
            self._heads.popitem(last=False)

    def clear(self) -> None:
        self._heads.clear()
