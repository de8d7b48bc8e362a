"""When the alert service judges schools' feeds: a roll check once every partition has passed its
recording time (or after a minute), the feeds on the low watermark's day on the event clock."""

from __future__ import annotations

import datetime as dt

import pytest

from services.alerts import school_feeds
from services.alerts.la_rules import load_la_rules
from services.alerts.school_feeds import SchoolFeeds
from services.schools.register import SchoolsRegister
from tests.support.allinone import GIAS_FILE
from tests.support.scenarios import roll_check

REGISTER = SchoolsRegister.from_gias_files(GIAS_FILE)
AT = dt.datetime(2026, 3, 2, 16, tzinfo=dt.UTC)


def _feeds() -> SchoolFeeds:
    return SchoolFeeds(None, REGISTER, load_la_rules)  # type: ignore[arg-type]  # no reads here


def test_a_check_waits_for_every_partition_to_pass_it(monkeypatch: pytest.MonkeyPatch) -> None:
    feeds = _feeds()
    feeds.receive(roll_check("100046", AT.date(), 10))
    feeds.note_record(0, AT + dt.timedelta(hours=1))
    feeds.note_record(1, AT - dt.timedelta(minutes=1))  # partition 1 is behind the check
    assert feeds.settled(feeds.low_watermark()) == []
    feeds.note_record(1, AT + dt.timedelta(minutes=1))
    (due,) = feeds.settled(feeds.low_watermark())
    assert due.school_urn == "100046" and due.on_roll == 10 and feeds.pending == []


def test_a_quiet_stream_judges_the_check_all_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    feeds = _feeds()
    feeds.receive(roll_check("100046", AT.date(), 10))
    assert feeds.settled(None) == []
    later = school_feeds.time.monotonic() + school_feeds.FALLBACK_SECONDS + 1
    monkeypatch.setattr(school_feeds.time, "monotonic", lambda: later)
    assert len(feeds.settled(None)) == 1


def test_the_feeds_day_is_the_low_watermarks_on_the_event_clock() -> None:
    feeds = _feeds()
    today = dt.date(2026, 3, 9)
    feeds.note_record(0, AT + dt.timedelta(days=7))
    feeds.note_record(1, AT)
    low = feeds.low_watermark()
    assert feeds.feed_day("event", today, low) == AT.date()
    assert feeds.feed_day("wall", today, low) == today
    feeds.note_record(1, AT + dt.timedelta(days=8))
    assert feeds.low_watermark() == AT + dt.timedelta(days=7)


def test_a_partition_not_heard_from_holds_the_watermark_back_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At the start of a replay partition 0's records can be a month ahead of partition 1's, whose
    # schools' events are not in the ledger yet: the feeds' day must not run ahead of them.
    feeds = _feeds()
    feeds.note_record(0, AT + dt.timedelta(days=30))
    assert feeds.low_watermark(assigned=[0, 1]) is None
    assert feeds.low_watermark(assigned=[0]) == AT + dt.timedelta(days=30)
    feeds.note_record(1, AT)
    assert feeds.low_watermark(assigned=[0, 1]) == AT
    # A partition that stays empty holds nothing back for ever.
    quiet = _feeds()
    quiet.note_record(0, AT)
    later = school_feeds.time.monotonic() + school_feeds.FALLBACK_SECONDS + 1
    monkeypatch.setattr(school_feeds.time, "monotonic", lambda: later)
    assert quiet.low_watermark(assigned=[0, 1]) == AT
