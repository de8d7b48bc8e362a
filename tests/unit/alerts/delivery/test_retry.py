from __future__ import annotations

import datetime as dt
import email.utils
import random

import pytest

from services.alerts.delivery import AttemptFailed, Backoff
from services.alerts.delivery.retry import MAX_ERROR_CHARS, parse_retry_after, safe_error
from tests.support.alert_notifications import UPN

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("seed", range(20))
def test_backoff_grows_exponentially_between_half_and_all_of_the_step(seed: int) -> None:
    backoff = Backoff(max_attempts=10, base_s=1.0, max_s=60.0)
    rng = random.Random(seed)
    for attempt, step in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 32.0)):
        delay = backoff.delay(attempt, rng)
        assert step / 2 <= delay <= step


def test_backoff_never_exceeds_its_cap_even_after_many_attempts() -> None:
    backoff = Backoff(max_attempts=100, base_s=1.0, max_s=60.0)
    rng = random.Random(1)
    assert all(30.0 <= backoff.delay(attempt, rng) <= 60.0 for attempt in range(7, 100))


def test_backoff_jitter_spreads_senders() -> None:
    backoff = Backoff(max_attempts=5, base_s=10.0, max_s=600.0)
    delays = {round(backoff.delay(3, random.Random(seed)), 6) for seed in range(50)}
    assert len(delays) > 40


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    backoff = Backoff(max_attempts=5, base_s=0.01, max_s=30.0)
    rng = random.Random(0)
    assert backoff.delay(1, rng, retry_after_s=7) == 7
    assert backoff.delay(1, rng, retry_after_s=3600) == 30.0
    assert backoff.delay(1, rng, retry_after_s=0) <= 0.01


def test_parse_retry_after_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 0 ", NOW) == 0.0
    later = email.utils.format_datetime(NOW + dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, NOW) == 90.0
    earlier = email.utils.format_datetime(NOW - dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(earlier, NOW) == 0.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) is None


def test_errors_are_one_short_line_without_upns() -> None:
    text = safe_error(f"550 5.1.1 rejected\r\n body mentioned {UPN} " + "x" * 1000)
    assert UPN not in text
    assert "\n" not in text and "\r" not in text
    assert len(text) == MAX_ERROR_CHARS
    assert AttemptFailed(f"HTTP 500 for {UPN}", retryable=True).error == "HTTP 500 for [UPN withheld]"
