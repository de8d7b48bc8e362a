"""School days for one local authority, and the dates of the school year.

A school day is a weekday inside a term, outside that term's breaks (half terms), and not a bank
holiday or a closure. Term dates come from versioned JSON files in `services/alerts/calendars/`:
`england-default.json` ships typical English dates, and `<la_code>.json` (same format) replaces
the years it lists for that LA; the other years still come from the default. Bank holidays come
from `bank-holidays-england.json` (generated from the pinned `holidays` package; see
services/alerts/bank_holidays.py), plus any a file lists itself. A date in an academic year that
no file covers is estimated: Monday to Friday count as school days, and `is_estimated` /
`estimated_between` say so. Term dates for a year the bank holidays data does not cover are
refused at load (`BeyondCalendarData`, naming the year and the data's range); counting itself
never raises.

Counting convention, used by every clock in the rules:
- `school_days_between(a, b)` counts the school days d with a < d <= b (start exclusive, end
  inclusive); it is 0 when a == b and -school_days_between(b, a) when b < a.
- `add_school_days(d, n)` is, for n >= 1, the n-th school day after d, so that
  `school_days_between(d, add_school_days(d, n)) == n`; it is d itself for n == 0.
- "within N school days of X" therefore means school_days_between(X, Y) <= N, and the first day
  that is *past* N school days is add_school_days(X, N + 1).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.alerts.bank_holidays import BankHolidays, england_bank_holidays

DEFAULT_CALENDAR = "england-default"
_LA_CODE = re.compile(r"^[0-9]{3}$")
_ONE_DAY = dt.timedelta(days=1)


# --- the school year -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class AcademicYear:
    """The school year from 1 September of `start_year` to 31 August of the next year."""

    start_year: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.start_year, 9, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.start_year + 1, 8, 31)

    @property
    def label(self) -> str:
        """'2025/26'."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    def contains(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    @classmethod
    def parse(cls, label: str) -> AcademicYear:
        match = re.fullmatch(r"([0-9]{4})/([0-9]{2})", label)
        if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValueError(f"academic year {label!r} is not of the form '2025/26'")
        return cls(int(match[1]))


def academic_year_of(day: dt.date) -> AcademicYear:
    """The academic year (1 September - 31 August) that contains `day`."""
    return AcademicYear(day.year if day.month >= 9 else day.year - 1)


@dataclass(frozen=True, slots=True)
class CensusDays:
    autumn: dt.date
    spring: dt.date
    summer: dt.date


def _nth_thursday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=n - 1)


def census_days(year: AcademicYear) -> CensusDays:
    """School census days (docs/domain.md, "Calendar"): autumn = 1st Thursday of October,
    spring = 3rd Thursday of January, summer = 3rd Thursday of May."""
    return CensusDays(
        autumn=_nth_thursday(year.start_year, 10, 1),
        spring=_nth_thursday(year.start_year + 1, 1, 3),
        summer=_nth_thursday(year.start_year + 1, 5, 3),
    )


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier, clamped to the month's end
    (31 May minus 3 months = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month - _ONE_DAY).day
    return dt.date(year, month, min(day.day, last))


# --- the files -----------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermBreak(_Strict):
    name: str
    start: dt.date
    end: dt.date


class Term(_Strict):
    name: str
    start: dt.date
    end: dt.date
    breaks: tuple[TermBreak, ...] = ()

    @model_validator(mode="after")
    def _dates_in_order(self) -> Term:
        if self.end < self.start:
            raise ValueError(f"term {self.name!r} ends ({self.end}) before it starts ({self.start})")
        for gap in self.breaks:
            if gap.end < gap.start or gap.start < self.start or gap.end > self.end:
                raise ValueError(f"break {gap.name!r} of term {self.name!r} is not inside the term")
        return self


class YearTerms(_Strict):
    academic_year: str = Field(pattern=r"^[0-9]{4}/[0-9]{2}$")
    terms: tuple[Term, ...]
    closures: tuple[dt.date, ...] = ()

    @model_validator(mode="after")
    def _terms_inside_year(self) -> YearTerms:
        year = AcademicYear.parse(self.academic_year)
        ordered = sorted(self.terms, key=lambda term: term.start)
        for term in ordered:
            if not (year.contains(term.start) and year.contains(term.end)):
                raise ValueError(f"term {term.name!r} is not inside academic year {self.academic_year}")
        for earlier, later in itertools.pairwise(ordered):
            if later.start <= earlier.end:
                raise ValueError(f"terms {earlier.name!r} and {later.name!r} overlap")
        for closure in self.closures:
            if not year.contains(closure):
                raise ValueError(f"closure {closure} is not inside academic year {self.academic_year}")
        return self


