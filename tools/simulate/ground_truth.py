"""The ground truth: every alert the alert rules (docs/domain.md, "Alert rules") should raise on
the simulated events, as of the end of the simulated window, each marked injected (with its
behaviour and case) or background.

It is computed from the simulator's own records, not by running services.alerts: an independent
reading of the rule table with the thresholds of `services/alerts/rule_defaults.json` and the
LA's school-day calendar, so that a bug in the alert service shows up as a miss or a false alarm
instead of being copied into the answer. Conventions, where the rule table leaves a choice:
- facts arrive in `recorded_at` order (the order of the events file);
- waiting rules (no_destination, ap_review_overdue) count an answering event (an enrolment, a
  review, an end) when it was recorded on or before the due day, and list an alert only when its
  firing day is inside the window; the simulator never records an answer between the due day
  and the firing day;
- school_exit_pattern is evaluated, as the alert service does, on each day a deletion at the
  school took effect, with the roll of that day (each pupil's latest registration event there,
  dual ones too) and the exits by their `occurred_on`; one alert per school and academic year,
  dated the first such day its condition holds;
- the school's most senior class is the register's (the simulated school's top year group, as
  its StatutoryHighAge and OfficialSixthForm give it): for an exit's "unexplained" (with the
  end-of-year window from 1 July) and for the end-of-year exemption from deletion returns (reg
  13(5): removed at or after the end of the last term on the LA's calendar); a move into a
  special school is explained.

The format of an entry: truth_entry.py. The school rule: exit_pattern.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from schemas.codelists import admission_return_required, deletion_return_required, enrolment_statuses
from services.alerts.calendar import (
    AcademicYear,
    SchoolCalendar,
    academic_year_of,
    census_days,
    load_calendar,
    months_before,
)
from services.alerts.fingerprints import fingerprint
from services.alerts.parameters import RuleParameters, default_parameters
from tools.simulate.population import Pupil, School
from tools.simulate.records import AP_ENDED, AP_REFERRED, DELETED, ENROLLED, EXCLUDED, SUSPENDED, SimEvent
from tools.simulate.truth_entry import GroundTruthEntry

_ONE_DAY = dt.timedelta(days=1)


@cache
def _calendar(la_code: str) -> SchoolCalendar:
    return load_calendar(la_code)


@cache
def _first_school_day(la_code: str, start_year: int) -> dt.date:
    return _calendar(la_code).first_school_day(AcademicYear(start_year))


@dataclass
class GroundTruth:
    """Evaluates the rules on pupils' histories and schools' events."""

    window_start: dt.date
    window_end: dt.date
    params: RuleParameters = field(default_factory=default_parameters)
    # The register's view of the simulated schools: each one's most senior class, and special schools.
    top_years: dict[str, int] = field(default_factory=dict)
    special_laestabs: set[str] = field(default_factory=set)

    def add_schools(self, schools: Iterable[School]) -> None:
        for school in schools:
            self.top_years[school.urn] = school.max_year
            if "special" in school.type_name.lower():
                self.special_laestabs.add(school.laestab)

    # --- shared readings of the rules -----------------------------------------------------------

    def _in_top_year(self, deletion: SimEvent) -> bool:
        top = self.top_years.get(deletion.school_urn)
        return deletion.year_group in (
            (top,) if top is not None else self.params.school_years.top_year_groups
        )

    def is_end_of_year_leaver(self, deletion: SimEvent) -> bool:
        """Reg 13(5): the most senior class, removed at or after the end of the last term."""
        year = academic_year_of(deletion.occurred_on)
        return self._in_top_year(deletion) and deletion.occurred_on >= _calendar(
            deletion.la_code
        ).last_term_end(year)

    def is_phase_transition(self, deletion: SimEvent) -> bool:
        """EPI: a leaver ground, or the most senior class from 1 July."""
        years = self.params.school_years
        if deletion.data["ground"] in years.leaver_grounds:
            return True
        year = academic_year_of(deletion.occurred_on)
        return self._in_top_year(deletion) and deletion.occurred_on >= years.end_of_year_starts(
            year.start_year
        )

    def is_unexplained(self, deletion: SimEvent) -> bool:
        exits = self.params.exits
        if deletion.data["ground"] in exits.explained_grounds:
            return False
        if deletion.data["destination"]["kind"] in exits.explained_destination_kinds:
            return False
        if deletion.data["destination"].get("laestab") in self.special_laestabs:
            return False
        return not self.is_phase_transition(deletion)

    def needs_deletion_return(self, deletion: SimEvent, exempt_leavers: bool) -> bool:
        if not deletion_return_required(deletion.data["ground"], deletion.occurred_on):
            return False
        return not (exempt_leavers and self.is_end_of_year_leaver(deletion))

    # --- pupils ---------------------------------------------------------------------------------

    def pupil_entries(self, pupil: Pupil) -> list[GroundTruthEntry]:
        history: list[SimEvent] = sorted(pupil.history, key=lambda e: e.sort_key)  # type: ignore[arg-type]
        if not history:
            return []
        found: list[GroundTruthEntry] = []
        found += self._no_destination(pupil, history)
        found += self._ehe_vulnerable(pupil, history)
        found += self._exam_cohort_exit(pupil, history)
        found += self._late_notification(pupil, history)
        found += self._retrospective(pupil, history)
        found += self._exclusion_then_exit(pupil, history)
        found += self._suspension_limit(pupil, history)
        found += self._suspension_early_warning(pupil, history)
        found += self._governors_review(pupil, history)
        found += self._high_mobility(pupil, history)
        found += self._ap_review_overdue(pupil, history)
        found += self._ap_planned_end_passed(pupil, history)
        return found

    def _entry(
        self,
        rule: str,
        key: SimEvent,
        evidence: Iterable[SimEvent],
        as_of: dt.date,
        *,
        subject: tuple[str, ...] | None = None,
        fires_on: dt.date | None = None,
        key_event: bool = True,
    ) -> GroundTruthEntry:
        return GroundTruthEntry(
            rule=rule,
            fingerprint=fingerprint(rule, *(subject or (key.upn, key.event_id))),
            la_code=key.la_code,
            school_urn=key.school_urn,
            upn=key.upn,
            key_event_id=key.event_id if key_event else None,
            evidence=tuple(e.event_id for e in evidence),
            as_of=as_of,
            fires_on=fires_on,
            behaviour=key.behaviour or "background",
            case_id=key.case_id or None,
        )

    def _no_destination(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.no_destination
        found = []
        for index, deletion in enumerate(history):
            if deletion.type != DELETED or not self._lacks_destination(deletion):
                continue
            calendar = _calendar(deletion.la_code)
            due = calendar.add_school_days(deletion.occurred_on, p.school_days)
            fires = calendar.add_school_days(deletion.occurred_on, p.school_days + 1)
            if fires > self.window_end:
                continue
            answered = any(
                e.type == ENROLLED
                and e.data["enrolment_status"] in p.resolving_enrolment_statuses
                and enrolment_statuses()[e.data["enrolment_status"]].registered
                and e.recorded_on <= due
                and (
                    e.occurred_on >= deletion.occurred_on
                    or (e.school_urn != deletion.school_urn and position > index)
                )
                for position, e in enumerate(history)
            )
            if not answered:
                found.append(self._entry("no_destination", deletion, (deletion,), fires, fires_on=fires))
        return found

    def _lacks_destination(self, deletion: SimEvent) -> bool:
        p = self.params.rules.no_destination
        data = deletion.data
        if data["ground"] in p.exempt_grounds:
            return False
        if data.get("ctf_destination") == "XXXXXXX":
            return True
        kind = data["destination"]["kind"]
        if kind == "unknown":
            return True
        return kind in ("moved_away", "school") and not data["destination"].get("laestab")

    def _ehe_vulnerable(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.ehe_vulnerable
        found = []
        for index, deletion in enumerate(history):
            if deletion.type != DELETED:
                continue
            if "home_education" not in (deletion.data["ground"], deletion.data["destination"]["kind"]):
                continue
            end = deletion.occurred_on
            start = months_before(end, p.lookback_months)
            known = history[: index + 1]
            suspensions = [e for e in known if e.type == SUSPENDED and start <= e.data["start_on"] <= end]
            exclusions = [e for e in known if e.type == EXCLUDED and start <= e.occurred_on <= end]
            placements = [e for e in known if e.type == AP_REFERRED and _overlaps(e, known, start, end)]
            needs = (
                deletion.sen in p.sen_provisions
                or (p.looked_after and deletion.looked_after)
                or (p.child_in_need and deletion.child_in_need)
            )
            if needs or suspensions or exclusions or placements:
                evidence = _chronological([*suspensions, *exclusions, *placements], history)
                found.append(self._entry("ehe_vulnerable", deletion, [*evidence, deletion], end))
        return found

    def _exam_cohort_exit(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.exam_cohort_exit
        found = []
        for deletion in history:
            if deletion.type != DELETED or deletion.data["ground"] in p.exempt_grounds:
                continue
            if deletion.data["destination"]["kind"] in p.state_school_destination_kinds:
                continue
            year = academic_year_of(deletion.occurred_on)
            if deletion.year_group == 11 and deletion.occurred_on > census_days(year).spring:
                continue
            if deletion.year_group in (10, 11):
                found.append(self._entry("exam_cohort_exit", deletion, (deletion,), deletion.occurred_on))
        return found

    def _late_notification(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.late_notification
        years = self.params.school_years
        found = []
        for event in history:
            notified = event.data.get("la_notified_on")
            if event.type == DELETED:
                if not self.needs_deletion_return(event, p.exempt_end_of_year_leavers):
                    continue
                if notified is None or notified > event.occurred_on:
                    found.append(self._entry("late_notification", event, (event,), event.occurred_on))
            elif event.type == ENROLLED:
                if not enrolment_statuses()[event.data["enrolment_status"]].registered:
                    continue
                if not admission_return_required(event.occurred_on):
                    continue
                calendar = _calendar(event.la_code)
                first_day = _first_school_day(event.la_code, academic_year_of(event.occurred_on).start_year)
                if (
                    p.exempt_first_day_entries
                    and event.year_group in years.entry_year_groups
                    and event.occurred_on <= first_day
                ):
                    continue
                told = notified or event.recorded_on
                if p.admission_day_unit == "school":
                    days = calendar.school_days_between(event.occurred_on, told)
                else:
                    days = (told - event.occurred_on).days
                if days > p.admission_days:
                    found.append(self._entry("late_notification", event, (event,), event.occurred_on))
        return found

    def _retrospective(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.retrospective_deletion
        found = []
        for event in history:
            if event.type != DELETED:
                continue
            if p.exempt_end_of_year_leavers and self.is_end_of_year_leaver(event):
                continue
            days = _calendar(event.la_code).school_days_between(event.occurred_on, event.recorded_on)
            if days > p.school_days:
                found.append(self._entry("retrospective_deletion", event, (event,), event.recorded_on))
        return found

    def _exclusion_then_exit(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.exclusion_then_exit
        found = []
        for deletion in history:
            if deletion.type != DELETED or deletion.data["ground"] in p.exempt_grounds:
                continue
            calendar = _calendar(deletion.la_code)
            counted = []
            for exclusion in history:
                if exclusion.type not in (SUSPENDED, EXCLUDED):
                    continue
                if p.same_school_only and exclusion.school_urn != deletion.school_urn:
                    continue
                began = exclusion.data["start_on"] if exclusion.type == SUSPENDED else exclusion.occurred_on
                if began > deletion.occurred_on:
                    continue
                if calendar.school_days_between(began, deletion.occurred_on) <= p.school_days:
                    counted.append(exclusion)
            if counted:
                evidence = [*_chronological(counted, history), deletion]
                found.append(self._entry("exclusion_then_exit", deletion, evidence, deletion.occurred_on))
        return found

    def _suspension_limit(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        limit = 2 * self.params.rules.suspension_limit.max_school_days
        by_year: dict[int, list[SimEvent]] = {}
        found = []
        for event in history:
            if event.type != SUSPENDED:
                continue
            year = academic_year_of(event.data["start_on"])
            same = by_year.setdefault(year.start_year, [])
            before = sum(e.data["sessions"] for e in same)
            same.append(event)
            if before <= limit < before + event.data["sessions"]:
                found.append(
                    self._entry(
                        "suspension_limit",
                        event,
                        _chronological(same, history),
                        event.occurred_on,
                        subject=(event.upn, year.label),
                    )
                )
        return found

    def _suspension_early_warning(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        warn = 2 * self.params.rules.suspension_early_warning.warn_over_school_days
        limit = 2 * self.params.rules.suspension_limit.max_school_days
        by_school_year: dict[tuple[str, int], list[SimEvent]] = {}
        found: dict[str, GroundTruthEntry] = {}
        for event in history:
            if event.type != SUSPENDED:
                continue
            year = academic_year_of(event.data["start_on"])
            same = by_school_year.setdefault((event.school_urn, year.start_year), [])
            same.append(event)
            total = sum(e.data["sessions"] for e in same)
            if warn < total <= limit:
                subject = (event.upn, event.school_urn, year.label)
                entry = self._entry(
                    "suspension_early_warning", event, _chronological(same, history), event.occurred_on,
                    subject=subject,
                )  # fmt: skip
                found.setdefault(entry.fingerprint, entry)
        return list(found.values())

    def _governors_review(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.governors_review
        found: dict[str, GroundTruthEntry] = {}
        by_term: dict[tuple[str, dt.date], list[SimEvent]] = {}
        for event in history:
            if event.type != SUSPENDED:
                continue
            term = _calendar(event.la_code).term_of(event.data["start_on"])
            if term is None:
                continue
            same = by_term.setdefault((event.school_urn, term.start), [])
            same.append(event)
            if sum(e.data["sessions"] for e in same) > 2 * p.term_school_days:
                subject = (event.upn, event.school_urn, term.start.isoformat())
                entry = self._entry(
                    "governors_review", event, _chronological(same, history), event.occurred_on,
                    subject=subject,
                )  # fmt: skip
                found.setdefault(entry.fingerprint, entry)
        pending: set[tuple[str, dt.date]] = set()
        for exclusion in history:
            key = (exclusion.school_urn, exclusion.occurred_on)
            if exclusion.type != EXCLUDED or exclusion.data["review"] != "pending" or key in pending:
                continue
            pending.add(key)  # a resend is the same exclusion
            calendar = _calendar(exclusion.la_code)
            due = calendar.add_school_days(exclusion.occurred_on, p.decision_school_days)
            fires = calendar.add_school_days(exclusion.occurred_on, p.decision_school_days + 1)
            decided = any(
                e.school_urn == exclusion.school_urn and e.recorded_on <= due and _decides(e, exclusion)
                for e in history
            )
            if fires <= self.window_end and not decided:
                entry = self._entry("governors_review", exclusion, (exclusion,), fires, fires_on=fires)
                found.setdefault(entry.fingerprint, entry)
        return list(found.values())

    def _high_mobility(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.high_mobility
        arrived: list[SimEvent] = []
        for event in history:
            if event.type != ENROLLED or event.data["enrolment_status"] not in p.counted_enrolment_statuses:
                continue
            arrived.append(event)
            changes = _changes(_chronological(arrived, history))
            if all(change is not event for change in changes):
                continue
            start = months_before(event.occurred_on, p.window_months)
            in_window = [c for c in changes if start <= c.occurred_on <= event.occurred_on]
            if len(in_window) >= p.min_changes:
                return [
                    self._entry(
                        "high_mobility",
                        event,
                        in_window,
                        event.occurred_on,
                        subject=(event.upn,),
                        key_event=True,
                    )
                ]
        return []

    def _ap_review_overdue(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        p = self.params.rules.ap_review_overdue

        def clock(referral: SimEvent) -> tuple[dt.date, dt.date] | None:
            """(fires_on, due_on): the review date, or the LA's fixed interval when it has one."""
            options: list[tuple[dt.date, dt.date]] = [
                (referral.data["review_by"] + _ONE_DAY, referral.data["review_by"])
            ]
            n = p.directed_off_site_school_days
            if n is not None and referral.data["arrangement"] in p.directed_arrangements:
                calendar = _calendar(referral.la_code)
                start = referral.data["start_on"]
                options.append((calendar.add_school_days(start, n + 1), calendar.add_school_days(start, n)))
            return min(options)

        return self._ap_waiting("ap_review_overdue", history, clock)

    def _ap_planned_end_passed(self, pupil: Pupil, history: list[SimEvent]) -> list[GroundTruthEntry]:
        grace = self.params.rules.ap_planned_end_passed.grace_school_days

        def clock(referral: SimEvent) -> tuple[dt.date, dt.date]:
            due = _calendar(referral.la_code).add_school_days(referral.data["planned_end_on"], grace)
            return due + _ONE_DAY, due

        return self._ap_waiting("ap_planned_end_passed", history, clock)

    def _ap_waiting(
        self,
        rule: str,
        history: list[SimEvent],
        clock: Callable[[SimEvent], tuple[dt.date, dt.date] | None],
    ) -> list[GroundTruthEntry]:
        """A placement rule that waits on its referral in force: an entry for each referral whose
        clock (fires_on, due_on) fires in the window before a review or end recorded by the due day."""
        superseded = _superseded(history)
        found = []
        referrals = [e for e in history if e.type == AP_REFERRED]
        for referral in referrals:
            timing = clock(referral)
            if timing is None:
                continue
            fires, due = timing
            answer = superseded.get(referral.event_id)
            if fires > self.window_end or (answer is not None and answer.recorded_on <= due):
                continue
            chain = [
                r
                for r in referrals
                if r.school_urn == referral.school_urn
                and r.data["arrangement"] == referral.data["arrangement"]
                and _provider_key(r.data["provider"]) == _provider_key(referral.data["provider"])
                and r.sort_key <= referral.sort_key
                and _same_chain(r, referral, superseded)
            ]
            found.append(self._entry(rule, referral, _chronological(chain, history), fires, fires_on=fires))
        return found


