"""When the process holding the embedded ledger next compacts it: the first `ROLLWATCH_COMPACT_AT`
on London's clock after now, in GMT and in BST, on the days the clocks change, and never when
set to "off"."""

from __future__ import annotations

import datetime as dt

import pytest

from rollwatch.core.settings import Settings
from services.tracker.compaction_schedule import next_run

AT = dt.time(2, 30)


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2026-12-03T01:00", "2026-12-03T02:30"),  # GMT: London's clock is UTC
        ("2026-12-03T02:30", "2026-12-04T02:30"),  # at the hour itself: the next night
        ("2026-12-03T16:00", "2026-12-04T02:30"),
        ("2026-07-01T00:00", "2026-07-01T01:30"),  # BST: 02:30 London is 01:30 UTC
        ("2026-07-01T01:31", "2026-07-02T01:30"),
        ("2027-03-28T00:30", "2027-03-28T01:30"),  # clocks forward at 01:00 UTC: 02:30 is BST
        ("2026-10-25T00:30", "2026-10-25T02:30"),  # clocks back at 01:00 UTC: 02:30 is GMT
        ("2026-10-24T23:00", "2026-10-25T02:30"),  # 00:00 BST, the night the clocks go back
    ],
)
def test_the_next_run_is_the_first_hour_set_on_londons_clock_after_now(now: str, due: str) -> None:
    assert next_run(_utc(now), AT) == _utc(due)


def test_unset_is_half_past_two_and_off_is_never() -> None:
    assert Settings().compact_at == AT
    assert Settings(compact_at="03:15").compact_at == dt.time(3, 15)
    assert Settings(compact_at="off").compact_at is None
    assert Settings(compact_at="").compact_at is None
