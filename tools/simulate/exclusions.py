"""Suspensions and permanent exclusions: the records (with reason codes valid in the year), and
the background's suspensions of suspension-prone pupils (within 45 school days a year) and
permanent exclusions (reviewed, sometimes reinstated, otherwise followed by the deletion and a
place at a pupil referral unit)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from schemas.codelists import exclusion_reasons_in
from tools.simulate.choosing import Chooser
from tools.simulate.population import Pupil, School
from tools.simulate.records import EXCLUDED, SUSPENDED, SimEvent

# Relative frequency of reason codes (persistent disruption leads, then abuse and assault).
_REASON_WEIGHTS: Final = {
    "PD": 40, "VA": 14, "PA": 9, "VP": 8, "PP": 8, "DA": 4, "DM": 3, "BU": 2, "RA": 2, "SM": 2,
    "OW": 2, "MT": 2, "TH": 1, "LG": 1, "DS": 1, "DB": 40, "OT": 5,
}  # fmt: skip
# Sessions of a background suspension, and how often each length is given.
_SESSIONS: Final = ((1, 10), (2, 34), (3, 6), (4, 22), (6, 12), (10, 10), (20, 4), (30, 2))
# School days from a permanent exclusion to the governors' decision to uphold it.
_GOVERNORS_MEET_AFTER: Final = 12


class Exclusions(Chooser):
    """Suspensions and permanent exclusions."""

    def suspend(self, pupil: Pupil, start: dt.date, sessions: int) -> SimEvent:
        school = pupil.school
        assert school is not None
        year = self.year.start_year
        pupil.sessions_by_year[year] = pupil.sessions_by_year.get(year, 0) + sessions
        self._note_exclusion(pupil, school, start)
        recorded = self.record_day(start, 0, 0, 1)
        data = {"start_on": start, "sessions": sessions, "reasons": self.reasons(start)}
        return self.emit(SUSPENDED, pupil, school, start, recorded, data)

    def exclude(
        self, pupil: Pupil, on: dt.date, review: str, reasons: list[str], recorded: dt.date
    ) -> SimEvent:
        school = pupil.school
        assert school is not None
        self._note_exclusion(pupil, school, on)
        return self.emit(EXCLUDED, pupil, school, on, recorded, {"reasons": reasons, "review": review})

    def _note_exclusion(self, pupil: Pupil, school: School, on: dt.date) -> None:
        pupil.last_exclusion = max(pupil.last_exclusion or on, on)
        pupil.exclusion_school = school.urn

    def reasons(self, day: dt.date) -> list[str]:
        valid = exclusion_reasons_in(day.year if day.month >= 9 else day.year - 1)
        codes = [code for code in _REASON_WEIGHTS if code in valid]
        weights = [_REASON_WEIGHTS[code] for code in codes]
        count = self.rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        chosen: list[str] = []
        while len(chosen) < count:
            code = self.rng.choices(codes, weights=weights)[0]
            if code not in chosen:
                chosen.append(code)
        return chosen

    # --- the processes (each run on a day of the agenda) ------------------------------------------

    def suspension(self, school: School) -> None:
        day = self.today()

        def ok(p: Pupil) -> bool:
            if not self.free(p, day) or p.school is not school or p.behaviour_risk <= 0:
                return False
            leaving = p.year_group in (school.max_year, 11)
            if leaving and self.school_days_between(day, self.last_day) <= 32:
                return False  # the leavers' deletion would follow within 30 school days
            return p.last_exclusion is None or p.last_exclusion < day

        pupil = self.pick_prone(school, ok)
        if pupil is None:
            return
        sessions = self.rng.choices([s for s, _ in _SESSIONS], weights=[w for _, w in _SESSIONS])[0]
        used = pupil.sessions_by_year.get(self.year.start_year, 0)
        sessions = min(sessions, 90 - used)
        if sessions < 1:
            return
        self.suspend(pupil, day, sessions)
        pupil.busy_until = self.later(day, max(1, (sessions + 1) // 2))

    def exclusion(self, school: School) -> None:
        day = self.today()
        pupil = self.pick_prone(school, lambda p: self.free(p, day) and p.school is school)
        if pupil is None:
            return
        reasons = self.reasons(day)
        pex = self.exclude(pupil, day, "pending", reasons, self.record_day(day, 0, 1))
        deleted_on = self.later(day, 31 + self.rng.randrange(10))
        pupil.busy_until = deleted_on
        if self.rng.random() < self.rates.exclusion_reinstated_share:
            review_day = self.later(day, 10 + self.rng.randrange(5))
            self.schedule(review_day, lambda: self._review(pupil, pex, review_day, "reinstated"))
            pupil.busy_until = review_day
            return
        # The governors uphold it within 15 school days (SI 2012/1033 reg 6), then the deletion.
        upheld_on = self.later(day, _GOVERNORS_MEET_AFTER)
        self.schedule(upheld_on, lambda: self._review(pupil, pex, upheld_on, "upheld"))
        self.schedule(deleted_on, lambda: self._excluded_off_roll(pupil, school, pex, deleted_on))

    def _review(self, pupil: Pupil, pex: SimEvent, day: dt.date, outcome: str) -> None:
        """The governors' decision: the exclusion sent again with its review outcome."""
        if pupil.school is not None:
            self.exclude(pupil, pex.occurred_on, outcome, list(pex.data["reasons"]), day)

    def _excluded_off_roll(self, pupil: Pupil, school: School, pex: SimEvent, day: dt.date) -> None:
        if pupil.school is not school:
            return
        target = self.unit_for(pupil)
        if target is None:
            target = self.other_school(school, pupil.year_group)
        if target is None:
            # No unit or other school here: the LA places the pupil in a neighbouring LA's unit.
            laestab, _ = self.outside_laestab("secondary")
            self.delete(pupil, day, "permanently_excluded", "school", laestab, after=pex)
            pupil.gone = True
            return
        self.delete(pupil, day, "permanently_excluded", "school", target.laestab, after=pex)
        self.enrol(pupil, target, self.later(day, 1), previous=school.laestab)
