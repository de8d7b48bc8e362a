"""Choosing who and where: a pupil of a school fit for a process, a suspension-prone pupil,
another school for a move, and the checks that keep the background clear of the alert rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import accumulate

from services.alerts.calendar import months_before
from tools.simulate.population import Phase, Pupil, School
from tools.simulate.register import Register


class Chooser(Register):
    """Picks pupils and schools at random, within the rules the background keeps."""

    def pick(
        self,
        school: School,
        ok: Callable[[Pupil], bool],
        weight: Callable[[Pupil], float] | None = None,
        tries: int = 30,
    ) -> Pupil | None:
        roll = school.roll
        if not roll:
            return None
        for _ in range(tries):
            pupil = roll[self.rng.randrange(len(roll))]
            if not ok(pupil):
                continue
            if weight is not None and self.rng.random() >= weight(pupil):
                continue
            return pupil
        return None

    def find_prone(self) -> None:
        """Note each school's suspension-prone pupils (behaviour risk above 0) for the year."""
        self._prone: dict[str, tuple[list[Pupil], list[float]]] = {}
        for school in self.schools:
            prone = [p for p in school.roll if p.behaviour_risk > 0]
            self._prone[school.urn] = (prone, list(accumulate(p.behaviour_risk for p in prone)))

    def pick_prone(self, school: School, ok: Callable[[Pupil], bool]) -> Pupil | None:
        """One of the school's few suspension-prone pupils, weighted by their risk."""
        prone, weights = self._prone.get(school.urn, ([], []))
        if not prone:
            return None
        for _ in range(25):
            pupil = self.rng.choices(prone, cum_weights=weights)[0]
            if ok(pupil):
                return pupil
        return None

    def free(self, pupil: Pupil, day: dt.date) -> bool:
        return not pupil.gone and pupil.busy_until < day and pupil.dual_school is None

    def recently_excluded(self, pupil: Pupil, school: School, day: dt.date) -> bool:
        """A suspension or exclusion at this school within 31 school days before `day`."""
        return (
            pupil.last_exclusion is not None
            and pupil.exclusion_school == school.urn
            and self.school_days_between(pupil.last_exclusion, day) <= 31
        )

    def can_change(self, pupil: Pupil, *days: dt.date) -> bool:
        """Whether changes of school on `days` keep the pupil under high_mobility's 3 in 12
        months, counting the transfer at the end of a primary school's Year 6."""
        changes = sorted([*pupil.change_dates, *days])
        if pupil.school is not None and pupil.school.phase == "primary" and pupil.year_group == 6:
            changes.append(dt.date(self.year.start_year + 1, 9, 1))
        for index, change in enumerate(changes):
            start = months_before(change, 12)
            if sum(1 for other in changes[: index + 1] if other >= start) >= 3:
                return False
        return True

    def quiet_ok(self, pupil: Pupil, day: dt.date) -> bool:
        """With quiet_background: a pupil whose exit would meet no rule (no SEN or social care,
        no exclusion in the year, not in Years 10-11)."""
        if not self.quiet_background:
            return True
        return (
            pupil.sen == "N"
            and not pupil.looked_after
            and not pupil.child_in_need
            and pupil.last_exclusion is None
            and pupil.year_group not in (10, 11)
            and not pupil.had_ap
        )

    def other_school(
        self, school: School, year_group: int, *, exclude: School | None = None
    ) -> School | None:
        """A school of the same phase in this LA teaching `year_group`."""
        candidates = self.by_phase.get(school.phase, [])
        for _ in range(12):
            if not candidates:
                return None
            other = candidates[self.rng.randrange(len(candidates))]
            if other is not school and other is not exclude and other.teaches(year_group):
                return other
        return None

    def unit_for(self, pupil: Pupil) -> School | None:
        """A pupil referral unit of this LA teaching the pupil's year group, if there is one."""
        units = [s for s in self.by_phase["ap"] if s.teaches(pupil.year_group)]
        return units[self.rng.randrange(len(units))] if units else None

    def outside_laestab(self, phase: Phase) -> tuple[str, School | None]:
        """A school in another LA: (LAESTAB, the School when that LA is simulated later)."""
        return self.outside.laestab(phase, self.la.code, self.rng)
