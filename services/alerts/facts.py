"""The facts the alert rules read: small frozen records, independent of the wire models.

An adapter turns each event of the contract (docs/domain.md, "Events") into one of these.
Codes (grounds, destination kinds, arrangements, ...) stay plain strings, as the contract's code
lists are versioned data, not enums. `la_code` is the LA of the reporting school, taken from the
schools register. A `PupilState` holds one pupil's facts in the order the ledger recorded them;
`SchoolStats` holds what the school-level rule needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")

SEN_EHC_PLAN = "E"
SEN_SUPPORT = "K"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """What every event carries: the envelope and the pupil snapshot at the event."""

    event_id: str
    upn: str
    school_urn: str
    la_code: str
    occurred_on: dt.date
    recorded_at: dt.datetime  # aware
    year_group: int
    sen_provision: str  # "E" EHC plan, "K" SEN support, "N" none
    looked_after: bool | None = None
    child_in_need: bool | None = None
    placed_by_la: bool | None = None  # registered here under arrangements made by an LA
    s47_enquiries: bool | None = None  # an LA is making s47 Children Act 1989 enquiries
    child_protection_plan: bool | None = None

    @property
    def recorded_on(self) -> dt.date:
        """The day, in England, on which the school recorded the event."""
        return self.recorded_at.astimezone(ENGLAND).date()


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolment(Fact):
    """`pupil.enrolled`: put on roll at `school_urn` on `occurred_on`."""

    enrolment_status: str = "single"  # single / main_dual / subsidiary_dual / guest
    previous_school: str | None = None  # LAESTAB, MMMMMMM, XXXXXXX or None
    la_notified_on: dt.date | None = None
    managed_move: bool = False
    school_entry_year_group: int | None = None  # the school's youngest year, when the register knows


@dataclass(frozen=True, slots=True, kw_only=True)
class Deletion(Fact):
    """`pupil.deleted`: taken off roll at `school_urn` with effect from `occurred_on`."""

    ground: str  # a reg 9(1) ground code: other_school, home_education, died, ...
    regulation: str = "2024"  # "2024" or "2006"
    destination_kind: str | None = None  # school / home_education / moved_away / abroad / ...
    destination_laestab: str | None = None
    la_notified_on: dt.date | None = None
    ctf_destination: str | None = None  # LAESTAB, MMMMMMM, XXXXXXX or None
    la_consent_on: dt.date | None = None  # the LA's consent to withdrawal for home education (s434A)
    school_top_year_group: int | None = None  # the school's most senior class, when the register knows
    school_is_special: bool = False  # the deleting school is a special school (register)


@dataclass(frozen=True, slots=True, kw_only=True)
class Suspension(Fact):
    """`pupil.suspended`: `sessions` half-days from `start_on`."""

    start_on: dt.date
    sessions: int
    reasons: tuple[str, ...] = ()
    misses_public_examination: bool = False

    @property
    def school_days(self) -> float:
        return self.sessions / 2


@dataclass(frozen=True, slots=True, kw_only=True)
class PermanentExclusion(Fact):
    """`pupil.permanently_excluded`, decided on `occurred_on`."""

    reasons: tuple[str, ...] = ()
    review: str = "pending"  # pending / upheld / reinstated


@dataclass(frozen=True, slots=True, kw_only=True)
class APReferral(Fact):
    """`pupil.ap_referred`: a placement in alternative provision."""

    provider: str  # the provider's URN, UKPRN or name, as one key
    arrangement: str  # directed_off_site / la_arranged / dual_registration / school_commissioned
    tier: str | None = None
    start_on: dt.date
    review_by: dt.date | None = None
    planned_end_on: dt.date | None = None
    objective: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class APReviewRequested(Fact):
    """`pupil.ap_review_requested`: a written request, made on `occurred_on`, for a review
    meeting of the placement begun by `referral_event_id`."""

    referral_event_id: str
    requested_by: str  # parent / pupil / local_authority


@dataclass(frozen=True, slots=True, kw_only=True)
class APEnded(Fact):
    """`pupil.ap_ended`: the placement begun by `referral_event_id` ended."""

    referral_event_id: str
    ended_on: dt.date
    outcome: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Retraction(Fact):
    """`event.retracted`: the event `retracts` is withdrawn (corrections come as new events)."""

    retracts: str
    reason: str = ""


PupilFact = (
    Enrolment
    | Deletion
    | Suspension
    | PermanentExclusion
    | APReferral
    | APReviewRequested
    | APEnded
    | Retraction
)
F = TypeVar("F", bound=Fact)


@dataclass(frozen=True)
class PupilState:
    """One pupil's facts in the order the ledger recorded them (arrival order).

    `active` leaves out retracted facts and the retractions themselves; a retraction of a
    retraction reinstates the first event.
    """

    upn: str
    facts: tuple[PupilFact, ...] = ()

    def with_fact(self, fact: PupilFact) -> PupilState:
        if any(known.event_id == fact.event_id for known in self.facts):
            return self  # a duplicate delivery changes nothing
        return PupilState(self.upn, (*self.facts, fact))

    @cached_property
    def retracted_ids(self) -> frozenset[str]:
        retracted: set[str] = set()
        for fact in reversed(self.facts):  # a retraction can only name an earlier event
            if isinstance(fact, Retraction) and fact.event_id not in retracted:
                retracted.add(fact.retracts)
        return frozenset(retracted)

    @cached_property
    def active(self) -> tuple[PupilFact, ...]:
        return tuple(
            fact
            for fact in self.facts
            if not isinstance(fact, Retraction) and fact.event_id not in self.retracted_ids
        )

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {fact.event_id: index for index, fact in enumerate(self.facts)}

    def of(self, kind: type[F]) -> tuple[F, ...]:
        """The active facts of one kind, in arrival order."""
        return tuple(fact for fact in self.active if isinstance(fact, kind))

    def find(self, event_id: str) -> PupilFact | None:
        """The active fact with this id, if any."""
        return next((fact for fact in self.active if fact.event_id == event_id), None)

    def is_active(self, fact: Fact) -> bool:
        return fact.event_id in self._positions and fact.event_id not in self.retracted_ids

    def arrived_after(self, later: Fact, earlier: Fact) -> bool:
        return self._positions.get(later.event_id, -1) > self._positions.get(earlier.event_id, -1)

    def chronological(self, facts: Iterable[F]) -> tuple[F, ...]:
        """Facts by the date they took effect, ties in arrival order."""
        return tuple(
            sorted(facts, key=lambda fact: (fact.occurred_on, self._positions.get(fact.event_id, -1)))
        )

    @cached_property
    def death(self) -> Deletion | None:
        """The active deletion on the ground that the pupil died, if any."""
        return next((fact for fact in self.of(Deletion) if fact.ground == "died"), None)


@dataclass(frozen=True, slots=True)
class SchoolExit:
    """One deletion from a school's roll, as the school-level rule sees it."""

    event_id: str
    occurred_on: dt.date
    unexplained: bool  # per EPI's definition: see services.alerts.exits
    send: bool  # EHC plan or SEN support at the deletion


