"""`ap_review_overdue`: an alternative provision placement whose review is overdue and that has
not ended (docs/domain.md, "Alert rules"). A waiting rule, with three clocks:

- `review_by`: the review date the placement was given; overdue from the day after it.
- a requested review (`pupil.ap_review_requested`): once a parent (or the pupil, 18 or over) or,
  for a pupil with an EHC plan, the LA asks in writing, the governors must hold a review meeting
  "as soon as reasonably practicable", unless one took place in the 10 weeks before the request
  (reg 4A of the Education (Educational Provision for Improving Behaviour) Regulations 2010,
  inserted by SI 2012/2532). Rollwatch reads "as soon as reasonably practicable" as within
  `requested_review_school_days` school days (default 10, the LA may change it); overdue from
  add_school_days(request, N + 1). A review held on or after the request's day answers it.
- a fixed interval for directed off-site placements, only where the LA sets one as its own
  policy (`directed_off_site_school_days`, default null: off): SI 2012/2532 replaced the fixed
  30-day review with reviews at intervals the governors consider appropriate (DfE "Arranging
  alternative provision: a guide for local authorities and schools", February 2025). Overdue
  from add_school_days(start_on, N + 1); the earlier of it and `review_by` wins.

A placement is a chain of `ap_referred` facts from the same school to the same provider under the
same arrangement: a later referral in the chain is a review (it brings a new review date,
`occurred_on` is the day of the review) and supersedes the earlier ones. An `ap_ended` naming any
referral of the chain ends the placement; a later referral after that starts a new placement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, WakeUp, candidate_for
from services.alerts.facts import APEnded, APReferral, APReviewRequested, PupilFact, PupilState
from services.alerts.parameters import APReviewOverdueParams, RuleParameters

RULE = "ap_review_overdue"
STATUTE_DIRECTED = "s29A Education Act 2002 (off-site direction); LA policy on review intervals"
STATUTE_REQUESTED = (
    "s29A Education Act 2002; Education (Educational Provision for Improving Behaviour) Regulations "
    "2010, reg 4A (SI 2012/2532): a requested review meeting"
)
STATUTE_OTHER = (
    "DfE 'Arranging alternative provision: a guide for local authorities and schools' (February 2025)"
)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Placement:
    referrals: tuple[APReferral, ...]  # arrival order; the last is in force

    @property
    def in_force(self) -> APReferral:
        return self.referrals[-1]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(referral.event_id for referral in self.referrals)

    def reviews(self) -> tuple[APReferral, ...]:
        """The referrals after the first: each records a review, on its `occurred_on`."""
        return self.referrals[1:]


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


def led_by(state: PupilState, referral: APReferral) -> Placement | None:
    """The open placement whose referral in force is `referral`, if any."""
    return next((p for p in open_placements(state) if p.in_force.event_id == referral.event_id), None)


def superseded_by(state: PupilState, referral: APReferral) -> tuple[str, ...]:
    """The earlier referrals of the open placement that `referral` now leads (its reviews)."""
    placement = led_by(state, referral)
    return tuple(earlier.event_id for earlier in placement.referrals[:-1]) if placement else ()


@dataclass(frozen=True, slots=True)
class _Clock:
    key: APReferral | APReviewRequested  # what the alert is about
    due_on: dt.date
    fires_on: dt.date
    kind: str  # "review_by", "directed", "requested"


def _placement_clock(
    referral: APReferral, calendar: SchoolCalendar, p: APReviewOverdueParams
) -> _Clock | None:
    """The in-force referral's own clock: its review date, or the LA's fixed interval."""
    options: list[_Clock] = []
    if referral.review_by is not None:
        options.append(_Clock(referral, referral.review_by, referral.review_by + _ONE_DAY, "review_by"))
    n = p.directed_off_site_school_days
    if n is not None and referral.arrangement in p.directed_arrangements:
        due_on = calendar.add_school_days(referral.start_on, n)
        options.append(
            _Clock(referral, due_on, calendar.add_school_days(referral.start_on, n + 1), "directed")
        )
    return min(options, key=lambda clock: clock.fires_on) if options else None


def _requested_clocks(
    state: PupilState, placement: Placement, calendar: SchoolCalendar, p: APReviewOverdueParams
) -> Iterator[_Clock]:
    """Each request for a review of this placement that must be met and is not met yet."""
    lookback = dt.timedelta(weeks=p.requested_review_lookback_weeks)
    reviews = placement.reviews()
    for request in state.of(APReviewRequested):
        if request.referral_event_id not in placement.ids:
            continue
        asked = request.occurred_on
        if any(asked - lookback <= review.occurred_on < asked for review in reviews):
            continue  # a review meeting in the 10 weeks before: no duty (reg 4A(4))
        if any(review.occurred_on >= asked for review in reviews):
            continue  # held
        n = p.requested_review_school_days
        yield _Clock(
            request, calendar.add_school_days(asked, n), calendar.add_school_days(asked, n + 1), "requested"
        )


def _clocks(
    state: PupilState, calendar: SchoolCalendar, p: APReviewOverdueParams
) -> Iterator[tuple[Placement, _Clock]]:
    for placement in open_placements(state):
        own = _placement_clock(placement.in_force, calendar, p)
        if own is not None:
            yield placement, own
        for clock in _requested_clocks(state, placement, calendar, p):
            yield placement, clock


def wake_ups(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[WakeUp]:
    p = params.rules.ap_review_overdue
    if not isinstance(fact, APReferral | APReviewRequested) or state.death is not None:
        return []
    return [
        WakeUp.for_fact(
            RULE,
            clock.key,
            clock.due_on,
            clock.fires_on,
            calendar.estimated_between(fact.occurred_on, clock.fires_on),
        )
        for _, clock in _clocks(state, calendar, p)
        if clock.key.event_id == fact.event_id
    ]


def evaluate_at(
    state: PupilState, at: dt.date, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    """Every open placement of the pupil with a review overdue at `at`."""
    p = params.rules.ap_review_overdue
    if state.death is not None:
        return []
    found = []
    for placement, clock in _clocks(state, calendar, p):
        if at < clock.fires_on:
            continue
        referral = placement.in_force
        estimated = clock.kind != "review_by" and calendar.estimated_between(
            clock.key.occurred_on, clock.fires_on
        )
        kind = referral.arrangement.replace("_", " ")
        began = (
            f"alternative provision placement ({kind}) arranged by {wording.school(referral.school_urn)}, "
            f"running since {wording.day(referral.start_on)}"
        )
        if clock.kind == "directed":
            late = (
                f"no review recorded within {wording.school_days(p.directed_off_site_school_days or 0)} "
                f"(by {wording.day(clock.due_on)}; the LA's own review interval)"
            )
            statute = STATUTE_DIRECTED
        elif clock.kind == "requested":
            asked_by = clock.key.requested_by if isinstance(clock.key, APReviewRequested) else ""
            who = {"local_authority": "the LA", "pupil": "the pupil"}.get(asked_by, "the parent")
            late = (
                f"{who} asked for a review meeting on {wording.day(clock.key.occurred_on)} and none is "
                f"recorded within {wording.school_days(p.requested_review_school_days)} (by "
                f"{wording.day(clock.due_on)}), with no review in the "
                f"{wording.count(p.requested_review_lookback_weeks, 'week')} before the request"
            )
            statute = STATUTE_REQUESTED
        else:
            late = f"its review was due by {wording.day(clock.due_on)} and no review or end is recorded"
            statute = STATUTE_OTHER
        reason = wording.reason(began, late, *wording.needs(referral), estimated=estimated)
        evidence = [r.event_id for r in state.chronological(placement.referrals)]
        if isinstance(clock.key, APReviewRequested):
            evidence.append(clock.key.event_id)
        found.append(
            candidate_for(
                RULE,
                params,
                clock.key,
                state.upn,
                evidence=evidence,
                reason=reason,
                statutory_reference=statute,
                as_of=clock.fires_on,
                due_on=clock.due_on,
                calendar_estimated=estimated,
            )
        )
    return found
