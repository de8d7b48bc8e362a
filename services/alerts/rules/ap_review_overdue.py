"""`ap_review_overdue`: an alternative provision placement past its `review_by` date, or a
directed off-site placement past 30 school days without review, and not ended (docs/domain.md,
"Alert rules"; the fixed 30 days: "Known gaps"). A waiting rule.

A placement is a chain of `ap_referred` facts from the same school to the same provider under the
same arrangement: a later referral in the chain is a review (it brings a new review date) and
supersedes the earlier ones. An `ap_ended` naming any referral of the chain ends the placement; a
later referral after that starts a new placement. Deadlines:
- `review_by`: overdue from the day after it;
- directed off site: also overdue once past 30 school days after the referral in force began,
  i.e. from add_school_days(start_on, 31); the earlier deadline wins.
A placement with neither never fires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, WakeUp, candidate_for
from services.alerts.facts import APEnded, APReferral, PupilFact, PupilState
from services.alerts.parameters import APReviewOverdueParams, RuleParameters

RULE = "ap_review_overdue"
STATUTE_DIRECTED = "s29A Education Act 2002 (off-site direction)"
STATUTE_OTHER = "DfE statutory guidance 'Alternative provision' (2013)"
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Placement:
    referrals: tuple[APReferral, ...]  # arrival order; the last is in force

    @property
    def in_force(self) -> APReferral:
        return self.referrals[-1]


def _key(referral: APReferral) -> tuple[str, str, str]:
    return (referral.school_urn, referral.provider, referral.arrangement)


def open_placements(state: PupilState) -> list[Placement]:
    """The pupil's placements that have not ended, in the order they began."""
    chains: dict[tuple[str, str, str], list[APReferral]] = {}
    for fact in state.active:
        if isinstance(fact, APReferral):
            chains.setdefault(_key(fact), []).append(fact)
        elif isinstance(fact, APEnded):
            for key, chain in list(chains.items()):
                if any(referral.event_id == fact.referral_event_id for referral in chain):
                    del chains[key]
    return [Placement(tuple(chain)) for chain in chains.values()]


def superseded_by(state: PupilState, referral: APReferral) -> tuple[str, ...]:
    """The earlier referrals of the open placement that `referral` now leads (its reviews)."""
    for placement in open_placements(state):
        if placement.in_force.event_id == referral.event_id:
            return tuple(earlier.event_id for earlier in placement.referrals[:-1])
    return ()


def _clock(
    referral: APReferral, calendar: SchoolCalendar, p: APReviewOverdueParams
) -> tuple[dt.date, dt.date, bool] | None:
    """(due_on, fires_on, directed deadline won) for the referral in force, or None."""
    options: list[tuple[dt.date, dt.date, bool]] = []
    if referral.review_by is not None:
        options.append((referral.review_by + _ONE_DAY, referral.review_by, False))
    if referral.arrangement in p.directed_arrangements:
        n = p.directed_off_site_school_days
        due_on = calendar.add_school_days(referral.start_on, n)
        options.append((calendar.add_school_days(referral.start_on, n + 1), due_on, True))
    if not options:
        return None
    fires_on, due_on, directed = min(options)
    return due_on, fires_on, directed


def wake_ups(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[WakeUp]:
    p = params.rules.ap_review_overdue
    if not isinstance(fact, APReferral) or state.death is not None:
        return []
    for placement in open_placements(state):
        if placement.in_force.event_id != fact.event_id:
            continue
        clock = _clock(fact, calendar, p)
        if clock is None:
            return []
        due_on, fires_on, _ = clock
        return [
            WakeUp.for_fact(RULE, fact, due_on, fires_on, calendar.estimated_between(fact.start_on, fires_on))
        ]
    return []


def evaluate_at(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    """Every open placement of the pupil whose deadline has passed at `at`."""
    p = params.rules.ap_review_overdue
    if state.death is not None:
        return []
    found = []
    for placement in open_placements(state):
        referral = placement.in_force
        clock = _clock(referral, calendar, p)
        if clock is None or at < clock[1]:
            continue
        due_on, fires_on, directed = clock
        estimated = directed and calendar.estimated_between(referral.start_on, fires_on)
        kind = referral.arrangement.replace("_", " ")
        began = (
            f"alternative provision placement ({kind}) arranged by {wording.school(referral.school_urn)}, "
            f"running since {wording.day(referral.start_on)}"
        )
        if directed:
            late = (
                f"no review recorded within {wording.school_days(p.directed_off_site_school_days)} "
                f"(by {wording.day(due_on)})"
            )
        else:
            late = f"its review was due by {wording.day(due_on)} and no review or end is recorded"
        reason = wording.reason(began, late, *wording.needs(referral), estimated=estimated)
        found.append(
            candidate_for(
                RULE,
                params,
                referral,
                state.upn,
                evidence=(r.event_id for r in state.chronological(placement.referrals)),
                reason=reason,
                statutory_reference=STATUTE_DIRECTED
                if referral.arrangement in p.directed_arrangements
                else STATUTE_OTHER,
                as_of=fires_on,
                due_on=due_on,
                calendar_estimated=estimated,
            )
        )
    return found