def _decides(event: SimEvent, exclusion: SimEvent) -> bool:
    """The governors' decision on a permanent exclusion: the exclusion sent again as upheld or
    reinstated, or the deletion on that ground that follows the review route."""
    if event.type == EXCLUDED:
        return event.occurred_on == exclusion.occurred_on and event.data["review"] != "pending"
    return (
        event.type == DELETED
        and event.data["ground"] == "permanently_excluded"
        and event.occurred_on >= exclusion.occurred_on
    )


def _superseded(history: list[SimEvent]) -> dict[str, SimEvent]:
    """Each referral's answer: the next referral of its placement (a review) or its end."""
    chains: dict[tuple[str, str, str], list[SimEvent]] = {}
    superseded: dict[str, SimEvent] = {}
    for event in history:
        if event.type == AP_REFERRED:
            key = (event.school_urn, _provider_key(event.data["provider"]), event.data["arrangement"])
            chain = chains.setdefault(key, [])
            if chain:
                superseded[chain[-1].event_id] = event
            chain.append(event)
        elif event.type == AP_ENDED:
            for key, chain in list(chains.items()):
                if any(r.event_id == event.data["referral_event_id"] for r in chain):
                    superseded[chain[-1].event_id] = event
                    del chains[key]
    return superseded


def _provider_key(provider: dict[str, str]) -> str:
    return provider.get("urn") or provider.get("ukprn") or provider.get("name") or ""


