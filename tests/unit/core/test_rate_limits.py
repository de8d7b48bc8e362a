"""The rate limiter's storage: counted as `limits` counts, with no thread started per request (the
limits on the running product, per role: tests/e2e/test_security_edge.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.access.rate_limits import RateLimits, _SweptInline
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings


def _auditor() -> KeyRecord:
    now = dt.datetime.now(dt.UTC)
    return KeyRecord(key_id="0123456789ab", role="auditor", key_hash="0" * 64, created_at=now)


def test_requests_apart_start_no_thread_and_the_limit_still_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = RateLimits(Settings(rate_limit_auditor="5/minute"))
    caller = _auditor()
    started: list[str] = []
    start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for _ in range(5):
        limits.check(caller)
        time.sleep(0.02)  # longer than the library's 10 ms timer: each check used to start one
    assert started == []
    with pytest.raises(ApiError) as refused:
        limits.check(caller)
    assert refused.value.status == 429
    assert refused.value.headers is not None
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60


def test_expired_counters_are_swept_by_a_later_request(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = _SweptInline()
    monkeypatch.setattr(_SweptInline, "SWEEP_EVERY_S", 0.0)
    storage.incr("old", 60)
    storage.expirations["old"] = 0.0  # as if its window ended long ago
    storage.incr("new", 60)
    assert "old" not in storage.storage
    assert storage.get("new") == 1
