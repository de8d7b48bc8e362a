"""Requests per API key, by the key's role (`ROLLWATCH_RATE_LIMIT_<ROLE>`, e.g.
"10/second;2000/hour"), counted over sliding windows (two counters a limit: constant time
however high the limit) in this process's memory by the `limits` library. Over any one: 429
`rate_limited` with `Retry-After`, the seconds until a request fits.

Each process counts its own requests: behind a load balancer with N replicas a key may make up to
N times the limit (docs/operations.md, "Security")."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import Counter

from rollwatch.core.access.keys import KeyRecord, Role
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings

# For the OpenAPI document of every router whose routes take a key.
RATE_LIMITED: dict[int | str, dict[str, object]] = {
    429: {"description": "Too many requests for this key (`rate_limited`); retry after `Retry-After` seconds"}
}
REFUSED = Counter(
    "rollwatch_rate_limited_total", "Requests refused for going over a key's rate limit", ["role"]
)


class _SweptInline(MemoryStorage):
    """`limits`' memory storage, its expired counters dropped by a request at most once a second
    rather than by a timer thread. The library starts a new thread 10 ms after a request whenever
    the last one has ended, which at API rates is a thread a request: measured, a check took 440 us
    of the event loop with requests 20 ms apart against 11 us back to back. (Counters are read
    with their expiry checked either way; the sweep only frees memory.)"""

    SWEEP_EVERY_S = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()
        self._swept = time.monotonic()

    # Overrides the library's private hook (name-mangled; `limits` is pinned in constraints.txt
    # and tests/unit/core/test_rate_limits.py checks no thread is started).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept >= self.SWEEP_EVERY_S:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(_SweptInline())
        self._limits: dict[Role, list[RateLimitItem]] = {
            "school": parse_many(settings.rate_limit_school),
            "la_officer": parse_many(settings.rate_limit_la_officer),
            "auditor": parse_many(settings.rate_limit_auditor),
        }

    def check(self, caller: KeyRecord) -> None:
        """Count one request of `caller`'s key, or raise the 429 when it would go over a limit
        (a refused request is not counted)."""
        limits = self._limits[caller.role]
        over = [item for item in limits if not self._limiter.test(item, caller.key_id)]
        if not over:
            for item in limits:
                self._limiter.hit(item, caller.key_id)
            return
        REFUSED.labels(caller.role).inc()
        reset = max(self._limiter.get_window_stats(item, caller.key_id).reset_time for item in over)
        wait = max(1, math.ceil(reset - time.time()))
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for this key ({'; '.join(str(item) for item in over)}); retry after {wait} s",
            {"Retry-After": str(wait)},
        )
