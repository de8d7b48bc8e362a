"""The garbage collector set for a long-running server, once it has started.

What a process builds to start (the schools register, the alert tables' caches, the routes, the
libraries' modules) lives as long as it does, yet every full collection walks it again: measured on
the 10M-row bench ledger, one full collection in the middle of a school's year of movements took
91 ms, more than the rest of the answer. `gc.freeze()` moves it out of the collector's reach.
Young collections also ran dozens of times for one answer of thousands of rows (700 allocations
apiece); they run less often. Objects freed by reference counting, nearly all of an answer's, are
unaffected either way."""

from __future__ import annotations

import gc

# Young generation: collect after this many allocations net of frees (CPython's default is 700).
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Collect once, then keep what survived out of later collections' way."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
