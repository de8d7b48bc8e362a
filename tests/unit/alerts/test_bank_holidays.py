"""Bank holidays come from the data file generated from the pinned `holidays` package, reach
every calendar, and a calendar with term dates beyond that data is refused with a clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from services.alerts.bank_holidays import BeyondCalendarData, england_bank_holidays
from services.alerts.calendar import load_calendar

d = dt.date.fromisoformat


def test_the_data_file_is_what_the_pinned_package_gives() -> None:
    pytest.importorskip("holidays")
    from tools.bank_holidays import main

    assert main(["--check"]) == 0, "run: python -m tools.bank_holidays"


def test_the_dates_once_typed_by_hand_are_all_there_and_later_years_too() -> None:
    data = england_bank_holidays()
    typed = ["2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
             "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26",
             "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30"]  # fmt: skip
    assert {d(day) for day in typed} <= data.dates
    assert d("2028-05-01") in data.dates  # early May 2028: past what was typed
    assert d("2023-05-08") in data.dates  # the coronation: a one-off the package knows
    assert data.is_bank_holiday(d("2060-12-25")) and not data.is_bank_holiday(d("2060-12-29"))


@pytest.mark.parametrize("day", ["1999-12-31", "2061-01-01"])
def test_a_day_beyond_the_data_is_a_clear_error(day: str) -> None:
    with pytest.raises(BeyondCalendarData, match=r"beyond the bank holidays data, which covers 2000 to 2060"):
        england_bank_holidays().is_bank_holiday(d(day))


def _la_file(tmp_path: Path, year: str, start: str, end: str) -> None:
    document = {
        "version": "1", "name": "Far LA", "la_code": "886", "source": "test",
        "years": [{"academic_year": year, "terms": [{"name": "summer", "start": start, "end": end}]}],
    }  # fmt: skip
    (tmp_path / "886.json").write_text(json.dumps(document))


def test_an_la_year_in_the_data_counts_its_bank_holidays(tmp_path: Path) -> None:
    _la_file(tmp_path, "2059/60", "2060-04-20", "2060-07-20")
    calendar = load_calendar("886", [tmp_path])
    assert not calendar.is_school_day(d("2060-05-03"))  # early May bank holiday 2060, a Monday
    assert calendar.is_school_day(d("2060-05-04"))


def test_an_la_year_beyond_the_data_is_refused_at_load(tmp_path: Path) -> None:
    _la_file(tmp_path, "2060/61", "2061-04-20", "2061-07-20")
    with pytest.raises(BeyondCalendarData, match=r"'Far LA', academic year 2060/61: 2061-08-31 is beyond"):
        load_calendar("886", [tmp_path])
