"""When to try a delivery again: exponential backoff with jitter, `Retry-After`, and the failure
a channel reports for one attempt."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass

from services.alerts.delivery.notification import scrub_upns

MAX_ERROR_CHARS = 300


def safe_error(text: str) -> str:
    """An attempt's error as it may be stored and logged: one line, short, nothing UPN-shaped."""
    text = " ".join(scrub_upns(text).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class AttemptFailed(Exception):
    """One delivery attempt failed. `retryable` says whether another attempt may succeed;
    `error` holds no personal data (channels put codes and server replies here, scrubbed)."""

    def __init__(
        self, error: str, *, retryable: bool, retry_after_s: float | None = None, code: int | None = None
    ) -> None:
        self.error = safe_error(error)
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.code = code
        super().__init__(self.error)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attempt n (1-based) failed: wait between half and all of min(max_s, base_s * 2**(n-1))
    ("equal jitter": always growing, never in lock-step with other senders). A `Retry-After` from
    the server raises the wait to at least what it asks, up to `max_s`."""

    max_attempts: int
    base_s: float
    max_s: float

    def delay(self, attempt: int, rng: random.Random, retry_after_s: float | None = None) -> float:
        ceiling = min(self.max_s, self.base_s * 2 ** min(attempt - 1, 62))
        wait = ceiling / 2 + rng.uniform(0, ceiling / 2)
        if retry_after_s is not None:
            wait = max(wait, retry_after_s)
        return min(wait, self.max_s)


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from an HTTP `Retry-After` (delta-seconds or an HTTP date); None when
    absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
