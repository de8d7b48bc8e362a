"""Each pupil's rows form a hash chain; these are its rules, shared by the writer and the verifier
(the verifier recomputes the same formula in SQL: keep the two in step).

Version 1 (rows written before migration 0007): SHA-256 of `prev_hash '\n' event`.
Version 2: the same followed by `'\n' stamp`, where the stamp is what the tracker adds to the event
and readers show or sort by: `ingested_at|kafka_partition|kafka_offset`, with `ingested_at` as
ClickHouse prints a `DateTime64(3, 'UTC')`. The typed columns taken from the event itself (event id,
type, UPN, school, dates) are checked against the hashed event by the verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from services.tracker.lru import Lru

GENESIS = "0" * 64
CHAIN_VERSION = 2


def to_millisecond(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC as the ledger stores it (`DateTime64(3)`), so the hash sees what is stored."""
    utc = moment.astimezone(dt.UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def row_stamps(ingested_at: dt.datetime) -> Callable[[int, int], bytes]:
    """The stamp of each row of a batch ingested at one moment, by (partition, offset): the time
    is formatted once for the batch."""
    utc = to_millisecond(ingested_at)
    at = f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d}|"
    return lambda partition, offset: f"{at}{partition}|{offset}".encode()


def chain_hash(prev_hash: str, canonical_event: bytes, stamp: bytes | None = None) -> str:
    """Version 2 with a `stamp` (see `row_stamps`), version 1 without."""
    content = prev_hash.encode() + b"\n" + canonical_event
    if stamp is not None:
        content += b"\n" + stamp
    return hashlib.sha256(content).hexdigest()


class HeadCache(Lru[str, tuple[int, str]]):
    """The latest (chain_seq, hash) of recently seen pupils."""

    def __init__(self, capacity: int = 200_000) -> None:
        super().__init__(capacity)
