"""The garbage collector set for a long-running server, once it has started, and held back while
a batch consumer runs.

What a process builds to start (the schools register, the alert tables' caches, the routes, the
libraries' modules) lives as long as it does, yet every full collection walks it again: measured on
the 10M-row bench ledger, one full collection in the middle of a school's year of movements took
91 ms, more than the rest of the answer. `gc.freeze()` moves it out of the collector's reach.
Young collections also ran dozens of times for one answer of thousands of rows (700 allocations
apiece); they run less often. Objects freed by reference counting, nearly all of an answer's, are
unaffected either way.

A batch consumer (the tracker's) holds two batches of 10,000 events at once, each some ten
objects per event that live for the second the batch takes: every collection triggered meanwhile
walks them all again, and they push the older generations into full collections of everything
the process remembers (the tracker's 200,000 recent placements). Measured on the bench, the
tracker spent 15% of its time there, collecting nothing: reference counting frees a batch when it
is done. So while one runs, automatic collection is off and a full collection runs every
`COLLECT_EVERY_S` seconds instead, which bounds what cycles the process leaves (a few, from
exceptions and the Kafka client) to a minute's worth."""

from __future__ import annotations

import gc
import threading
import time

from prometheus_client import Histogram

# Young generation: collect after this many allocations net of frees (CPython's default is 700).
YOUNG_THRESHOLD = 10_000
# While a batch consumer runs: a full collection this often, and none in between.
COLLECT_EVERY_S = 60.0

SCHEDULED_SECONDS = Histogram(
    "rollwatch_gc_scheduled_collection_seconds",
    "Full garbage collections run on schedule while a batch consumer holds automatic ones back",
)


def settle_after_start() -> None:
    """Collect once, then keep what survived out of later collections' way."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


class _Hold:
    """Automatic collection off while at least one holder (a running batch consumer) wants it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    def acquire(self) -> None:
        with self._lock:
            self._holders += 1
            gc.disable()

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                gc.enable()


_hold = _Hold()
hold_collections = _hold.acquire
release_collections = _hold.release


def scheduled_collection() -> float:
    """One full collection; its duration in seconds (also recorded in the histogram)."""
    started = time.perf_counter()
    gc.collect()
    seconds = time.perf_counter() - started
    SCHEDULED_SECONDS.observe(seconds)
    return seconds
