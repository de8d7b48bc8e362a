"""The school days of one LA's year and the agenda that runs them: when things happen, when a
school records them, and the order in which the simulation's processes act."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Final

from services.alerts.calendar import AcademicYear, SchoolCalendar, census_days

MIDYEAR_LAST_MONTH_DAY: Final = (6, 30)


class SchoolYearClock:
    """The year's school days (from the LA's calendar) and an agenda of actions by day."""

    def __init__(self, calendar: SchoolCalendar, rng: random.Random) -> None:
        self.calendar = calendar
        self.rng = rng
        self._agenda: list[tuple[dt.date, int, Callable[[], None]]] = []
        self._agenda_seq = 0
        self._agenda_today = dt.date.min
        self._first_days: dict[int, dt.date] = {}
        self.year = AcademicYear(2025)
        self.days: list[dt.date] = []
        self.window_end = dt.date.max

    def set_year(self, year: AcademicYear) -> None:
        self.year = year
        day, days = year.first_day, []
        while day <= year.last_day:
            if self.calendar.is_school_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        self.days = days
        self.first_day = days[0]
        self.last_day = days[-1]
        self.census = census_days(year).spring
        self.midyear_end = dt.date(year.start_year + 1, *MIDYEAR_LAST_MONTH_DAY)

    def first_school_day(self, start_year: int) -> dt.date:
        found = self._first_days.get(start_year)
        if found is None:
            found = self._first_days[start_year] = self.calendar.first_school_day(AcademicYear(start_year))
        return found

    def later(self, day: dt.date, school_days: int) -> dt.date:
        return self.calendar.add_school_days(day, school_days)

    def record_day(self, day: dt.date, *choices: int) -> dt.date:
        """The day a school records something that happened on `day`: 0 or a few school days
        later, but never after the summer term (the next school day would be September)."""
        recorded = self.later(day, self.rng.choice(choices))
        return recorded if recorded <= self.last_day or day > self.last_day else day

    def school_days_between(self, a: dt.date, b: dt.date) -> int:
        return self.calendar.school_days_between(a, b)

    def random_day(self, first: dt.date, last: dt.date) -> dt.date | None:
        """A school day of this year in [first, last], or None when there is none."""
        lo, hi = bisect_left(self.days, first), bisect_right(self.days, last)
        if hi <= lo:
            return None
        return self.days[self.rng.randrange(lo, hi)]

    def school_day_on_or_before(self, day: dt.date) -> dt.date:
        index = bisect_right(self.days, day) - 1
        return self.days[max(index, 0)]

    # --- the agenda -------------------------------------------------------------------------------

    def schedule(self, day: dt.date, action: Callable[[], None]) -> None:
        self._agenda_seq += 1
        heapq.heappush(self._agenda, (day, self._agenda_seq, action))

    def today(self) -> dt.date:
        """The day of the agenda entry being run."""
        return self._agenda_today

    def run_year_agenda(self) -> None:
        while self._agenda:
            day, _, action = heapq.heappop(self._agenda)
            self._agenda_today = day
            action()
