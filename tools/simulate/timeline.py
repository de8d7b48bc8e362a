"""One LA's school years, event by event: the roll at the start, the September intake and the
summer leavers, and the background of a normal year (house moves, transfers, home education,
suspensions, permanent exclusions, alternative provision, managed moves).

Background rates are per pupil per year (`BackgroundRates`). Every process runs in date order off
one agenda, so a pupil's events come in the order a school would record them. The background
is built to stay clear of the alert rules where practical (docs/domain.md, "Alert rules"):
- deletions name their destination, are recorded within 2 school days and notified on time;
  admissions are notified within 2 school days;
- no pupil is moved so often that high_mobility would fire (the next September transfer counted);
- no background deletion follows a suspension at the same school within 31 school days;
- suspensions of one pupil stay within 45 school days a year;
- AP placements are reviewed or ended before their review date and end by the summer;
- no mid-year deletions after 30 June (July is for leavers), so the end-of-year exemptions of
  the rules never decide anything for the background.
Where the background legitimately meets a rule (home education of a pupil with SEN, a Year 10-11
exit to home education or abroad, a school's chance run of exits) the ground truth lists the
alert as background (ground_truth.py).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from typing import Any, Final

from schemas.codelists import exclusion_reasons_in, regulation_2024_in_force
from services.alerts.calendar import AcademicYear, SchoolCalendar, census_days, months_before
from tools.simulate.population import (
    LocalAuthority,
    Phase,
    Pupil,
    School,
    UpnAllocator,
    new_pupil,
)
from tools.simulate.records import (
    AP_ENDED,
    AP_REFERRED,
    DELETED,
    ENROLLED,
    EXCLUDED,
    SUSPENDED,
    SimEvent,
    event_id,
    local_time,
)

CTF_UNKNOWN: Final = "XXXXXXX"
CTF_ELSEWHERE: Final = "MMMMMMM"
_REG_2024: Final = regulation_2024_in_force()
# Relative frequency of reason codes (persistent disruption leads, then abuse and assault).
_REASON_WEIGHTS: Final = {
    "PD": 40, "VA": 14, "PA": 9, "VP": 8, "PP": 8, "DA": 4, "DM": 3, "BU": 2, "RA": 2, "SM": 2,
    "OW": 2, "MT": 2, "TH": 1, "LG": 1, "DS": 1, "DB": 40, "OT": 5,
}  # fmt: skip
_SESSIONS: Final = ((1, 10), (2, 34), (3, 6), (4, 22), (6, 12), (10, 10), (20, 4), (30, 2))
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
MIDYEAR_LAST_MONTH_DAY: Final = (6, 30)
REVIEW_DAYS: Final = {"directed_off_site": 28, "school_commissioned": 42, "dual_registration": 42}


@dataclass(frozen=True)
class BackgroundRates:
    """Per pupil per school year, by phase (primary, secondary, special, ap)."""

    house_move: tuple[float, float, float, float] = (0.020, 0.015, 0.005, 0.0)
    # Of house moves inside the LA: the old school does not know the new school yet.
    destination_unknown_share: float = 0.15
    move_out_of_la: tuple[float, float, float, float] = (0.010, 0.008, 0.003, 0.0)
    abroad: tuple[float, float, float, float] = (0.003, 0.003, 0.001, 0.0)
    transfer: tuple[float, float, float, float] = (0.006, 0.006, 0.0, 0.0)
    independent: tuple[float, float, float, float] = (0.003, 0.003, 0.0, 0.0)
    home_education: tuple[float, float, float, float] = (0.008, 0.022, 0.010, 0.02)
    managed_move: tuple[float, float, float, float] = (0.0, 0.0015, 0.0, 0.0)
    # Per 100 pupils (docs/domain.md: 11.3 suspensions, 0.13 permanent exclusions per 100 a year).
    suspensions: tuple[float, float, float, float] = (1.8, 22.0, 12.0, 40.0)
    exclusions: tuple[float, float, float, float] = (0.03, 0.30, 0.05, 0.0)
    exclusion_reinstated_share: float = 0.05
    ap_directed: tuple[float, float, float, float] = (0.0, 0.004, 0.0, 0.0)
    ap_commissioned: tuple[float, float, float, float] = (0.0005, 0.003, 0.0, 0.0)
    ap_dual: tuple[float, float, float, float] = (0.0005, 0.003, 0.0, 0.0)
    # Newcomers from outside the LA or abroad, to balance moves out.
    arrivals: tuple[float, float, float, float] = (0.013, 0.011, 0.004, 0.0)
    # Year 11s of a school with a sixth form who stay on.
    stay_on: float = 0.55


_PHASE_INDEX: Final[dict[Phase, int]] = {"primary": 0, "secondary": 1, "special": 2, "ap": 3}


def rate(table: tuple[float, float, float, float], phase: Phase) -> float:
    return table[_PHASE_INDEX[phase]]


def poisson(mean: float, rng: random.Random) -> int:
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def stochastic_round(value: float, rng: random.Random) -> int:
    whole = int(value)
    return whole + (rng.random() < value - whole)


@dataclass
class Outside:
    """Schools outside this LA that pupils move to or come from: real schools of the other LAs
    in an England run (with a mailbox per LA for pupils still to arrive), otherwise made-up
    LAESTABs of neighbouring LAs."""

    other_la_codes: list[str]
    schools_by_la: dict[str, list[School]] = field(default_factory=dict)
    mailbox: dict[str, list[tuple[dt.date, Pupil, School, str, str]]] = field(default_factory=dict)
    # LAs still to be simulated in this run (arrivals can be delivered to them).
    pending: set[str] = field(default_factory=set)
    # An England run: newcomers come from abroad (a made-up LAESTAB elsewhere in England could
    # clash with the UPNs of a simulated school).
    england: bool = False


class LASimulation:
    """Everything that happens in one LA over the simulated years."""

    def __init__(
        self,
        la: LocalAuthority,
        schools: list[School],
        calendar: SchoolCalendar,
        rng: random.Random,
        upns: UpnAllocator,
        outside: Outside,
        *,
        rates: BackgroundRates | None = None,
        emit_baseline: bool = True,
        quiet_background: bool = False,
    ) -> None:
        self.la = la
        self.schools = schools
        self.calendar = calendar
        self.rng = rng
        self.upns = upns
        self.outside = outside
        self.rates = rates or BackgroundRates()
        self.emit_baseline = emit_baseline
        self.quiet_background = quiet_background
        self.by_phase: dict[Phase, list[School]] = {p: [] for p in ("primary", "secondary", "special", "ap")}
        for school in schools:
            self.by_phase[school.phase].append(school)
        self.events: list[SimEvent] = []
        self.pupils: list[Pupil] = []
        self._seq = 0
        self._agenda: list[tuple[dt.date, int, Callable[[], None]]] = []
        self._agenda_seq = 0
        self._first_days: dict[int, dt.date] = {}
        self._prone: dict[str, tuple[list[Pupil], list[float]]] = {}
        # Y6 leavers waiting for their secondary: school urn -> pupils.
        self._transfers: dict[str, list[Pupil]] = {}
        self.year = AcademicYear(2025)
        self.days: list[dt.date] = []
        self.window_end = dt.date.max

    # --- the year's dates -------------------------------------------------------------------------

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

    def schedule(self, day: dt.date, action: Callable[[], None]) -> None:
        self._agenda_seq += 1
        heapq.heappush(self._agenda, (day, self._agenda_seq, action))

    def school_day_on_or_before(self, day: dt.date) -> dt.date:
        index = bisect_right(self.days, day) - 1
        return self.days[max(index, 0)]

    # --- events -----------------------------------------------------------------------------------

    def emit(
        self,
        kind: str,
        pupil: Pupil,
        school: School,
        occurred_on: dt.date,
        recorded_on: dt.date,
        data: dict[str, Any],
        *,
        behaviour: str = "",
        case_id: str = "",
        after: SimEvent | None = None,
        minute: int | None = None,
        keep: bool = True,
    ) -> SimEvent:
        self._seq += 1
        recorded = local_time(recorded_on, minute if minute is not None else 480 + self.rng.randrange(570))
        if after is not None and recorded <= after.recorded_at:
            recorded = after.recorded_at + dt.timedelta(minutes=1 + self.rng.randrange(30))
        event = SimEvent(
            type=kind,
            event_id=event_id(self.rng),
            upn=pupil.upn,
            school_urn=school.urn,
            la_code=school.la_code,
            occurred_on=occurred_on,
            recorded_at=recorded,
            date_of_birth=pupil.date_of_birth,
            year_group=pupil.year_group,
            sen=pupil.sen,
            fsm=pupil.fsm,
            looked_after=pupil.looked_after,
            child_in_need=pupil.child_in_need,
            data=data,
            seq=self._seq,
            behaviour=behaviour,
            case_id=case_id,
        )
        if keep:
            self.events.append(event)
            pupil.history.append(event)
        return event

    def enrol(
        self,
        pupil: Pupil,
        school: School,
        on: dt.date,
        *,
        previous: str | None,
        status: str = "single",
        notified: dt.date | str | None = "on_time",
        recorded: dt.date | None = None,
        managed_move: bool = False,
        behaviour: str = "",
        case_id: str = "",
        keep: bool = True,
    ) -> SimEvent:
        if notified == "on_time":
            notified = self.record_day(on, 0, 0, 1, 2) if on >= self.first_day else on
        if recorded is None:
            recorded = on if on < self.first_day else self.record_day(on, 0, 0, 1)
        assert not isinstance(notified, str)
        data = {
            "enrolment_status": status,
            "previous_school": previous,
            "la_notified_on": notified,
            "managed_move": managed_move,
        }
        if status == "subsidiary_dual":
            school.duals.append(pupil)
            pupil.dual_school = school
        else:
            if pupil.school is not None:
                pupil.school.remove(pupil)
            school.add(pupil)
            pupil.status = status
            if (pupil.last_counted_urn is None and previous is not None) or (
                pupil.last_counted_urn is not None and pupil.last_counted_urn != school.urn
            ):
                pupil.change_dates.append(on)
            pupil.last_counted_urn = school.urn
        return self.emit(
            ENROLLED, pupil, school, on, recorded, data, behaviour=behaviour, case_id=case_id, keep=keep
        )

    def delete(
        self,
        pupil: Pupil,
        on: dt.date,
        ground: str,
        kind: str,
        laestab: str | None = None,
        *,
        school: School | None = None,
        ctf: str | bool | None = True,
        notified: dt.date | str | None = "on_time",
        recorded: dt.date | None = None,
        behaviour: str = "",
        case_id: str = "",
        after: SimEvent | None = None,
    ) -> SimEvent:
        school = school or pupil.school
        assert school is not None
        if ctf is True:
            ctf = _ctf_for(kind, laestab)
        if notified == "on_time":
            notified = on
        if recorded is None:
            recorded = self.record_day(on, 0, 0, 1, 2)
        assert not isinstance(notified, str) and not isinstance(ctf, bool)
        destination: dict[str, Any] = {"kind": kind}
        if laestab is not None:
            destination["laestab"] = laestab
        data = {
            "ground": ground,
            "regulation": "2024" if on >= _REG_2024 else "2006",
            "destination": destination,
            "la_notified_on": notified,
            "ctf_destination": ctf,
        }
        if pupil.dual_school is school:
            school.duals.remove(pupil)
            pupil.dual_school = None
        elif pupil.school is school:
            school.remove(pupil)
        return self.emit(
            DELETED, pupil, school, on, recorded, data, behaviour=behaviour, case_id=case_id, after=after
        )

    def suspend(
        self,
        pupil: Pupil,
        start: dt.date,
        sessions: int,
        *,
        behaviour: str = "",
        case_id: str = "",
    ) -> SimEvent:
        school = pupil.school
        assert school is not None
        year = self.year.start_year
        pupil.sessions_by_year[year] = pupil.sessions_by_year.get(year, 0) + sessions
        pupil.last_exclusion = max(pupil.last_exclusion or start, start)
        pupil.exclusion_school = school.urn
        recorded = self.record_day(start, 0, 0, 1)
        data = {"start_on": start, "sessions": sessions, "reasons": self.reasons(start)}
        return self.emit(
            SUSPENDED, pupil, school, start, recorded, data, behaviour=behaviour, case_id=case_id
        )

    def exclude(
        self, pupil: Pupil, on: dt.date, review: str, reasons: list[str], recorded: dt.date
    ) -> SimEvent:
        school = pupil.school
        assert school is not None
        pupil.last_exclusion = max(pupil.last_exclusion or on, on)
        pupil.exclusion_school = school.urn
        return self.emit(EXCLUDED, pupil, school, on, recorded, {"reasons": reasons, "review": review})

    def refer(
        self,
        pupil: Pupil,
        start: dt.date,
        arrangement: str,
        provider: dict[str, str],
        *,
        review_by: dt.date,
        planned_end: dt.date,
        tier: str = "time_limited",
        behaviour: str = "",
        case_id: str = "",
        after: SimEvent | None = None,
    ) -> SimEvent:
        school = pupil.school
        assert school is not None
        data = {
            "provider": provider,
            "arrangement": arrangement,
            "tier": tier,
            "start_on": start,
            "review_by": review_by,
            "planned_end_on": max(planned_end, start),
            "objective": self.rng.choice(_OBJECTIVES),
        }
        return self.emit(
            AP_REFERRED, pupil, school, start, start, data, behaviour=behaviour, case_id=case_id, after=after
        )

    def end_placement(
        self, pupil: Pupil, referral: SimEvent, on: dt.date, outcome: str, *, behaviour: str = ""
    ) -> SimEvent:
        school = pupil.school
        assert school is not None
        data = {"referral_event_id": referral.event_id, "ended_on": on, "outcome": outcome}
        return self.emit(
            AP_ENDED,
            pupil,
            school,
            on,
            on,
            data,
            behaviour=behaviour,
            case_id=referral.case_id,
            after=referral,
        )

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

    # --- pupils -----------------------------------------------------------------------------------

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

    def outside_laestab(self, phase: Phase) -> tuple[str, School | None]:
        """A school in another LA: (LAESTAB, the School when that LA is simulated later)."""
        codes = self.outside.other_la_codes
        code = codes[self.rng.randrange(len(codes))]
        pending = [c for c in self.outside.pending if c != self.la.code]
        if pending and self.rng.random() < 0.8:
            code = pending[self.rng.randrange(len(pending))]
        schools = [s for s in self.outside.schools_by_la.get(code, []) if s.phase == phase]
        if schools and code in self.outside.pending:
            school = schools[self.rng.randrange(len(schools))]
            return school.laestab, school
        base = 4001 if phase == "secondary" else 2001
        return f"{code}{base + self.rng.randrange(400):04d}", None

    # --- the roll at the start --------------------------------------------------------------------

    def populate(self, year: AcademicYear) -> None:
        """The pupils on roll before the first day, and their enrolments (dated when they
        joined); then the September intake on the first day."""
        self.set_year(year)
        primaries = self.by_phase["primary"] or self.schools
        secondaries = self.by_phase["secondary"] or self.schools
        for school in self.schools:
            entry_years = self._entry_years(school)
            for year_group, size in school.year_size.items():
                if year_group in entry_years:
                    continue
                for _ in range(size):
                    self._baseline_pupil(school, year_group, primaries, secondaries)
        self.intake()

    def _entry_years(self, school: School) -> tuple[int, ...]:
        return {"primary": (0,), "secondary": (7,), "special": (0, 7), "ap": ()}[school.phase]

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
            for year_group in self._entry_years(school) + ((12,) if school.max_year >= 12 else ()):
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
        waiting = self.outside.mailbox.get(self.la.code, [])
        now = [entry for entry in waiting if entry[0] <= self.year.last_day]
        self.outside.mailbox[self.la.code] = [entry for entry in waiting if entry[0] > self.year.last_day]
        for arrival_day, pupil, school, previous, _ in now:
            self.schedule(arrival_day, partial(self._arrive, pupil, school, arrival_day, previous))

    def _arrive(self, pupil: Pupil, school: School, day: dt.date, previous: str) -> None:
        """A pupil from an LA simulated earlier in this run arrives (same UPN, same history)."""
        pupil.handed_to = None
        self.pupils.append(pupil)
        if day > self.midyear_end or not school.teaches(pupil.year_group):
            return
        pupil.gone = False
        self.enrol(pupil, school, day, previous=previous)

    # --- the end of the year ----------------------------------------------------------------------

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

    # --- the background ---------------------------------------------------------------------------

    def plan_background(self) -> None:
        """Put the year's background processes on the agenda, per school, at random school days."""
        rng, r = self.rng, self.rates
        midyear = self.midyear_end
        self._prone = {}
        for school in self.schools:
            roll = len(school.roll)
            phase = school.phase
            prone = [p for p in school.roll if p.behaviour_risk > 0]
            self._prone[school.urn] = (prone, list(accumulate(p.behaviour_risk for p in prone)))

            def spread(
                mean: float, action: Callable[[School], None], last: dt.date, sch: School = school
            ) -> None:
                for _ in range(poisson(mean, rng)):
                    day = self.random_day(self.first_day, last)
                    if day is not None:
                        self.schedule(day, partial(action, sch))

            spread(roll * rate(r.house_move, phase), self._house_move, midyear)
            spread(roll * rate(r.move_out_of_la, phase), self._move_out, midyear)
            spread(roll * rate(r.abroad, phase), self._abroad, midyear)
            spread(roll * rate(r.transfer, phase), self._transfer, midyear)
            spread(roll * rate(r.independent, phase), self._independent, midyear)
            spread(roll * rate(r.home_education, phase), self._home_education, midyear)
            spread(roll * rate(r.managed_move, phase), self._managed_move, midyear)
            spread(roll * rate(r.suspensions, phase) / 100, self._suspension, self.days[-8])
            spread(roll * rate(r.exclusions, phase) / 100, self._exclusion, self.later(self.first_day, 120))
            spread(
                roll * rate(r.ap_directed, phase),
                self._ap("directed_off_site"),
                self.later(self.first_day, 130),
            )
            spread(
                roll * rate(r.ap_commissioned, phase),
                self._ap("school_commissioned"),
                self.later(self.first_day, 130),
            )
            spread(
                roll * rate(r.ap_dual, phase), self._ap("dual_registration"), self.later(self.first_day, 130)
            )
            spread(roll * rate(r.arrivals, phase), self._arrival, midyear)
            if phase == "ap":
                spread(len(school.roll) * 0.5, self._ap_moves_on, midyear)

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

    def _house_move(self, school: School) -> None:
        day = self._agenda_day()
        arrive = self.later(day, 1 + self.rng.randrange(4))
        pupil = self.pick(school, self._move_ok(school, day, arrive))
        if pupil is None:
            return
        target = self.other_school(school, pupil.year_group)
        if target is None:
            return
        self.move(pupil, day, target, arrive)

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
        behaviour: str = "",
        case_id: str = "",
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
        if known:
            gone = self.delete(
                pupil,
                day,
                ground,
                "school",
                target.laestab,
                behaviour=behaviour,
                case_id=case_id,
                **(deletion or {}),
            )
        else:
            gone = self.delete(
                pupil,
                day,
                "moved_away",
                "moved_away",
                behaviour=behaviour,
                case_id=case_id,
                **(deletion or {}),
            )
        came = self.enrol(
            pupil,
            target,
            arrive,
            previous=school.laestab,
            managed_move=managed,
            behaviour=behaviour,
            case_id=case_id,
            **(enrolment or {}),
        )
        return gone, came

    def _move_out(self, school: School) -> None:
        day = self._agenda_day()
        pupil = self.pick(school, self._exit_ok(school, day))
        if pupil is None:
            return
        laestab, target = self.outside_laestab("primary" if school.phase == "primary" else "secondary")
        self.delete(pupil, day, "moved_away", "school", laestab)
        pupil.gone = True
        if target is not None and target.la_code in self.outside.pending:
            arrive = self.later(day, 1 + self.rng.randrange(4))
            pupil.handed_to = target.la_code
            self.outside.mailbox.setdefault(target.la_code, []).append(
                (arrive, pupil, target, school.laestab, self.la.code)
            )

    def _abroad(self, school: School) -> None:
        day = self._agenda_day()
        pupil = self.pick(school, self._exit_ok(school, day))
        if pupil is None:
            return
        self.delete(pupil, day, "moved_away", "abroad")
        pupil.gone = True

    def _transfer(self, school: School) -> None:
        day = self._agenda_day()
        arrive = self.later(day, 1)
        pupil = self.pick(school, self._move_ok(school, day, arrive))
        if pupil is None or not self.quiet_ok(pupil, day):
            return
        target = self.other_school(school, pupil.year_group)
        if target is not None:
            self.move(pupil, day, target, arrive, ground="other_school", known=True)

    def _independent(self, school: School) -> None:
        day = self._agenda_day()
        pupil = self.pick(school, self._exit_ok(school, day))
        if pupil is None:
            return
        self.delete(
            pupil, day, "other_school", "independent", f"{self.la.code}{6001 + self.rng.randrange(300):04d}"
        )
        pupil.gone = True

    def _home_education(self, school: School) -> None:
        day = self._agenda_day()
        pupil = self.pick(school, self._exit_ok(school, day))
        if pupil is None:
            return
        self.delete(pupil, day, "home_education", "home_education", ctf=None)
        pupil.gone = True

    def _managed_move(self, school: School) -> None:
        day = self._agenda_day()
        arrive = self.later(day, 1)

        def ok(p: Pupil) -> bool:
            return p.last_exclusion is not None and self._move_ok(school, day, arrive)(p)

        pupil = self.pick(school, ok, tries=60)
        if pupil is None:
            return
        target = self.other_school(school, pupil.year_group)
        if target is not None:
            self.move(pupil, day, target, arrive, ground="other_school", known=True, managed=True)

    def _arrival(self, school: School) -> None:
        day = self._agenda_day()
        years = [y for y in school.year_size if y != school.min_year or school.phase != "primary"]
        year_group = years[self.rng.randrange(len(years))] if years else school.min_year
        if school.phase == "ap":
            return
        if self.outside.england or self.rng.random() < 0.25:
            previous = CTF_ELSEWHERE
            pupil = new_pupil(
                school.phase, year_group, self.year.start_year, school.laestab, self.rng, self.upns
            )
        else:
            previous, _ = self.outside_laestab("primary" if year_group <= 6 else "secondary")
            pupil = new_pupil(school.phase, year_group, self.year.start_year, previous, self.rng, self.upns)
        self.pupils.append(pupil)
        self.enrol(pupil, school, day, previous=previous)

    def _suspension(self, school: School) -> None:
        day = self._agenda_day()

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

    def _exclusion(self, school: School) -> None:
        day = self._agenda_day()
        pupil = self.pick_prone(school, lambda p: self.free(p, day) and p.school is school)
        if pupil is None:
            return
        reasons = self.reasons(day)
        pex = self.exclude(pupil, day, "pending", reasons, self.record_day(day, 0, 1))
        deleted_on = self.later(day, 31 + self.rng.randrange(10))
        pupil.busy_until = deleted_on
        if self.rng.random() < self.rates.exclusion_reinstated_share:
            review_day = self.later(day, 10 + self.rng.randrange(5))
            self.schedule(review_day, lambda: self._reinstate(pupil, pex, review_day))
            pupil.busy_until = review_day
            return
        self.schedule(deleted_on, lambda: self._excluded_off_roll(pupil, school, pex, deleted_on))

    def _reinstate(self, pupil: Pupil, pex: SimEvent, day: dt.date) -> None:
        if pupil.school is not None:
            self.exclude(pupil, pex.occurred_on, "reinstated", list(pex.data["reasons"]), day)

    def _excluded_off_roll(self, pupil: Pupil, school: School, pex: SimEvent, day: dt.date) -> None:
        if pupil.school is not school:
            return
        units = [s for s in self.by_phase["ap"] if s.teaches(pupil.year_group)]
        target = (
            units[self.rng.randrange(len(units))] if units else self.other_school(school, pupil.year_group)
        )
        if target is None:
            # No unit or other school here: the LA places the pupil in a neighbouring LA's unit.
            laestab, _ = self.outside_laestab("secondary")
            self.delete(pupil, day, "permanently_excluded", "school", laestab, after=pex)
            pupil.gone = True
            return
        self.delete(pupil, day, "permanently_excluded", "school", target.laestab, after=pex)
        self.enrol(pupil, target, self.later(day, 1), previous=school.laestab)

    def _ap_moves_on(self, unit: School) -> None:
        """A pupil single-registered at a PRU moves on to a mainstream school."""
        day = self._agenda_day()
        arrive = self.later(day, 1)
        pupil = self.pick(unit, self._move_ok(unit, day, arrive))
        if pupil is None or pupil.year_group >= 11:
            return
        phase: Phase = "primary" if pupil.year_group <= 6 else "secondary"
        options = [s for s in self.by_phase[phase] if s.teaches(pupil.year_group)]
        if options:
            target = options[self.rng.randrange(len(options))]
            self.move(pupil, day, target, arrive, ground="other_school", known=True)

    def _ap(self, arrangement: str) -> Callable[[School], None]:
        def start(school: School) -> None:
            day = self._agenda_day()
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
            units = [s for s in self.by_phase["ap"] if s.teaches(pupil.year_group)]
            if not units:
                return
            unit = units[rng.randrange(len(units))]
            provider: dict[str, str] = {"urn": unit.urn}
        else:
            provider = dict(_PROVIDERS[rng.randrange(len(_PROVIDERS))])
        pupil.busy_until = end
        pupil.had_ap = True
        interval = REVIEW_DAYS[arrangement]
        home = pupil.school
        assert home is not None
        referral = self.refer(
            pupil, day, arrangement, provider, review_by=day + dt.timedelta(days=interval), planned_end=end
        )
        if unit is not None:
            self.enrol(pupil, unit, day, previous=home.laestab, status="subsidiary_dual")
        self.schedule(day, lambda: self._placement_step(pupil, referral, end, unit, interval))

    def _placement_step(
        self, pupil: Pupil, referral: SimEvent, end: dt.date, unit: School | None, interval: int
    ) -> None:
        review_by: dt.date = referral.data["review_by"]
        if pupil.school is None:
            return
        if end < review_by:
            self.schedule(end, lambda: self._placement_end(pupil, referral, end, unit))
            return
        # Review on the last school day at least two days before the review date.
        review_day = max(self.school_day_on_or_before(review_by - dt.timedelta(days=2)), referral.occurred_on)
        if review_day >= end:
            self.schedule(end, lambda: self._placement_end(pupil, referral, end, unit))
            return

        def review() -> None:
            if pupil.school is None:
                return
            again = self.refer(
                pupil,
                review_day,
                referral.data["arrangement"],
                referral.data["provider"],
                review_by=review_day + dt.timedelta(days=interval),
                planned_end=end,
                after=referral,
            )
            self._placement_step(pupil, again, end, unit, interval)

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

    # --- agenda day -------------------------------------------------------------------------------

    _agenda_today: dt.date = dt.date.min

    def _agenda_day(self) -> dt.date:
        return self._agenda_today

    def run_year_agenda(self) -> None:
        while self._agenda:
            day, _, action = heapq.heappop(self._agenda)
            self._agenda_today = day
            action()


def _ctf_for(kind: str, laestab: str | None) -> str | None:
    if laestab is not None and kind in ("school", "independent", "post16"):
        return laestab
    if kind in ("abroad", "independent"):
        return CTF_ELSEWHERE
    if kind in ("unknown", "moved_away"):
        return CTF_UNKNOWN
    return None
