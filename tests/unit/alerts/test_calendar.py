from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.alerts.calendar import (
    AcademicYear,
    SchoolCalendar,
    academic_year_of,
    census_days,
    load_calendar,
    months_before,
    read_calendar_document,
)

DEFAULT = load_calendar()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class TestSchoolDays:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("2025-09-02", False),  # before the autumn term
            ("2025-09-03", True),  # first day of term
            ("2025-09-06", False),  # Saturday
            ("2025-10-24", True),  # Friday before half term
            ("2025-10-27", False),  # October half term
            ("2025-10-31", False),
            ("2025-11-03", True),
            ("2025-12-19", True),  # last day of the autumn term
            ("2025-12-22", False),  # Christmas holiday
            ("2025-12-25", False),
            ("2026-01-05", True),
            ("2026-02-16", False),  # February half term
            ("2026-04-03", False),  # Good Friday
            ("2026-04-06", False),  # Easter Monday
            ("2026-05-04", False),  # early May bank holiday, in term
            ("2026-05-25", False),  # spring bank holiday and half term
            ("2026-07-22", True),  # last day of the summer term
            ("2026-07-23", False),
            ("2026-08-31", False),  # summer bank holiday, in the holidays anyway
            ("2027-05-03", False),  # early May bank holiday 2027
            ("2027-03-26", False),  # Good Friday 2027
        ],
    )
    def test_default_calendar(self, day: str, expected: bool) -> None:
        assert DEFAULT.is_school_day(d(day)) is expected
        assert DEFAULT.is_estimated(d(day)) is False

    def test_a_year_has_195_days_before_inset(self) -> None:
        for start in (2025, 2026):
            year = AcademicYear(start)
            assert DEFAULT.school_days_between(year.first_day, year.last_day) == 195

    def test_first_school_day(self) -> None:
        assert DEFAULT.first_school_day(AcademicYear(2025)) == d("2025-09-03")
        assert DEFAULT.first_school_day(AcademicYear(2026)) == d("2026-09-02")
        assert DEFAULT.first_school_day(AcademicYear(2030)) == d("2030-09-02")  # a Monday, estimated


class TestCounting:
    def test_same_day_is_zero(self) -> None:
        assert DEFAULT.school_days_between(d("2025-11-05"), d("2025-11-05")) == 0

    def test_start_exclusive_end_inclusive(self) -> None:
        # Mon 3 Nov -> Fri 7 Nov: Tue, Wed, Thu, Fri
        assert DEFAULT.school_days_between(d("2025-11-03"), d("2025-11-07")) == 4
        # Fri -> Mon counts the Monday only
        assert DEFAULT.school_days_between(d("2025-11-07"), d("2025-11-10")) == 1
        # a weekend end counts nothing extra
        assert DEFAULT.school_days_between(d("2025-11-07"), d("2025-11-09")) == 0

    def test_reversed_is_negative(self) -> None:
        assert DEFAULT.school_days_between(d("2025-11-07"), d("2025-11-03")) == -4

    def test_across_half_term(self) -> None:
        assert DEFAULT.school_days_between(d("2025-10-24"), d("2025-11-03")) == 1
        assert DEFAULT.add_school_days(d("2025-10-24"), 1) == d("2025-11-03")

    def test_across_christmas_and_new_year(self) -> None:
        assert DEFAULT.add_school_days(d("2025-12-19"), 1) == d("2026-01-05")
        assert DEFAULT.add_school_days(d("2025-12-25"), 1) == d("2026-01-05")

    def test_ten_school_days(self) -> None:
        # from Mon 3 Nov 2025: 4 Nov ... 14 Nov holds 9 school days, Mon 17 Nov is the 10th
        assert DEFAULT.add_school_days(d("2025-11-03"), 10) == d("2025-11-17")
        assert DEFAULT.add_school_days(d("2025-11-03"), 11) == d("2025-11-18")

    def test_across_the_summer(self) -> None:
        assert DEFAULT.add_school_days(d("2026-07-22"), 1) == d("2026-09-02")

    def test_zero_and_negative(self) -> None:
        assert DEFAULT.add_school_days(d("2025-11-08"), 0) == d("2025-11-08")
        with pytest.raises(ValueError, match="forwards"):
            DEFAULT.add_school_days(d("2025-11-08"), -1)


