"""The background's moves: house moves and transfers inside the LA, moves to other LAs, abroad,
to independent schools and to home education, managed moves, newcomers, and pupils moving on
from a pupil referral unit. Each is a deletion at one school and, inside the LA, an enrolment at
the next, named and notified in time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tools.simulate.choosing import Chooser
from tools.simulate.population import Phase, Pupil, School
from tools.simulate.pupils import new_pupil
from tools.simulate.records import SimEvent
from tools.simulate.register import CTF_ELSEWHERE


class Moves(Chooser):
    """Pupils leaving a school, moving between schools and arriving."""

    def move(
        self,
        pupil: Pupil,
        day: dt.date,
        target: School,
        arrive: dt.date,
        *,
        ground: str = "moved_away",
        known: bool | None = None,
        managed: bool = False,
        deletion: dict[str, Any] | None = None,
        enrolment: dict[str, Any] | None = None,
    ) -> tuple[SimEvent, SimEvent]:
        """A move inside the LA: taken off roll at the pupil's school on `day`, on roll at
        `target` on `arrive` (recorded within 3 school days, so no_destination never waits)."""
        school = pupil.school
        assert school is not None
        if known is None:
            # Years 10-11 always name the new school: an unknown one would be an exam cohort exit.
            known = pupil.year_group in (10, 11) or self.rng.random() >= self.rates.destination_unknown_share
        kind, laestab = ("school", target.laestab) if known else ("moved_away", None)
        gone = self.delete(pupil, day, ground if known else "moved_away", kind, laestab, **(deletion or {}))
        came = self.enrol(
            pupil, target, arrive, previous=school.laestab, managed_move=managed, **(enrolment or {})
        )
        return gone, came

    def _exit_ok(self, school: School, day: dt.date) -> Callable[[Pupil], bool]:
        return lambda p: (
            self.free(p, day)
            and p.school is school
            and not self.recently_excluded(p, school, day)
            and self.quiet_ok(p, day)
        )

    def _move_ok(self, school: School, day: dt.date, arrive: dt.date) -> Callable[[Pupil], bool]:
        return lambda p: (
            self.free(p, day)
            and p.school is school
            and not self.recently_excluded(p, school, day)
            and self.can_change(p, arrive)
        )

    def _leaver(self, school: School) -> tuple[dt.date, Pupil | None]:
        """Today, and a pupil of the school whose exit the background may make today."""
        day = self.today()
        return day, self.pick(school, self._exit_ok(school, day))

    # --- the processes (each run on a day of the agenda) ------------------------------------------

    def house_move(self, school: School) -> None:
        day = self.today()
        arrive = self.later(day, 1 + self.rng.randrange(4))
        pupil = self.pick(school, self._move_ok(school, day, arrive))
        if pupil is None:
            return
        target = self.other_school(school, pupil.year_group)
        if target is None:
            return
        self.move(pupil, day, target, arrive)

    def move_out(self, school: School) -> None:
        day, pupil = self._leaver(school)
        if pupil is None:
            return
        laestab, target = self.outside_laestab("primary" if school.phase == "primary" else "secondary")
        self.delete(pupil, day, "moved_away", "school", laestab)
        pupil.gone = True
        if target is not None and target.la_code in self.outside.pending:
            arrive = self.later(day, 1 + self.rng.randrange(4))
            pupil.handed_to = target.la_code
            self.outside.send((arrive, pupil, target, school.laestab, self.la.code))

    def abroad(self, school: School) -> None:
        day, pupil = self._leaver(school)
        if pupil is None:
            return
        self.delete(pupil, day, "moved_away", "abroad")
        pupil.gone = True

    def transfer(self, school: School) -> None:
        day = self.today()
        arrive = self.later(day, 1)
        pupil = self.pick(school, self._move_ok(school, day, arrive))
        if pupil is None or not self.quiet_ok(pupil, day):
            return
        target = self.other_school(school, pupil.year_group)
        if target is not None:
            self.move(pupil, day, target, arrive, ground="other_school", known=True)

    def independent(self, school: School) -> None:
        day, pupil = self._leaver(school)
        if pupil is None:
            return
        self.delete(
            pupil, day, "other_school", "independent", f"{self.la.code}{6001 + self.rng.randrange(300):04d}"
        )
        pupil.gone = True

    def home_education(self, school: School) -> None:
        day, pupil = self._leaver(school)
        if pupil is None:
            return
        self.delete(pupil, day, "home_education", "home_education", ctf=None)
        pupil.gone = True

    def managed_move(self, school: School) -> None:
        day = self.today()
        arrive = self.later(day, 1)

        def ok(p: Pupil) -> bool:
            return p.last_exclusion is not None and self._move_ok(school, day, arrive)(p)

        pupil = self.pick(school, ok, tries=60)
        if pupil is None:
            return
        target = self.other_school(school, pupil.year_group)
        if target is not None:
            self.move(pupil, day, target, arrive, ground="other_school", known=True, managed=True)

    def arrival(self, school: School) -> None:
        day = self.today()
        years = [y for y in school.year_size if y != school.min_year or school.phase != "primary"]
        year_group = years[self.rng.randrange(len(years))] if years else school.min_year
        if school.phase == "ap":
            return
        if self.outside.england or self.rng.random() < 0.25:
            previous, issuer = CTF_ELSEWHERE, school.laestab
        else:
            previous, _ = self.outside_laestab("primary" if year_group <= 6 else "secondary")
            issuer = previous
        pupil = new_pupil(school.phase, year_group, self.year.start_year, issuer, self.rng, self.upns)
        self.pupils.append(pupil)
        self.enrol(pupil, school, day, previous=previous)

    def ap_moves_on(self, unit: School) -> None:
        """A pupil single-registered at a PRU moves on to a mainstream school."""
        day = self.today()
        arrive = self.later(day, 1)
        pupil = self.pick(unit, self._move_ok(unit, day, arrive))
        if pupil is None or pupil.year_group >= 11:
            return
        phase: Phase = "primary" if pupil.year_group <= 6 else "secondary"
        options = [s for s in self.by_phase[phase] if s.teaches(pupil.year_group)]
        if options:
            target = options[self.rng.randrange(len(options))]
            self.move(pupil, day, target, arrive, ground="other_school", known=True)
