"""What the rules hand back: alert candidates, wake-ups for waiting rules, and resolutions.

A candidate is not yet an alert: the lifecycle (docs/domain.md, "What an alert is") folds candidates with
the same fingerprint into one alert, like Alertmanager.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from services.alerts.facts import Fact

Severity = Literal["low", "medium", "high"]
ResolutionKind = Literal["auto_resolved", "inhibited"]


def fingerprint(rule: str, *subject: str) -> str:
    """A stable id for "this rule about this subject": the same inputs give the same value in
    every process and every release, so duplicate candidates fold into one alert."""
    text = "\x1f".join((rule, *subject))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    rule: str
    severity: Severity
    la_code: str
    school_urn: str
    upn: str | None  # None for a school-level alert; never put in `reason`
    evidence: tuple[str, ...]  # event ids behind the alert, in the order they took effect
    fingerprint: str
    reason: str  # plain English, no names, no UPN; says it is a prompt for enquiry
    statutory_reference: str
    as_of: dt.date  # the (event-time) day on which the condition was met
    key_event_id: str | None = None  # the one event the alert is about, where there is one
    due_on: dt.date | None = None  # waiting rules: the deadline that passed
    calendar_estimated: bool = False  # school days outside known term dates were estimated
    parameters_version: str = ""


@dataclass(frozen=True, slots=True)
class WakeUp:
    """A waiting rule's "when would I fire": evaluate the rule for `upn` at `fires_on` or later.

    `due_on` is the last day on which the awaited thing (an enrolment, a review, ...) still
    counts as in time; `fires_on` the first day after it that the rule counts.
    """

    rule: str
    fingerprint: str
    la_code: str
    school_urn: str
    upn: str
    key_event_id: str
    due_on: dt.date
    fires_on: dt.date
    calendar_estimated: bool = False

    @classmethod
    def for_fact(
        cls, rule: str, fact: Fact, due_on: dt.date, fires_on: dt.date, calendar_estimated: bool
    ) -> WakeUp:
        """The wake-up of a waiting rule about one of the pupil's facts (its key event)."""
        return cls(
            rule=rule,
            fingerprint=fingerprint(rule, fact.upn, fact.event_id),
            la_code=fact.la_code,
            school_urn=fact.school_urn,
            upn=fact.upn,
            key_event_id=fact.event_id,
            due_on=due_on,
            fires_on=fires_on,
            calendar_estimated=calendar_estimated,
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    """A new fact closes an open alert: `auto_resolved` (the condition no longer holds) or
    `inhibited` (the pupil died: every alert about them is muted)."""

    fingerprint: str
    rule: str
    kind: ResolutionKind
    by_event_id: str
    reason: str


class OpenAlert(Protocol):
    """What resolution needs to know of an open alert (an AlertCandidate has all of it)."""

    @property
    def rule(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def upn(self) -> str | None: ...
    @property
    def evidence(self) -> tuple[str, ...]: ...
    @property
    def key_event_id(self) -> str | None: ...
    @property
    def as_of(self) -> dt.date: ...
