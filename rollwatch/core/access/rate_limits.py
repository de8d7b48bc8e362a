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


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
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
