"""An alert's life, Alertmanager-style: raised once per fingerprint while open (duplicates fold),
resolved automatically by a later event or by an officer, raised anew if the condition holds again
on new evidence after that, muted by silences without losing the record.
Pure: every change is returned as a transition (a full snapshot of the alert after it), which
the store appends and publishes; nothing is edited in place."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from services.alerts.candidates import AlertCandidate, Resolution

Status = Literal["open", "acknowledged", "resolved", "auto_resolved"]
OPEN_STATUSES = ("open", "acknowledged")
_RANK = ("low", "medium", "high")
SYSTEM = "rollwatch"
# The enquiries an officer records on a case, the checklist of a child missing education
# (DfE, "Children missing education", 2016, and "Working together to improve school attendance").
ENQUIRY_KINDS: dict[str, str] = {
    "parents_contacted": "Parents or carers contacted",
    "lost_pupils_search": "School-to-school or Lost Pupils Database search",
    "other_la_asked": "Other local authority asked",
    "health_social_care_checked": "Health or children's social care checked",
    "home_visit": "Home visit",
}


# What a step by the system clears of the step before it (an officer's name, an enquiry).
_SYSTEM_STEP: dict[str, Any] = {"actor_name": "", "enquiry_kind": None, "enquiry_on": None}


class LifecycleError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Silence:
    silence_id: str
    matchers: dict[str, str]  # alert field -> value: rule, la_code, school_urn, severity, upn
    author: str
    reason: str
    created_at: dt.datetime
    expires_at: dt.datetime
    author_name: str = ""
    ended_at: dt.datetime | None = None  # ended early by an officer
    ended_by: str | None = None

    @property
    def until(self) -> dt.datetime:
        return min(self.expires_at, self.ended_at) if self.ended_at else self.expires_at

    def active(self, at: dt.datetime) -> bool:
        return self.created_at <= at < self.until

    def mutes(self, alert: Alert, at: dt.datetime) -> bool:
        return self.active(at) and all(
            str(getattr(alert, name, "")) == value for name, value in self.matchers.items()
        )


@dataclass(frozen=True)
class Alert:
    alert_id: str  # random: a fingerprint hashes the UPN, so it is never shown as an id
    fingerprint: str  # one alert per rule and subject: duplicates fold into it
    rule: str
    severity: str
    la_code: str
    school_urn: str
    upn: str | None
    evidence: tuple[str, ...]
    reason: str
    statutory_reference: str
    as_of: dt.date
    key_event_id: str | None
    due_on: dt.date | None
    status: Status
    opened_at: dt.datetime
    updated_at: dt.datetime
    seq: int  # how many transitions it has had
    transition: str  # the latest: opened, evidence_added, acknowledged, resolved, auto_resolved, inhibited
    actor: str = SYSTEM
    outcome: str | None = None
    note: str | None = None
    by_event_id: str | None = None
    silenced_by: str | None = None
    parameters_version: str = ""
    # Case work (console and API): who took the step, who holds the case, when an officer last
    # acted on it, and the enquiry a step records.
    actor_name: str = ""
    assignee: str | None = None  # "key:<key id>"
    assignee_name: str | None = None
    touched_at: dt.datetime | None = None
    enquiry_kind: str | None = None
    enquiry_on: dt.date | None = None
    # About a looked-after pupil: notifications also go to the LA's Virtual School route.
    looked_after: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_touched(self) -> dt.datetime:
        """When an officer last acted on the alert, or when it opened."""
        return self.touched_at or self.opened_at

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["evidence"] = list(self.evidence)
        for key in ("as_of", "due_on", "opened_at", "updated_at", "touched_at", "enquiry_on"):
            value = body[key]
            body[key] = value.isoformat() if value is not None else None
        return body


@dataclass
class AlertBook:
    """Every alert this service has raised, by id, with the silences in force."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    silences: dict[str, Silence] = field(default_factory=dict)
    by_fingerprint: dict[str, str] = field(default_factory=dict)
    by_la: dict[str, dict[str, Alert]] = field(default_factory=dict)  # the inbox reads one LA's
    by_upn: dict[str, dict[str, Alert]] = field(default_factory=dict)  # a pupil's, for their timeline

    def open_for(self, upn: str) -> list[Alert]:
        return [a for a in self.by_upn.get(upn, {}).values() if a.is_open]

    def of_pupil(self, upns: Iterable[str]) -> list[Alert]:
        """Every alert about the pupil under any of their UPNs, oldest first."""
        found = [alert for upn in set(upns) for alert in self.by_upn.get(upn, {}).values()]
        return sorted(found, key=lambda a: (a.opened_at, a.alert_id))

    def silence_for(self, alert: Alert, at: dt.datetime) -> str | None:
        return next((s.silence_id for s in self.silences.values() if s.mutes(alert, at)), None)

    def raise_candidate(self, candidate: AlertCandidate, at: dt.datetime) -> Alert | None:
        """A new alert, a step adding evidence to the open alert of the candidate's fingerprint, or
        None when the candidate repeats what the fingerprint's latest alert holds. Once that alert
        is closed (by an officer or by a later event), a candidate bringing evidence it does not
        hold opens a new alert with the same fingerprint: the condition holds again on new facts
        (the closed alert and its history stay as they were)."""
        known = self._by_fingerprint(candidate.fingerprint)
        new_evidence = tuple(e for e in candidate.evidence if known is None or e not in known.evidence)
        if known is not None and not new_evidence:
            return None  # a duplicate folds into the alert it repeats
        if known is None or not known.is_open:
            alert = Alert(
                alert_id=uuid.uuid4().hex,
                fingerprint=candidate.fingerprint,
                rule=candidate.rule,
                severity=candidate.severity,
                la_code=candidate.la_code,
                school_urn=candidate.school_urn,
                upn=candidate.upn,
                evidence=tuple(candidate.evidence),
                reason=candidate.reason,
                statutory_reference=candidate.statutory_reference,
                as_of=candidate.as_of,
                key_event_id=candidate.key_event_id,
                due_on=candidate.due_on,
                status="open",
                opened_at=at,
                updated_at=at,
                seq=1,
                transition="opened",
                parameters_version=candidate.parameters_version,
                looked_after=candidate.looked_after,
            )
            alert = replace(alert, silenced_by=self.silence_for(alert, at))
            return self._keep(alert)
        return self._keep(
            replace(
                known,
                evidence=known.evidence + new_evidence,
                reason=candidate.reason,
                severity=max(known.severity, candidate.severity, key=_RANK.index),
                looked_after=known.looked_after or candidate.looked_after,
                updated_at=at,
                seq=known.seq + 1,
                transition="evidence_added",
                actor=SYSTEM,
                **_SYSTEM_STEP,
            )
        )

    def apply_resolution(self, resolution: Resolution, at: dt.datetime) -> Alert | None:
        known = self._by_fingerprint(resolution.fingerprint)
        if known is None or not known.is_open:
            return None
        return self._keep(
            replace(
                known,
                status="auto_resolved",
                updated_at=at,
                seq=known.seq + 1,
                transition=resolution.kind,
                actor=SYSTEM,
                **_SYSTEM_STEP,
                by_event_id=resolution.by_event_id,
                note=resolution.reason,
            )
        )

    def acknowledge(
        self, alert_id: str, actor: str, note: str | None, at: dt.datetime, actor_name: str = ""
    ) -> Alert:
        known = self._get(alert_id)
        if known.status != "open":
            raise LifecycleError(
                "alert_not_open", f"the alert is {known.status}; only an open alert is acknowledged"
            )
        return self._officer_step(
            known, "acknowledged", actor, actor_name, at, status="acknowledged", note=note
        )

    def resolve(
        self, alert_id: str, actor: str, outcome: str, note: str | None, at: dt.datetime, actor_name: str = ""
    ) -> Alert:
        known = self._open(alert_id)
        return self._officer_step(
            known, "resolved", actor, actor_name, at, status="resolved", outcome=outcome, note=note
        )

    def assign(
        self, alert_id: str, actor: str, actor_name: str, assignee: str, assignee_name: str, at: dt.datetime
    ) -> Alert:
        """Give the case to an officer (the actor or a colleague); a reassignment is the same step."""
        known = self._open(alert_id)
        if known.assignee == assignee:
            raise LifecycleError("already_assigned", f"the alert is assigned to {assignee_name} already")
        return self._officer_step(
            known,
            "assigned",
            actor,
            actor_name,
            at,
            assignee=assignee,
            assignee_name=assignee_name,
            note=None,
        )

    def add_note(self, alert_id: str, actor: str, actor_name: str, note: str, at: dt.datetime) -> Alert:
        """A case note: allowed at any status (a closed case can still gather notes)."""
        return self._officer_step(self._get(alert_id), "note_added", actor, actor_name, at, note=note)

    def record_enquiry(
        self,
        alert_id: str,
        actor: str,
        actor_name: str,
        kind: str,
        on: dt.date,
        note: str | None,
        at: dt.datetime,
    ) -> Alert:
        if kind not in ENQUIRY_KINDS:
            raise LifecycleError(
                "unknown_enquiry", f"unknown enquiry; use one of: {', '.join(ENQUIRY_KINDS)}"
            )
        known = self._open(alert_id)
        return self._officer_step(
            known, "enquiry_recorded", actor, actor_name, at, enquiry_kind=kind, enquiry_on=on, note=note
        )

    def in_la(self, la_code: str) -> dict[str, Alert]:
        return self.by_la.get(la_code, {})

    def _officer_step(
        self, known: Alert, transition: str, actor: str, actor_name: str, at: dt.datetime, **changes: Any
    ) -> Alert:
        return self._keep(
            replace(
                known,
                updated_at=at,
                touched_at=at,
                seq=known.seq + 1,
                transition=transition,
                actor=actor,
                actor_name=actor_name,
                **({"by_event_id": None, "enquiry_kind": None, "enquiry_on": None} | changes),
            )
        )

    def _open(self, alert_id: str) -> Alert:
        known = self._get(alert_id)
        if not known.is_open:
            raise LifecycleError("alert_closed", f"the alert is {known.status} already")
        return known

    def restore(self, alerts: Iterable[Alert], silences: Iterable[Silence]) -> None:
        for alert in alerts:
            current = self.alerts.get(alert.alert_id)
            if current is None or alert.seq > current.seq:
                self._keep(alert)
        for silence in silences:
            self.silences[silence.silence_id] = silence

    def _get(self, alert_id: str) -> Alert:
        known = self.alerts.get(alert_id)
        if known is None:
            raise LifecycleError("not_found", "no alert with this id")
        return known

    def _by_fingerprint(self, fingerprint: str) -> Alert | None:
        alert_id = self.by_fingerprint.get(fingerprint)
        return self.alerts.get(alert_id) if alert_id else None

    def _step(self, known: Alert, at: dt.datetime, transition: str, actor: str, **changes: Any) -> Alert:
        """The alert's next transition, by `actor` at `at`, with what it changes; kept."""
        return self._keep(
            replace(known, updated_at=at, seq=known.seq + 1, transition=transition, actor=actor, **changes)
        )

    def _keep(self, alert: Alert) -> Alert:
        # At the alert store's precision (DateTime64(3)): a step read back after a restart must
        # be the step kept now, or its notification's transition key differs and goes out twice.
        alert = replace(
            alert,
            opened_at=_to_millisecond(alert.opened_at),
            updated_at=_to_millisecond(alert.updated_at),
            touched_at=alert.touched_at and _to_millisecond(alert.touched_at),
        )
        self.alerts[alert.alert_id] = alert
        self.by_la.setdefault(alert.la_code, {})[alert.alert_id] = alert
        if alert.upn:
            self.by_upn.setdefault(alert.upn, {})[alert.alert_id] = alert
        latest = self._by_fingerprint(alert.fingerprint)
        # A fingerprint leads to its latest alert, whatever order `restore` meets them in.
        if latest is None or (latest.opened_at, latest.alert_id) <= (alert.opened_at, alert.alert_id):
            self.by_fingerprint[alert.fingerprint] = alert.alert_id
        return alert


def _to_millisecond(at: dt.datetime) -> dt.datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)
