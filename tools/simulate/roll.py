"""The roll through the years: the pupils on roll at the start (enrolments dated when they
joined), the September intake, arrivals from LAs simulated earlier in the run, the summer's
leavers and Year 6 pupils matched to their secondary school, and the move up a year group."""

from __future__ import annotations

import datetime as dt
from functools import partial

from services.alerts.calendar import AcademicYear
from tools.simulate.choosing import Chooser
from tools.simulate.population import Pupil, School
from tools.simulate.pupils import new_pupil


class SchoolRoll(Chooser):
    """Who is on roll where at the start and end of each school year."""

    def populate(self, year: AcademicYear) -> None:
        """The pupils on roll before the first day, and their enrolments (dated when they
        joined); then the September intake on the first day."""
        self.set_year(year)
        # Y6 leavers waiting for their secondary: school urn -> pupils.
        self._transfers: dict[str, list[Pupil]] = {}
        primaries = self.by_phase["primary"] or self.schools
        secondaries = self.by_phase["secondary"] or self.schools
        for school in self.schools:
            entry_years = _entry_years(school)
            for year_group, size in school.year_size.items():
                if year_group in entry_years:
                    continue
                for _ in range(size):
                    self._baseline_pupil(school, year_group, primaries, secondaries)
        self.intake()

    def _baseline_pupil(
        self, school: School, year_group: int, primaries: list[School], secondaries: list[School]
    ) -> None:
        rng = self.rng
        start = self.year.start_year
        issuer = primaries[rng.randrange(len(primaries))]
        pupil = new_pupil(school.phase, year_group, start, issuer.laestab, rng, self.upns)
        previous: str | None = None
        if school.phase == "primary":
            joined = self.first_school_day(start - year_group)
        elif school.phase == "secondary":
            joined = self.first_school_day(start - (year_group - 7))
            previous = issuer.laestab
        elif school.phase == "special":
            years_here = rng.randrange(0, max(1, year_group - school.min_year) + 1)
            joined = self.first_school_day(start - years_here)
            previous = primaries[rng.randrange(len(primaries))].laestab
        else:
            # Pupil referral units: placed after an exclusion during the previous year.
            last_year = AcademicYear(start - 1)
            joined = self.calendar.add_school_days(last_year.first_day, 20 + rng.randrange(140))
            previous = secondaries[rng.randrange(len(secondaries))].laestab
            pupil.year_group = year_group  # the year group of the new year
        self.pupils.append(pupil)
        # The snapshot of the enrolment shows the year group the pupil was in when joining.
        now_year = pupil.year_group
        pupil.year_group = now_year - (start - (joined.year if joined.month >= 9 else joined.year - 1))
        self.enrol(
            pupil,
            school,
            joined,
            previous=previous,
            notified=joined,
            recorded=joined,
            keep=self.emit_baseline,
        )
        pupil.year_group = now_year

    def intake(self) -> None:
        """The first school day: reception and Year 7 intakes, sixth-form and special school
        places filled, arrivals from other LAs delivered."""
        day = self.first_day
        start = self.year.start_year
        primaries = self.by_phase["primary"] or self.schools
        previous: str | None
        for school in self.schools:
            counts: dict[int, int] = {}
            for pupil in school.roll:
                counts[pupil.year_group] = counts.get(pupil.year_group, 0) + 1
            if school.phase == "secondary":
                for pupil in self._transfers.pop(school.urn, []):
                    previous = pupil.previous_laestab
                    self.enrol(pupil, school, day, previous=previous, notified=day, recorded=day)
                    counts[7] = counts.get(7, 0) + 1
            for year_group in _entry_years(school) + ((12,) if school.max_year >= 12 else ()):
                if school.phase == "special" and year_group == 7:
                    continue
                missing = school.year_size.get(year_group, 0) - counts.get(year_group, 0)
                for _ in range(max(0, missing)):
                    if year_group == 0:
                        pupil = new_pupil(school.phase, 0, start, school.laestab, self.rng, self.upns, start)
                        previous = None
                    else:
                        issuer = primaries[self.rng.randrange(len(primaries))]
                        pupil = new_pupil(
                            school.phase, year_group, start, issuer.laestab, self.rng, self.upns
                        )
                        previous = issuer.laestab
                        if year_group == 12:
                            sender = self.other_school(school, 11, exclude=school)
                            previous = sender.laestab if sender is not None else None
                    self.pupils.append(pupil)
                    self.enrol(pupil, school, day, previous=previous, notified=day, recorded=day)
        for arrival_day, pupil, school, previous, _ in self.outside.collect(self.la.code, self.year.last_day):
            self.schedule(arrival_day, partial(self._arrive, pupil, school, arrival_day, previous))

    def _arrive(self, pupil: Pupil, school: School, day: dt.date, previous: str) -> None:
        """A pupil from an LA simulated earlier in this run arrives (same UPN, same history)."""
        pupil.handed_to = None
        self.pupils.append(pupil)
        if day > self.midyear_end or not school.teaches(pupil.year_group):
            return
        pupil.gone = False
        self.enrol(pupil, school, day, previous=previous)

    def leavers(self) -> None:
        """Top-year leavers on the last day of the summer term (recorded that day or in the days
        after, notified on time), and Year 6 pupils matched to their secondary school."""
        day = self.last_day
        rng = self.rng
        secondaries = self.by_phase["secondary"]
        weights = [s.year_size.get(7, 0) for s in secondaries]
        for school in self.schools:
            for pupil in list(school.roll):
                if pupil.year_group != school.max_year and not (
                    pupil.year_group == 11 and school.max_year > 11 and rng.random() > self.rates.stay_on
                ):
                    continue
                recorded = min(day + dt.timedelta(days=rng.randrange(4)), self.window_end)
                if school.phase == "primary":
                    roll = rng.random()
                    if secondaries and roll < 0.93:
                        target = rng.choices(secondaries, weights=weights)[0]
                        pupil.previous_laestab = school.laestab
                        self._transfers.setdefault(target.urn, []).append(pupil)
                        self.delete(pupil, day, "other_school", "school", target.laestab, recorded=recorded)
                    elif roll < 0.97:
                        self.delete(pupil, day, "other_school", "independent", recorded=recorded)
                        pupil.gone = True
                    else:
                        laestab, _ = self.outside_laestab("secondary")
                        self.delete(pupil, day, "other_school", "school", laestab, recorded=recorded)
                        pupil.gone = True
                else:
                    if rng.random() < 0.85 or not secondaries:
                        self.delete(pupil, day, "end_of_compulsory_age", "post16", recorded=recorded)
                    else:
                        sixth = [s for s in secondaries if s.max_year >= 12 and s is not school]
                        target_laestab = sixth[rng.randrange(len(sixth))].laestab if sixth else None
                        kind = "school" if target_laestab else "post16"
                        self.delete(
                            pupil, day, "end_of_compulsory_age", kind, target_laestab, recorded=recorded
                        )
                    pupil.gone = True

    def rollover(self, year: AcademicYear) -> None:
        """A new school year: everyone moves up a year group, then the intake."""
        self.set_year(year)
        for school in self.schools:
            for pupil in school.roll:
                pupil.year_group += 1
        for pupils in self._transfers.values():
            for pupil in pupils:
                pupil.year_group += 1
        self.intake()


def _entry_years(school: School) -> tuple[int, ...]:
    return {"primary": (0,), "secondary": (7,), "special": (0, 7), "ap": ()}[school.phase]