class TestOutsideTheData:
    def test_weekdays_stand_in_and_say_so(self) -> None:
        assert DEFAULT.is_estimated(d("2030-12-25")) is True
        assert DEFAULT.is_school_day(d("2030-12-25")) is True  # a Wednesday: no term dates known
        assert DEFAULT.is_school_day(d("2030-12-28")) is False
        assert DEFAULT.estimated_between(d("2027-07-01"), d("2027-09-10")) is True
        assert DEFAULT.estimated_between(d("2025-09-01"), d("2027-08-31")) is False
        assert DEFAULT.estimated_between(d("2027-08-31"), d("2025-09-01")) is False

    def test_counts_run_across_the_edge(self) -> None:
        # Thu 22 Jul 2027 is the last known day; from Wed 1 Sep 2027 weekdays count
        assert DEFAULT.add_school_days(d("2027-07-22"), 1) == d("2027-09-01")
        assert DEFAULT.school_days_between(d("2027-07-21"), d("2027-09-03")) == 4

    def test_far_away_dates_do_not_crash(self) -> None:
        assert DEFAULT.school_days_between(d("1990-01-01"), d("2040-01-01")) > 10_000
        assert DEFAULT.add_school_days(d("1999-12-31"), 3) == d("2000-01-05")


class TestAcademicYear:
    @pytest.mark.parametrize(
        ("day", "label"),
        [
            ("2025-09-01", "2025/26"),
            ("2026-08-31", "2025/26"),
            ("2026-09-01", "2026/27"),
            ("1999-12-31", "1999/00"),
        ],
    )
    def test_academic_year_of(self, day: str, label: str) -> None:
        assert academic_year_of(d(day)).label == label
        assert AcademicYear.parse(label) == academic_year_of(d(day))

    def test_bad_label(self) -> None:
        with pytest.raises(ValueError):
            AcademicYear.parse("2025/27")


class TestCensus:
    def test_2025_26_matches_domain_notes(self) -> None:
        census = census_days(AcademicYear(2025))
        assert census.autumn == d("2025-10-02")
        assert census.spring == d("2026-01-15")
        assert census.summer == d("2026-05-21")

    def test_2026_27(self) -> None:
        census = census_days(AcademicYear(2026))
        assert (census.autumn, census.spring, census.summer) == (
            d("2026-10-01"),
            d("2027-01-21"),
            d("2027-05-20"),
        )

    @given(st.integers(min_value=1990, max_value=2100))
    def test_always_the_right_thursdays(self, start: int) -> None:
        census = census_days(AcademicYear(start))
        for day in (census.autumn, census.spring, census.summer):
            assert day.weekday() == 3
        assert census.autumn.month == 10 and 1 <= census.autumn.day <= 7
        assert census.spring.month == 1 and 15 <= census.spring.day <= 21
        assert census.summer.month == 5 and 15 <= census.summer.day <= 21


class TestMonthsBefore:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            ("2026-03-03", 12, "2025-03-03"),
            ("2024-02-29", 12, "2023-02-28"),
            ("2026-05-31", 3, "2026-02-28"),
            ("2026-01-15", 1, "2025-12-15"),
            ("2026-01-15", 0, "2026-01-15"),
        ],
    )
    def test_months_before(self, day: str, months: int, expected: str) -> None:
        assert months_before(d(day), months) == d(expected)


def _la_file(tmp_path: Path, la_code: str = "886", **changes: object) -> Path:
    document = {
        "version": "2025.3",
        "name": "Test LA",
        "la_code": la_code,
        "source": "the LA's published term dates",
        "bank_holidays": [],
        "years": [
            {
                "academic_year": "2025/26",
                "terms": [
                    {
                        "name": "autumn",
                        "start": "2025-09-02",
                        "end": "2025-12-19",
                        "breaks": [{"name": "half term", "start": "2025-10-20", "end": "2025-10-24"}],
                    },
                    {"name": "spring", "start": "2026-01-05", "end": "2026-03-27"},
                    {"name": "summer", "start": "2026-04-13", "end": "2026-07-21"},
                ],
                "closures": ["2025-11-14"],
            }
        ],
    }
    document.update(changes)
    path = tmp_path / f"{la_code}.json"
    path.write_text(json.dumps(document))
    return path