class CalendarDocument(_Strict):
    """One calendar file: the default, or one LA's."""

    version: str
    name: str
    la_code: str | None = None
    source: str
    note: str = ""
    bank_holidays: tuple[dt.date, ...] = ()
    years: tuple[YearTerms, ...]

    @model_validator(mode="after")
    def _one_entry_per_year(self) -> CalendarDocument:
        labels = [year.academic_year for year in self.years]
        if len(labels) != len(set(labels)):
            raise ValueError("an academic year is listed twice")
        return self


# --- the calendar --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _KnownYear:
    days: tuple[dt.date, ...]  # the school days of the year, ascending
    source: str  # "England default 2025-11-25.1"
    terms: tuple[TermSpan, ...] = ()  # ascending


@dataclass(frozen=True, slots=True)
class TermSpan:
    """One term of a school year: its first and last day (breaks inside it included)."""

    name: str
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


# Where no term dates are loaded: the usual shape of an English school year (the summer term
# ends around 22 July; docs/domain.md, "Calendar"), flagged as estimated like the weekdays.
_ESTIMATED_TERMS = (("autumn", (9, 1), (12, 31)), ("spring", (1, 1), (3, 31)), ("summer", (4, 1), (7, 22)))


def _school_days_of(year: YearTerms, holidays: frozenset[dt.date]) -> tuple[dt.date, ...]:
    closed = holidays | frozenset(year.closures)
    days: list[dt.date] = []
    for term in year.terms:
        day = term.start
        while day <= term.end:
            in_break = any(gap.start <= day <= gap.end for gap in term.breaks)
            if day.weekday() < 5 and not in_break and day not in closed:
                days.append(day)
            day += _ONE_DAY
    return tuple(sorted(days))


def _weekdays_in(first: dt.date, last: dt.date) -> int:
    """Monday-to-Friday days in [first, last] (0 when last < first)."""
    if last < first:
        return 0
    span = (last - first).days + 1
    weeks, rest = divmod(span, 7)
    count = weeks * 5
    day = first + dt.timedelta(weeks=weeks)
    for _ in range(rest):
        count += day.weekday() < 5
        day += _ONE_DAY
    return count


def _nth_weekday_after(day: dt.date, n: int) -> dt.date:
    """The n-th (n >= 1) Monday-to-Friday day after `day`."""
    jumps = (n - 1) // 5
    day += dt.timedelta(weeks=jumps)  # every 7 calendar days hold exactly 5 weekdays
    n -= jumps * 5
    while n:
        day += _ONE_DAY
        n -= day.weekday() < 5
    return day


