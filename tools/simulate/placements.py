"""Alternative provision: referrals (with a review date by arrangement), their reviews and ends,
and the background's time-limited placements, reviewed before each review date and ended by the
summer (a dual registration at a pupil referral unit ends with the unit's deletion)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

from tools.simulate.choosing import Chooser
from tools.simulate.population import Pupil, School
from tools.simulate.records import AP_ENDED, AP_REFERRED, SimEvent

# Calendar days from a referral to its review date, by arrangement.
REVIEW_DAYS: Final = {"directed_off_site": 28, "school_commissioned": 42, "dual_registration": 42}
_OBJECTIVES: Final = (
    "Reintegration into full-time mainstream lessons with a behaviour support plan",
    "Re-engage with learning and attend full time; review literacy support",
    "Stabilise attendance and prepare a transition to a new school",
    "Work on emotional regulation with the AP team, then return to the home school",
)
_PROVIDERS: Final = (
    {"name": "Horizons Tuition Ltd"},
    {"name": "Bridge Outreach Education"},
    {"ukprn": "10045871"},
    {"ukprn": "10061234"},
)


class Placements(Chooser):
    """Alternative provision placements."""

    def refer(
        self,
        pupil: Pupil,
        start: dt.date,
        arrangement: str,
        provider: dict[str, str],
        *,
        planned_end: dt.date,
        tier: str = "time_limited",
        after: SimEvent | None = None,
    ) -> SimEvent:
        """A referral starting on `start`, to be reviewed within the arrangement's review days."""
        school = pupil.school
        assert school is not None
        data = {
            "provider": provider,
            "arrangement": arrangement,
            "tier": tier,
            "start_on": start,
            "review_by": start + dt.timedelta(days=REVIEW_DAYS[arrangement]),
            "planned_end_on": max(planned_end, start),
            "objective": self.rng.choice(_OBJECTIVES),
        }
        return self.emit(AP_REFERRED, pupil, school, start, start, data, after=after)

    def review(self, pupil: Pupil, referral: SimEvent, day: dt.date) -> SimEvent:
        """The placement reviewed on `day`: a new referral with the same arrangement, provider
        and planned end, and a new review date."""
        data = referral.data
        return self.refer(
            pupil,
            day,
            data["arrangement"],
            data["provider"],
            planned_end=data["planned_end_on"],
            after=referral,
        )

    def review_day(self, referral: SimEvent) -> dt.date:
        """The last school day at least two days before the referral's review date."""
        return self.school_day_on_or_before(referral.data["review_by"] - dt.timedelta(days=2))

    def end_placement(self, pupil: Pupil, referral: SimEvent, on: dt.date, outcome: str) -> SimEvent:
        school = pupil.school
        assert school is not None
        data = {"referral_event_id": referral.event_id, "ended_on": on, "outcome": outcome}
        return self.emit(AP_ENDED, pupil, school, on, on, data, after=referral)

    # --- the background's placements (each started on a day of the agenda) ------------------------

    def ap(self, arrangement: str) -> Callable[[School], None]:
        def start(school: School) -> None:
            day = self.today()
            if arrangement == "dual_registration" and not self.by_phase["ap"]:
                return
            pupil = self.pick(
                school,
                lambda p: self.free(p, day) and p.school is school and p.year_group < school.max_year,
                weight=lambda p: 0.2 + min(0.8, p.behaviour_risk),
            )
            if pupil is not None:
                self.placement(pupil, day, arrangement)

        return start

    def placement(self, pupil: Pupil, day: dt.date, arrangement: str) -> None:
        """A time-limited AP placement, reviewed in time (a new referral before each review
        date) and ended before the next review date and by the end of the summer term."""
        rng = self.rng
        if self.school_days_between(day, self.last_day) < 10:
            return
        end = min(self.later(day, 20 + rng.randrange(45)), self.days[-3])
        unit: School | None = None
        if arrangement == "dual_registration":
            unit = self.unit_for(pupil)
            if unit is None:
                return
            provider: dict[str, str] = {"urn": unit.urn}
        else:
            provider = dict(_PROVIDERS[rng.randrange(len(_PROVIDERS))])
        pupil.busy_until = end
        pupil.had_ap = True
        home = pupil.school
        assert home is not None
        referral = self.refer(pupil, day, arrangement, provider, planned_end=end)
        if unit is not None:
            self.enrol(pupil, unit, day, previous=home.laestab, status="subsidiary_dual")
        self.schedule(day, lambda: self._placement_step(pupil, referral, end, unit))

    def _placement_step(self, pupil: Pupil, referral: SimEvent, end: dt.date, unit: School | None) -> None:
        if pupil.school is None:
            return
        review_day = max(self.review_day(referral), referral.occurred_on)
        if end < referral.data["review_by"] or review_day >= end:
            self.schedule(end, lambda: self._placement_end(pupil, referral, end, unit))
            return

        def review() -> None:
            if pupil.school is not None:
                self._placement_step(pupil, self.review(pupil, referral, review_day), end, unit)

        self.schedule(review_day, review)

    def _placement_end(self, pupil: Pupil, referral: SimEvent, end: dt.date, unit: School | None) -> None:
        if pupil.school is None:
            return
        ended = self.end_placement(pupil, referral, end, "returned")
        if unit is not None and pupil.dual_school is unit:
            home = pupil.school
            self.delete(
                pupil, end, "dual_registration_ended", "school", home.laestab, school=unit, after=ended
            )