class TestLACalendars:
    def test_la_file_replaces_its_years_only(self, tmp_path: Path) -> None:
        _la_file(tmp_path)
        cal = load_calendar("886", [tmp_path])
        assert cal.is_school_day(d("2025-09-02")) is True  # the LA starts a day earlier
        assert cal.is_school_day(d("2025-10-20")) is False  # its half term is a week earlier
        assert cal.is_school_day(d("2025-10-27")) is True
        assert cal.is_school_day(d("2025-11-14")) is False  # an LA closure
        assert cal.is_school_day(d("2026-05-04")) is False  # national bank holidays still apply
        assert cal.is_school_day(d("2026-05-26")) is True  # no summer half term in this LA's file
        assert cal.coverage == {"2025/26": "Test LA 2025.3", "2026/27": "England default 2026-11-30.1"}
        assert cal.la_code == "886"

    def test_no_la_file_means_the_default(self, tmp_path: Path) -> None:
        cal = load_calendar("201", [tmp_path])
        assert cal.coverage == DEFAULT.coverage
        assert cal.is_school_day(d("2025-10-27")) is False

    def test_file_for_another_la_is_refused(self, tmp_path: Path) -> None:
        _la_file(tmp_path, la_code="886")
        (tmp_path / "886.json").rename(tmp_path / "201.json")
        with pytest.raises(ValueError, match="belongs to LA 886"):
            load_calendar("201", [tmp_path])

    def test_la_code_must_be_three_digits(self) -> None:
        with pytest.raises(ValueError, match="3 digits"):
            load_calendar("../etc")

    @pytest.mark.parametrize(
        ("terms", "message"),
        [
            ([{"name": "autumn", "start": "2025-08-20", "end": "2025-12-19"}], "not inside academic year"),
            ([{"name": "autumn", "start": "2025-12-19", "end": "2025-09-03"}], "before it starts"),
            (
                [
                    {"name": "a", "start": "2025-09-03", "end": "2025-12-19"},
                    {"name": "b", "start": "2025-12-01", "end": "2026-03-01"},
                ],
                "overlap",
            ),
            (
                [
                    {
                        "name": "a",
                        "start": "2025-09-03",
                        "end": "2025-12-19",
                        "breaks": [{"name": "x", "start": "2025-12-15", "end": "2026-01-02"}],
                    }
                ],
                "not inside the term",
            ),
        ],
    )
    def test_bad_files_are_refused_with_a_reason(
        self, tmp_path: Path, terms: list[object], message: str
    ) -> None:
        _la_file(tmp_path, years=[{"academic_year": "2025/26", "terms": terms}])
        with pytest.raises(ValidationError, match=message):
            load_calendar("886", [tmp_path])

    def test_unknown_keys_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            read_calendar_document({"version": "1", "name": "x", "source": "y", "years": [], "holidays": []})


# --- properties ----------------------------------------------------------------------------------

days = st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2028, 12, 31))


def _naive_between(cal: SchoolCalendar, a: dt.date, b: dt.date) -> int:
    low, high, sign = (a, b, 1) if a <= b else (b, a, -1)
    count, day = 0, low
    while day < high:
        day += dt.timedelta(days=1)
        count += cal.is_school_day(day)
    return sign * count


@settings(max_examples=300)
@given(days, st.integers(min_value=0, max_value=400))
def test_add_then_count_round_trips(start: dt.date, n: int) -> None:
    end = DEFAULT.add_school_days(start, n)
    assert DEFAULT.school_days_between(start, end) == n
    if n:
        assert DEFAULT.is_school_day(end)
        # and it is the first such day: the day before still counts n - 1
        assert DEFAULT.school_days_between(start, end - dt.timedelta(days=1)) == n - 1


@settings(max_examples=300)
@given(days, days)
def test_count_then_add_lands_on_or_before(a: dt.date, b: dt.date) -> None:
    n = DEFAULT.school_days_between(a, b)
    assert n == _naive_between(DEFAULT, a, b)
    assert n == -DEFAULT.school_days_between(b, a)
    if b >= a:
        landed = DEFAULT.add_school_days(a, n)
        assert landed <= b
        assert (landed == b) == (b == a or DEFAULT.is_school_day(b))


@given(days, days, days)
def test_counts_add_up(a: dt.date, b: dt.date, c: dt.date) -> None:
    assert DEFAULT.school_days_between(a, b) + DEFAULT.school_days_between(
        b, c
    ) == DEFAULT.school_days_between(a, c)