def _same_chain(earlier: SimEvent, later: SimEvent, superseded: dict[str, SimEvent]) -> bool:
    """`earlier` leads to `later` through reviews (no end in between)."""
    cursor: SimEvent | None = earlier
    while cursor is not None and cursor is not later:
        cursor = superseded.get(cursor.event_id)
        if cursor is not None and cursor.type != AP_REFERRED:
            return False
    return cursor is later


def _overlaps(referral: SimEvent, known: list[SimEvent], start: dt.date, end: dt.date) -> bool:
    began = referral.data["start_on"]
    if began > end:
        return False
    if began >= start:
        return True
    endings = [
        e.data["ended_on"]
        for e in known
        if e.type == AP_ENDED and e.data["referral_event_id"] == referral.event_id
    ]
    return not endings or min(endings) >= start


def _chronological(events: Iterable[SimEvent], history: list[SimEvent]) -> list[SimEvent]:
    position = {id(e): i for i, e in enumerate(history)}
    return sorted(events, key=lambda e: (e.occurred_on, position.get(id(e), -1)))


def _changes(counted: list[SimEvent]) -> list[SimEvent]:
    changes = []
    previous: SimEvent | None = None
    for enrolment in counted:
        if (previous is None and enrolment.data["previous_school"] is not None) or (
            previous is not None and enrolment.school_urn != previous.school_urn
        ):
            changes.append(enrolment)
        previous = enrolment
    return changes
