"""The index of due wake-ups the alert service's tick reads instead of its whole clocks table."""

from __future__ import annotations

import datetime as dt

from services.alerts.wake_ups import DueIndex


def _clocks(*days: str) -> list[dict[str, str]]:
    return [{"fires_on": day} for day in days]


def test_only_pupils_with_a_clock_due_are_taken_and_once() -> None:
    index = DueIndex()
    index.set("A", _clocks("2026-02-10", "2026-01-20"))
    index.set("B", _clocks("2026-03-01"))
    assert index.take_due(dt.date(2026, 1, 19)) == []
    assert index.take_due(dt.date(2026, 1, 20)) == ["A"]
    assert index.take_due(dt.date(2026, 1, 20)) == []  # taken: until its clocks are written back
    index.set("A", _clocks("2026-02-10"))  # what remained after the firing
    assert sorted(index.take_due(dt.date(2026, 12, 31))) == ["A", "B"]
    assert len(index) == 0


def test_changed_or_cleared_clocks_replace_the_old_entry() -> None:
    index = DueIndex()
    index.set("A", _clocks("2026-01-20"))
    index.set("A", _clocks("2026-04-01"))  # a resolution closed the early clock
    index.set("B", _clocks("2026-01-05"))
    index.set("B", [])  # every clock of B closed
    assert index.take_due(dt.date(2026, 3, 1)) == []
    assert index.take_due(dt.date(2026, 4, 1)) == ["A"]


def test_a_rebuild_replaces_everything() -> None:
    index = DueIndex()
    index.set("gone", _clocks("2026-01-01"))
    index.rebuild([("A", _clocks("2026-01-02")), ("B", None), ("C", [])])
    assert len(index) == 1
    assert index.take_due(dt.date(2026, 1, 31)) == ["A"]
