"""What the rules hand back: alert candidates, wake-ups for waiting rules, and resolutions.

A candidate is not yet an alert: the lifecycle (docs/domain.md, "What an alert is") folds candidates with
the same fingerprint into one alert, like Alertmanager.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from services.alerts.facts import Fact, SchoolFact
from services.alerts.fingerprints import fingerprint
from services.alerts.wording import with_note

if TYPE_CHECKING:
    from services.alerts.parameters import RuleParameters

Severity = Literal["low", "medium", "high"]
ResolutionKind = Literal["auto_resolved", "inhibited"]


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
    looked_after: bool = False  # about a looked-after pupil: the LA's Virtual School route gets it too


def candidate_for(
    rule: str,
    params: RuleParameters,
    about: Fact | SchoolFact,
    upn: str | None,
    reason: str,
    statutory_reference: str,
    *,
    subject: tuple[str, ...] | None = None,
    evidence: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    due_on: dt.date | None = None,
    calendar_estimated: bool = False,
) -> AlertCandidate:
    """A candidate of `rule` about one of the pupil's facts (`upn` the pupil's), or about a
    school's statistics (`upn` None): LA and school from `about`, severity and parameters version
    from `params`.

    About a fact, by default the alert is about that event: it is the key event and the whole
    evidence, `as_of` is the day it took effect, and the fingerprint is (upn, its event id). A
    `subject` says the alert is about something else (the pupil, the pupil's school year): the
    fingerprint is then (rule, *subject), with no key event. About a school, `subject` and
    `evidence` are the rule's own, and `as_of` is the statistics' day.

    About a pupil, the snapshot of `about` says whether the pupil is looked after (the alert also
    goes to the LA's Virtual School route) and whether a flag of `params.vulnerability` raises
    the severity; the reason then says so."""
    if not isinstance(about, Fact):
        key_event_id = None
        default_evidence: tuple[str, ...] = ()
        default_as_of = about.as_of
    else:
        key_event_id = about.event_id if subject is None else None
        default_evidence = (about.event_id,)
        default_as_of = about.occurred_on
        if subject is None and upn is not None:
            subject = (upn, about.event_id)
    if subject is None:
        raise ValueError(f"{rule}: a candidate without a UPN needs its subject")
    severity: Severity = getattr(params.rules, rule).severity
    looked_after = False
    if isinstance(about, Fact) and upn is not None:
        looked_after = bool(about.looked_after)
        severity, reason = _raised_for_vulnerability(severity, reason, about, params)
    return AlertCandidate(
        rule=rule,
        severity=severity,
        la_code=about.la_code,
        school_urn=about.school_urn,
        upn=upn,
        evidence=default_evidence if evidence is None else tuple(evidence),
        fingerprint=fingerprint(rule, *subject),
        reason=reason,
        statutory_reference=statutory_reference,
        as_of=default_as_of if as_of is None else as_of,
        key_event_id=key_event_id,
        due_on=due_on,
        calendar_estimated=calendar_estimated,
        parameters_version=params.version,
        looked_after=looked_after,
    )


_LEVELS: tuple[Severity, ...] = ("low", "medium", "high")
_FLAG_WORDS = {
    "child_protection_plan": "a child protection plan",
    "child_in_need": "a child in need plan",
    "looked_after": "looked-after status",
}


def _raised_for_vulnerability(
    severity: Severity, reason: str, fact: Fact, params: RuleParameters
) -> tuple[Severity, str]:
    """The severity one or more levels up (at most high) when the pupil's snapshot carries a flag
    the LA raises for, and the reason with a sentence saying so."""
    rule = params.vulnerability
    flags = [flag for flag in rule.raise_severity_for if getattr(fact, flag)]
    if not flags or rule.steps == 0:
        return severity, reason
    raised = _LEVELS[min(len(_LEVELS) - 1, _LEVELS.index(severity) + rule.steps)]
    if raised == severity:
        return severity, reason
    words = " and ".join(_FLAG_WORDS[flag] for flag in flags)
    return raised, with_note(reason, f"Severity raised from {severity} to {raised}: the pupil has {words}.")


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
