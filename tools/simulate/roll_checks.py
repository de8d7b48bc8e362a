"""Each school's daily roll check (`school.roll_checked`), with injected drift and silent feeds,
and the ground truth of `roll_mismatch` and `feed_silent` (docs/domain.md, "Feed health and roll
reconciliation").

- Every school sends a check at 18:00 on every school day of the simulated years, counting its
  admission register at the end of the day as its MIS knows it: the pupils whose latest
  enrolment (not as a guest) or deletion there, among those recorded by then and taking effect
  by that day, is an enrolment. That is exactly the roll Rollwatch computes from the same events
  (services/tracker/roll_checks.py), so an honest school never differs.
- `roll_drift` (injected): from a school day on, a school's count is off by 3 to 6 pupils (names
  taken off, or admissions never sent); meant to fire roll_mismatch.
- `silent_feed` (injected): a school's connector stops for 4 to 7 school days: no checks, and the
  events it recorded meanwhile reach Rollwatch the day it comes back (recorded then); meant to
  fire feed_silent, resolved by the first record after it.

The ground truth is computed from the checks and events as written, with the LA's calendar and
the default thresholds."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from services.alerts.calendar import SchoolCalendar, academic_year_of
from services.alerts.candidates import fingerprint
from services.alerts.parameters import RuleParameters
from tools.simulate.behaviours import InjectedCase
from tools.simulate.population import School
from tools.simulate.records import DELETED, ENGLAND, ENROLLED, Recorded, SimEvent, event_id
from tools.simulate.truth_entry import GroundTruthEntry

ROLL_CHECKED = "school.roll_checked"
ROLL_DRIFT = "roll_drift"
SILENT_FEED = "silent_feed"
CHECK_TIME = dt.time(18, 0)


@dataclass(slots=True, eq=False)
class SimRollCheck(Recorded):
    event_id: str
    school_urn: str
    la_code: str
    occurred_on: dt.date
    recorded_at: dt.datetime  # aware, Europe/London
    on_roll: int
    seq: int
    behaviour: str = ""
    case_id: str = ""
    type: str = ROLL_CHECKED

    def as_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "event_id": self.event_id,
                "type": ROLL_CHECKED,
                "schema_version": 1,
                "school_urn": self.school_urn,
                "occurred_on": self.occurred_on.isoformat(),
                "recorded_at": self.recorded_at.isoformat(),
                "data": {"on_roll": self.on_roll},
            }
        )


@dataclass
class FeedCases:
    """The injected cases of one LA: drift (school -> first day, offset) and silence (school ->
    last day heard before, the days silent, the day it came back)."""

    drift: dict[str, tuple[dt.date, int, InjectedCase]]
    silence: dict[str, tuple[dt.date, list[dt.date], dt.date, InjectedCase]]

    @property
    def all(self) -> list[InjectedCase]:
        return [found[2] for found in self.drift.values()] + [found[3] for found in self.silence.values()]


def plan_cases(
    schools: list[School], days: list[dt.date], calendar: SchoolCalendar, rng: random.Random, enabled: bool
) -> FeedCases:
    cases = FeedCases({}, {})
    if not enabled or len(schools) < 2 or len(days) < 40:
        return cases
    count = max(1, round(len(schools) / 10))
    chosen = rng.sample(schools, min(len(schools), 2 * count))
    for number, school in enumerate(chosen[:count]):
        start = days[rng.randrange(10, len(days) - 20)]
        offset = rng.choice((-1, 1)) * rng.randint(3, 6)
        case = InjectedCase(f"{school.la_code}-drift-{number}", ROLL_DRIFT, school.la_code, school.urn, None,
                            {"roll_mismatch"})  # fmt: skip
        cases.drift[school.urn] = (start, offset, case)
    for number, school in enumerate(chosen[count:]):
        index = rng.randrange(10, len(days) - 20)
        silent = days[index + 1 : index + 1 + rng.randint(4, 7)]
        back = days[index + 1 + len(silent)]
        case_id = f"{school.la_code}-silent-{number}"
        case = InjectedCase(case_id, SILENT_FEED, school.la_code, school.urn, None, {"feed_silent"})
        cases.silence[school.urn] = (days[index], silent, back, case)
    return cases


def postpone_silenced(events: Iterable[SimEvent], cases: FeedCases) -> None:
    """Events a silent school recorded while its connector was down reach Rollwatch the day it
    comes back (the same time of day)."""
    for event in events:
        found = cases.silence.get(event.school_urn)
        if found is None:
            continue
        last, _, back, case = found
        if last < event.recorded_on < back:
            event.recorded_at = dt.datetime.combine(back, event.recorded_at.timetz())
            case.event_ids.append(event.event_id)
            if not event.behaviour:  # what the delay makes it raise (a late review, ...) is injected too
                event.behaviour, event.case_id = SILENT_FEED, case.case_id


def roll_checks(
    schools: list[School], events: list[SimEvent], days: list[dt.date], cases: FeedCases, rng: random.Random,
    next_seq: int,
) -> list[SimRollCheck]:  # fmt: skip
    """Every school's check on every school day (none on a silent school's silent days)."""
    by_school: dict[str, list[SimEvent]] = {}
    for event in events:
        if event.type in (ENROLLED, DELETED):
            by_school.setdefault(event.school_urn, []).append(event)
    checks = []
    for school in schools:
        silent = set(cases.silence[school.urn][1]) if school.urn in cases.silence else set()
        drift = cases.drift.get(school.urn)
        for day, honest in _honest_counts(by_school.get(school.urn, []), days):
            if day in silent:
                continue
            offset = drift[1] if drift and day >= drift[0] else 0
            next_seq += 1
            check = SimRollCheck(
                event_id(rng), school.urn, school.la_code, day, dt.datetime.combine(day, CHECK_TIME, ENGLAND),
                max(0, honest + offset), next_seq,
            )  # fmt: skip
            if offset:
                check.behaviour, check.case_id = ROLL_DRIFT, drift[2].case_id  # type: ignore[index]
                drift[2].event_ids.append(check.event_id)  # type: ignore[index]
            checks.append(check)
    return checks


def _honest_counts(events: list[SimEvent], days: list[dt.date]) -> Iterable[tuple[dt.date, int]]:
    """The register at the end of each day, from what was recorded by the check's time: per pupil,
    the latest (occurred_on, recorded_at) of the enrolments (not guests) and deletions."""
    counted = [e for e in events if e.type == DELETED or e.data.get("enrolment_status") != "guest"]
    # An event counts from the first check at or after both its day and its recording.
    pending = sorted(counted, key=lambda e: max(e.occurred_on, e.recorded_on))
    latest: dict[str, tuple[tuple[dt.date, dt.datetime], str]] = {}
    on_roll = 0
    index = 0
    for day in days:
        at = dt.datetime.combine(day, CHECK_TIME, ENGLAND)
        waiting = []
        while index < len(pending) and max(pending[index].occurred_on, pending[index].recorded_on) <= day:
            waiting.append(pending[index])
            index += 1
        for event in waiting:
            if event.recorded_at > at:  # recorded after the check: counts from the next day
                pending.insert(index, event)
                continue
            key = (event.occurred_on, event.recorded_at)
            known = latest.get(event.upn)
            if known is None or key > known[0]:
                on_roll += (event.type == ENROLLED) - (known is not None and known[1] == ENROLLED)
                latest[event.upn] = (key, event.type)
        yield day, on_roll


def ground_truth(
    checks: list[SimRollCheck], events: list[SimEvent], calendar: SchoolCalendar, params: RuleParameters,
    window_end: dt.date, cases: FeedCases,
) -> list[GroundTruthEntry]:  # fmt: skip
    found: dict[str, GroundTruthEntry] = {}
    honest = {c.event_id: c.on_roll for c in checks if not c.behaviour}
    tolerance = params.rules.roll_mismatch.tolerance
    for check in sorted(checks, key=lambda c: c.sort_key):
        drift = cases.drift.get(check.school_urn)
        difference = drift[1] if drift and check.behaviour else 0
        if check.event_id in honest or abs(difference) <= tolerance:
            continue
        key = fingerprint("roll_mismatch", check.school_urn, academic_year_of(check.occurred_on).label)
        found.setdefault(key, _entry("roll_mismatch", key, check, (check.event_id,), check.occurred_on))
    heard: dict[str, dict[dt.date, tuple[dt.datetime, str, str, str]]] = {}
    first: dict[str, dt.date] = {}
    for check in checks:
        first[check.school_urn] = min(first.get(check.school_urn, check.occurred_on), check.recorded_on)
    items: list[SimRollCheck | SimEvent] = [*checks, *events]
    for item in items:
        day = item.recorded_at.astimezone(ENGLAND).date()
        if item.school_urn not in first or day < first[item.school_urn]:
            continue
        days = heard.setdefault(item.school_urn, {})
        known = days.get(day)
        if known is None or item.recorded_at > known[0]:
            days[day] = (item.recorded_at, item.event_id, item.behaviour, item.case_id)
    limit = params.rules.feed_silent.school_days
    la_of = {c.school_urn: c.la_code for c in checks}
    for urn, days in heard.items():
        ordered = sorted(days)
        for last, following in zip(ordered, [*ordered[1:], None], strict=True):
            until = following or window_end
            if calendar.school_days_between(last, until - dt.timedelta(days=1)) < limit:
                continue
            key = fingerprint("feed_silent", urn, last.isoformat())
            silence = cases.silence.get(urn)
            injected = silence is not None and silence[0] <= last < silence[2]
            found[key] = GroundTruthEntry(
                rule="feed_silent", fingerprint=key, la_code=la_of[urn], school_urn=urn, upn=None,
                key_event_id=None, evidence=(days[last][1],), as_of=until,
                behaviour=SILENT_FEED if injected else "background",
                case_id=silence[3].case_id if injected and silence else None,
            )  # fmt: skip
    return list(found.values())


def _entry(
    rule: str, key: str, check: SimRollCheck, evidence: tuple[str, ...], as_of: dt.date
) -> GroundTruthEntry:
    return GroundTruthEntry(
        rule=rule, fingerprint=key, la_code=check.la_code, school_urn=check.school_urn, upn=None,
        key_event_id=None, evidence=evidence, as_of=as_of, behaviour=check.behaviour or "background",
        case_id=check.case_id or None,
    )  # fmt: skip