@dataclass(frozen=True, slots=True)
class SchoolStats:
    """A school's roll and its exits, as at `as_of`.

    `roll_size` and `send_on_roll` are the numbers on roll (SEND = EHC plan or SEN support) at
    `as_of`; `exits` may reach further back than the rule's window: the rule keeps those inside it.
    """

    school_urn: str
    la_code: str
    as_of: dt.date
    roll_size: int
    send_on_roll: int
    exits: tuple[SchoolExit, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RollCheck:
    """`school.roll_checked`: the school's own count of its admission register at the end of
    `as_of`, and the pupils Rollwatch had on roll there then (`known`, from what was recorded by
    the check's own `recorded_at`)."""

    event_id: str
    school_urn: str
    la_code: str
    as_of: dt.date
    recorded_at: dt.datetime
    on_roll: int
    known: int

    @property
    def difference(self) -> int:
        """Pupils on the school's register that Rollwatch does not have on roll (negative: the
        other way round)."""
        return self.on_roll - self.known


@dataclass(frozen=True, slots=True)
class FeedHeard:
    """A gap in what a watched school (one that has sent a roll check) sent: heard from on
    `last_heard_on` (its last event or roll check that day: `last_event_id`), then next on
    `next_heard_on` (by `next_event_id`), or not yet by `as_of`, the alert clock's day."""

    school_urn: str
    la_code: str
    as_of: dt.date
    last_heard_on: dt.date
    last_event_id: str
    next_heard_on: dt.date | None = None
    next_event_id: str | None = None


SchoolFact = SchoolStats | RollCheck | FeedHeard
