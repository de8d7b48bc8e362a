"""Injected behaviour: what the alert rules exist to find, planted with a record of each case.

- `offrolling`: a few secondary schools take Year 10-11 pupils (SEN over-represented) off roll
  to home education or to an unknown destination before the spring census; some after a
  suspension, some notified late or recorded late. Meant to fire exam_cohort_exit, and by case
  ehe_vulnerable, no_destination, exclusion_then_exit, late_notification,
  retrospective_deletion; school_exit_pattern when the school's numbers meet it.
- `late_deletion_notice`: a house move whose deletion reaches the LA late or never
  (late_notification).
- `late_admission_notice`: a house move whose admission reaches the LA after the 5th school day
  (late_notification).
- `retrospective_deletion`: a house move whose deletion is recorded 6-20 school days after it
  took effect, half of them also notified then (retrospective_deletion, late_notification).
- `ap_drift`: an AP placement whose review date passes with no review or end
  (ap_review_overdue).
- `vanished`: taken off roll to an unknown destination (20 days' absence, or not back from
  leave) and never enrolled again (no_destination).
- `suspension_limit`: one pupil's suspensions add up to 46-65 school days in the year
  (suspension_limit).
- `high_mobility`: three house moves inside the LA in one school year (high_mobility).

The ground truth is not taken from this table but computed from the events (ground_truth.py);
`InjectedCase.intended` is what the case was built for, and the tests check the ground truth
holds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Final

from tools.simulate.population import Pupil, School
from tools.simulate.rates import stochastic_round
from tools.simulate.records import SimEvent
from tools.simulate.timeline import LASimulation

OFFROLLING: Final = "offrolling"
LATE_DELETION: Final = "late_deletion_notice"
LATE_ADMISSION: Final = "late_admission_notice"
RETROSPECTIVE: Final = "retrospective_deletion"
AP_DRIFT: Final = "ap_drift"
VANISHED: Final = "vanished"
SUSPENSION_LIMIT: Final = "suspension_limit"
HIGH_MOBILITY: Final = "high_mobility"


@dataclass(frozen=True)
class InjectionRates:
    """How much to inject: a share of secondary schools that off-roll, and cases of each other
    behaviour per 10,000 pupils per year (times its weight)."""

    offrolling_share: float = 0.05
    per_10k: float = 5.0
    weights: tuple[tuple[str, float], ...] = (
        (LATE_DELETION, 0.6),
        (LATE_ADMISSION, 0.4),
        (RETROSPECTIVE, 1.0),
        (AP_DRIFT, 0.6),
        (VANISHED, 0.6),
        (SUSPENSION_LIMIT, 0.3),
        (HIGH_MOBILITY, 0.4),
    )
    # Share of an off-rolling school's Year 10-11 roll taken off before the census.
    offrolling_cohort_share: tuple[float, float] = (0.04, 0.07)

    @property
    def enabled(self) -> bool:
        return self.offrolling_share > 0 or self.per_10k > 0


NO_INJECTION: Final = InjectionRates(offrolling_share=0.0, per_10k=0.0)


@dataclass
class InjectedCase:
    case_id: str
    behaviour: str
    la_code: str
    school_urn: str
    upn: str | None
    intended: set[str]
    event_ids: list[str] = field(default_factory=list)


class Injector:
    """Plans the injected cases of one LA, year by year, on the simulation's agenda."""

    def __init__(self, sim: LASimulation, rates: InjectionRates) -> None:
        self.sim = sim
        self.rates = rates
        self.cases: list[InjectedCase] = []
        self._count = 0

    def _case(self, behaviour: str, school: School, pupil: Pupil | None, intended: set[str]) -> InjectedCase:
        self._count += 1
        case = InjectedCase(
            f"{self.sim.la.code}-{self._count:05d}",
            behaviour,
            self.sim.la.code,
            school.urn,
            pupil.upn if pupil else None,
            intended,
        )
        self.cases.append(case)
        return case

    def _track(self, case: InjectedCase, *events: SimEvent) -> None:
        for event in events:
            event.behaviour = case.behaviour
            event.case_id = case.case_id
            case.event_ids.append(event.event_id)

    def choose_offrolling_schools(self, *, at_least_one: bool) -> None:
        """Mark the off-rolling secondary schools: the share, rounded at random (at least one
        when `at_least_one`, as for a named LA)."""
        sim = self.sim
        secondaries = sim.by_phase["secondary"]
        if not secondaries or self.rates.offrolling_share <= 0:
            return
        count = stochastic_round(self.rates.offrolling_share * len(secondaries), sim.rng)
        if at_least_one:
            count = max(1, count)
        for school in sim.rng.sample(secondaries, min(count, len(secondaries))):
            school.offrolling = True

    def plan_year(self) -> None:
        sim = self.sim
        for school in sim.by_phase["secondary"]:
            if school.offrolling:
                self._plan_offrolling(school)
        pupils = sum(len(s.roll) for s in sim.schools)
        first = sim.first_day
        plans: dict[str, tuple[Callable[[dt.date], None], dt.date]] = {
            LATE_DELETION: (self._late_deletion, sim.later(first, 150)),
            LATE_ADMISSION: (self._late_admission, sim.later(first, 150)),
            RETROSPECTIVE: (self._retrospective, sim.later(first, 140)),
            AP_DRIFT: (self._ap_drift, sim.later(first, 120)),
            VANISHED: (self._vanished, sim.later(first, 150)),
            SUSPENSION_LIMIT: (self._suspension_limit, sim.later(first, 30)),
            HIGH_MOBILITY: (self._high_mobility, dt.date(sim.year.start_year, 11, 15)),
        }
        for behaviour, weight in self.rates.weights:
            action, last = plans[behaviour]
            for _ in range(stochastic_round(self.rates.per_10k * weight * pupils / 10_000, sim.rng)):
                day = sim.random_day(first, min(last, sim.midyear_end))
                if day is not None:
                    sim.schedule(day, partial(action, day))

    # --- helpers ----------------------------------------------------------------------------------

    def _mainstream_pupil(self, day: dt.date, ok: Callable[[Pupil], bool] | None = None) -> Pupil | None:
        """A pupil of a primary or secondary school (not an off-rolling one), not in its entry or
        top year nor in Years 10-11, free of other processes and of recent exclusions."""
        sim = self.sim
        schools = sim.by_phase["primary"] + sim.by_phase["secondary"]

        def fits(pupil: Pupil) -> bool:
            school = pupil.school
            return (
                school is not None
                and sim.free(pupil, day)
                and not school.offrolling
                and pupil.year_group not in (10, 11, school.max_year, school.min_year)
                and not sim.recently_excluded(pupil, school, day)
                and (ok is None or ok(pupil))
            )

        for _ in range(40):
            if not schools:
                return None
            pupil = sim.pick(schools[sim.rng.randrange(len(schools))], fits)
            if pupil is not None:
                return pupil
        return None

    def _house_move(
        self, day: dt.date, behaviour: str, intended: set[str], **changes: dict[str, object]
    ) -> tuple[InjectedCase, SimEvent, SimEvent] | None:
        sim = self.sim
        arrive = sim.later(day, 1 + sim.rng.randrange(3))
        pupil = self._mainstream_pupil(day, lambda p: sim.can_change(p, arrive))
        if pupil is None or pupil.school is None:
            return None
        target = sim.other_school(pupil.school, pupil.year_group)
        if target is None:
            return None
        case = self._case(behaviour, pupil.school, pupil, intended)
        gone, came = sim.move(pupil, day, target, arrive, known=True, **changes)  # type: ignore[arg-type]
        self._track(case, gone, came)
        pupil.busy_until = sim.later(arrive, 5)
        return case, gone, came

    def _while_on_roll(self, case: InjectedCase, pupil: Pupil, make: Callable[[], SimEvent]) -> None:
        """Make the case's next event, unless the pupil has left."""
        if pupil.school is not None and not pupil.gone:
            self._track(case, make())

    def _day_between(self, first: dt.date, last: dt.date) -> dt.date | None:
        return self.sim.random_day(max(first, self.sim.first_day), min(last, self.sim.midyear_end))

    # --- behaviours -------------------------------------------------------------------------------

    def _plan_offrolling(self, school: School) -> None:
        sim = self.sim
        rng = sim.rng
        cohort = [p for p in school.roll if p.year_group in (10, 11) and not p.gone]
        low, high = self.rates.offrolling_cohort_share
        count = max(5, round(len(cohort) * rng.uniform(low, high)))
        chosen: list[Pupil] = []
        pool = list(cohort)
        while pool and len(chosen) < count:
            pupil = pool.pop(rng.randrange(len(pool)))
            weight = 1.0 if pupil.send or pupil.behaviour_risk > 0 else 0.25
            if rng.random() < weight:
                chosen.append(pupil)
        for pupil in chosen:
            day = sim.random_day(dt.date(sim.year.start_year, 10, 1), sim.census - dt.timedelta(days=1))
            if day is None:
                continue
            pupil.busy_until = sim.year.last_day
            sim.schedule(day, partial(self._offroll, pupil, school, day))

    def _offroll(self, pupil: Pupil, school: School, day: dt.date) -> None:
        sim = self.sim
        rng = sim.rng
        if pupil.school is not school or pupil.gone or pupil.dual_school is not None:
            return
        to_home_education = rng.random() < 0.6
        intended = {"exam_cohort_exit"}
        case = self._case(OFFROLLING, school, pupil, intended)
        events: list[SimEvent] = []
        if rng.random() < 0.3:
            start = sim.days[max(0, sim.days.index(day) - 3 - rng.randrange(12))]
            if start < day and sim.school_days_between(start, day) <= 30:
                used = pupil.sessions_by_year.get(sim.year.start_year, 0)
                sessions = min(rng.choice((2, 4, 6)), 90 - used)
                if sessions >= 1:
                    events.append(sim.suspend(pupil, start, sessions))
                    intended.add("exclusion_then_exit")
        notice = rng.random()
        notified: dt.date | None = day
        if notice < 0.2:
            notified = day + dt.timedelta(days=5 + rng.randrange(20))
            intended.add("late_notification")
        elif notice < 0.3:
            notified = None
            intended.add("late_notification")
        recorded = None
        if rng.random() < 0.15:
            recorded = sim.later(day, 6 + rng.randrange(14))
            intended.add("retrospective_deletion")
            if notified is not None and notified > recorded:
                notified = recorded
        if to_home_education:
            gone = sim.delete(
                pupil, day, "home_education", "home_education", ctf=None, notified=notified, recorded=recorded
            )
            if pupil.send or pupil.looked_after or pupil.child_in_need or events:
                intended.add("ehe_vulnerable")
        else:
            ground = rng.choice(("absent_20_days", "leave_not_returned"))
            gone = sim.delete(pupil, day, ground, "unknown", notified=notified, recorded=recorded)
            intended.add("no_destination")
        pupil.gone = True
        self._track(case, *events, gone)

    def _late_deletion(self, day: dt.date) -> None:
        rng = self.sim.rng
        notified = None if rng.random() < 0.35 else day + dt.timedelta(days=3 + rng.randrange(18))
        self._house_move(day, LATE_DELETION, {"late_notification"}, deletion={"notified": notified})

    def _late_admission(self, day: dt.date) -> None:
        """The admission is notified late, or (no notification) recorded late: either way the LA
        hears of it after the 5th school day."""
        sim = self.sim
        moved = self._house_move(day, LATE_ADMISSION, {"late_notification"})
        if moved is None:
            return
        came = moved[2]
        late = sim.later(came.occurred_on, 7 + sim.rng.randrange(9))
        if sim.rng.random() < 0.5:
            came.data["la_notified_on"] = late
        else:
            came.data["la_notified_on"] = None
            came.recorded_at = came.recorded_at.replace(year=late.year, month=late.month, day=late.day)

    def _retrospective(self, day: dt.date) -> None:
        sim = self.sim
        recorded = sim.later(day, 6 + sim.rng.randrange(15))
        intended = {"retrospective_deletion"}
        notified = day
        if sim.rng.random() < 0.5:
            notified = recorded
            intended.add("late_notification")
        self._house_move(day, RETROSPECTIVE, intended, deletion={"recorded": recorded, "notified": notified})

    def _ap_drift(self, day: dt.date) -> None:
        sim = self.sim
        rng = sim.rng
        pupil = self._mainstream_pupil(day, lambda p: p.school is not None and p.school.phase == "secondary")
        if pupil is None or pupil.school is None:
            return
        arrangement = rng.choice(("directed_off_site", "school_commissioned"))
        provider = rng.choice(
            ({"name": "Second Chance Tuition"}, {"name": "Pathways Outreach"}, {"ukprn": "10077331"})
        )
        case = self._case(AP_DRIFT, pupil.school, pupil, {"ap_review_overdue"})
        pupil.busy_until = sim.year.last_day
        pupil.had_ap = True
        referral = sim.refer(pupil, day, arrangement, provider, planned_end=sim.later(day, 60))
        self._track(case, referral)
        if rng.random() < 0.3:  # one review on time, then the drift
            review_day = sim.review_day(referral)
            if review_day > day:
                referral = sim.review(pupil, referral, review_day)
                self._track(case, referral)
        if rng.random() < 0.5:
            ended_on = sim.later(referral.data["review_by"], 20 + rng.randrange(30))
            if ended_on < sim.days[-2]:
                end = partial(sim.end_placement, pupil, referral, ended_on, "returned")
                sim.schedule(ended_on, partial(self._while_on_roll, case, pupil, end))

    def _vanished(self, day: dt.date) -> None:
        sim = self.sim
        pupil = self._mainstream_pupil(day)
        if pupil is None or pupil.school is None:
            return
        case = self._case(VANISHED, pupil.school, pupil, {"no_destination"})
        ground = "absent_20_days" if sim.rng.random() < 0.7 else "leave_not_returned"
        self._track(case, sim.delete(pupil, day, ground, "unknown"))
        pupil.gone = True

    def _suspension_limit(self, day: dt.date) -> None:
        sim = self.sim
        rng = sim.rng
        target = 92 + rng.randrange(40)
        parts = 4 + rng.randrange(3)
        sizes = [target // parts] * parts
        sizes[-1] += target - sum(sizes)
        starts, cursor = [], day
        for sessions in sizes:
            starts.append(cursor)
            cursor = sim.later(cursor, (sessions + 1) // 2 + 2 + rng.randrange(8))
        if starts[-1] > sim.later(sim.first_day, 170):
            return
        pupil = self._mainstream_pupil(
            day, lambda p: p.school is not None and p.school.phase == "secondary" and not p.sessions_by_year
        )
        if pupil is None or pupil.school is None:
            return
        case = self._case(SUSPENSION_LIMIT, pupil.school, pupil, {"suspension_limit"})
        pupil.busy_until = sim.year.last_day
        for start, sessions in zip(starts, sizes, strict=True):
            suspend = partial(sim.suspend, pupil, start, sessions)
            sim.schedule(start, partial(self._while_on_roll, case, pupil, suspend))

    def _high_mobility(self, first: dt.date) -> None:
        sim = self.sim
        year = sim.year.start_year
        second = self._day_between(dt.date(year + 1, 1, 10), dt.date(year + 1, 2, 28))
        third = self._day_between(dt.date(year + 1, 4, 20), dt.date(year + 1, 6, 10))
        if second is None or third is None:
            return
        pupil = self._mainstream_pupil(
            first, lambda p: not [c for c in p.change_dates if c >= dt.date(year - 1, 6, 1)]
        )
        if pupil is None or pupil.school is None:
            return
        case = self._case(HIGH_MOBILITY, pupil.school, pupil, {"high_mobility"})
        pupil.busy_until = sim.year.last_day
        self._mobility_step(case, pupil, first)
        for day in (second, third):
            sim.schedule(day, partial(self._mobility_step, case, pupil, day))

    def _mobility_step(self, case: InjectedCase, pupil: Pupil, day: dt.date) -> None:
        sim = self.sim
        if pupil.school is None or pupil.gone:
            return
        target = sim.other_school(pupil.school, pupil.year_group)
        if target is None:
            return
        gone, came = sim.move(pupil, day, target, sim.later(day, 1 + sim.rng.randrange(3)), known=True)
        self._track(case, gone, came)