class SchoolCalendar:
    """School days for one LA (or the default). Build with `load_calendar` or `from_documents`."""

    def __init__(self, la_code: str | None, years: Mapping[int, _KnownYear]) -> None:
        self._la_code = la_code
        self._years = dict(years)

    @classmethod
    def from_documents(
        cls,
        *documents: CalendarDocument,
        la_code: str | None = None,
        bank_holidays: BankHolidays | None = None,
    ) -> SchoolCalendar:
        """Layer calendar files: a later document's years replace an earlier one's; England's bank
        holidays and those of all documents apply to every year. A year with term dates outside
        the bank holidays data raises `BeyondCalendarData`."""
        national = bank_holidays or england_bank_holidays()
        holidays = national.dates | frozenset(day for document in documents for day in document.bank_holidays)
        years: dict[int, _KnownYear] = {}
        for document in documents:
            for year in document.years:
                academic = AcademicYear.parse(year.academic_year)
                for edge in (academic.first_day, academic.last_day):
                    national.require(edge, f"calendar {document.name!r}, academic year {academic.label}")
                start = academic.start_year
                source = f"{document.name} {document.version}"
                spans = tuple(
                    sorted((TermSpan(t.name, t.start, t.end) for t in year.terms), key=lambda t: t.start)
                )
                years[start] = _KnownYear(_school_days_of(year, holidays), source, spans)
        return cls(la_code, years)

    @property
    def la_code(self) -> str | None:
        return self._la_code

    @property
    def coverage(self) -> dict[str, str]:
        """The academic years with real term dates, and the file each comes from."""
        return {AcademicYear(start).label: known.source for start, known in sorted(self._years.items())}

    def is_estimated(self, day: dt.date) -> bool:
        """True when no term dates cover `day`, so weekdays stand in for school days."""
        return academic_year_of(day).start_year not in self._years

    def estimated_between(self, first: dt.date, last: dt.date) -> bool:
        """True when any day from `first` to `last` (either order, inclusive) is estimated."""
        low, high = sorted((first, last))
        return any(
            start not in self._years
            for start in range(academic_year_of(low).start_year, academic_year_of(high).start_year + 1)
        )

    def is_school_day(self, day: dt.date) -> bool:
        known = self._years.get(academic_year_of(day).start_year)
        if known is None:
            return day.weekday() < 5
        index = bisect_left(known.days, day)
        return index < len(known.days) and known.days[index] == day

    def school_days_between(self, start: dt.date, end: dt.date) -> int:
        """School days d with start < d <= end; negative when end < start (see module docstring)."""
        if end < start:
            return -self.school_days_between(end, start)
        if start == end:
            return 0
        count = 0
        first = start + _ONE_DAY
        while True:
            year = academic_year_of(first)
            last = min(end, year.last_day)
            known = self._years.get(year.start_year)
            if known is None:
                count += _weekdays_in(first, last)
            else:
                count += bisect_right(known.days, last) - bisect_left(known.days, first)
            if last == end:
                break
            first = last + _ONE_DAY
        return count

    def add_school_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th school day after `day` (n >= 1), or `day` itself for n == 0."""
        if n < 0:
            raise ValueError("add_school_days counts forwards only: n must be >= 0")
        if n == 0:
            return day
        cursor = day  # school days strictly after cursor are still to count
        while True:
            year = academic_year_of(cursor + _ONE_DAY)
            known = self._years.get(year.start_year)
            if known is None:
                available = _weekdays_in(cursor + _ONE_DAY, year.last_day)
                if n <= available:
                    return _nth_weekday_after(cursor, n)
            else:
                index = bisect_right(known.days, cursor)
                available = len(known.days) - index
                if n <= available:
                    return known.days[index + n - 1]
            n -= available
            cursor = year.last_day

    def first_school_day(self, year: AcademicYear) -> dt.date:
        """The first school day on or after 1 September of `year`."""
        return self.add_school_days(year.first_day - _ONE_DAY, 1)

    def terms(self, year: AcademicYear) -> tuple[TermSpan, ...]:
        """The terms of `year`, from the term dates, or estimated (`is_estimated`) without them."""
        known = self._years.get(year.start_year)
        if known is not None and known.terms:
            return known.terms
        return tuple(
            TermSpan(name, _in_year(year, *first), _in_year(year, *last))
            for name, first, last in _ESTIMATED_TERMS
        )

    def last_term_end(self, year: AcademicYear) -> dt.date:
        """The last day of the last term of `year` (reg 13(5) SI 2024/208: "the end of the last
        term of the school year")."""
        return self.terms(year)[-1].end

    def term_of(self, day: dt.date) -> TermSpan | None:
        """The term `day` falls in, or None in a holiday between terms."""
        return next((term for term in self.terms(academic_year_of(day)) if term.contains(day)), None)


def _in_year(year: AcademicYear, month: int, day: int) -> dt.date:
    return dt.date(year.start_year + (month < 9), month, day)


# --- loading -------------------------------------------------------------------------------------


def read_calendar_document(data: Mapping[str, Any] | str | bytes) -> CalendarDocument:
    """Validate one calendar file's content (a parsed mapping or the JSON text)."""
    if isinstance(data, str | bytes):
        return CalendarDocument.model_validate_json(data)
    return CalendarDocument.model_validate(data)


def _packaged(name: str) -> CalendarDocument | None:
    resource = resources.files("services.alerts").joinpath("calendars", f"{name}.json")
    if not resource.is_file():
        return None
    return read_calendar_document(resource.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_calendar_document() -> CalendarDocument:
    document = _packaged(DEFAULT_CALENDAR)
    if document is None:  # pragma: no cover - the file ships with the package
        raise FileNotFoundError(f"the packaged calendar {DEFAULT_CALENDAR}.json is missing")
    return document


def load_calendar(la_code: str | None = None, directories: Iterable[Path] = ()) -> SchoolCalendar:
    """The calendar of `la_code`: the packaged default, with the years of the LA's own file laid
    over it. The LA file is looked up as `<la_code>.json` in `directories` (first match wins),
    then among the packaged calendars. No LA file: the default alone."""
    documents = [default_calendar_document()]
    if la_code is not None:
        if not _LA_CODE.fullmatch(la_code):
            raise ValueError(f"LA code {la_code!r} is not 3 digits")
        override = _find_la_document(la_code, tuple(directories))
        if override is not None:
            if override.la_code not in (None, la_code):
                raise ValueError(f"calendar file for LA {la_code} says it belongs to LA {override.la_code}")
            documents.append(override)
    return SchoolCalendar.from_documents(*documents, la_code=la_code)


def _find_la_document(la_code: str, directories: tuple[Path, ...]) -> CalendarDocument | None:
    for directory in directories:
        path = Path(directory) / f"{la_code}.json"
        if path.is_file():
            return read_calendar_document(json.loads(path.read_text(encoding="utf-8")))
    return _packaged(la_code)
