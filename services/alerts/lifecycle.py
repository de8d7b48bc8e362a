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
SYSTEM = "rollwatch"


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

    def mutes(self, alert: Alert, at: dt.datetime) -> bool:
        return self.created_at <= at < self.expires_at and all(
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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["evidence"] = list(self.evidence)
        for key in ("as_of", "due_on", "opened_at", "updated_at"):
            value = body[key]
            body[key] = value.isoformat() if value is not None else None
        return body


@dataclass
class AlertBook:
    """Every alert this service has raised, by id, with the silences in force."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    silences: dict[str, Silence] = field(default_factory=dict)
    by_fingerprint: dict[str, str] = field(default_factory=dict)

    def open_for(self, upn: str) -> list[Alert]:
        return [a for a in self.alerts.values() if a.upn == upn and a.is_open]

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
            )
            alert = replace(alert, silenced_by=self.silence_for(alert, at))
            return self._keep(alert)
        return self._step(
            known,
            at,
            "evidence_added",
            SYSTEM,
            evidence=known.evidence + new_evidence,
            reason=candidate.reason,
        )

    def apply_resolution(self, resolution: Resolution, at: dt.datetime) -> Alert | None:
        known = self._by_fingerprint(resolution.fingerprint)
        if known is None or not known.is_open:
            return None
        return self._step(
            known,
            at,
            resolution.kind,
            SYSTEM,
            status="auto_resolved",
            by_event_id=resolution.by_event_id,
            note=resolution.reason,
        )

    def acknowledge(self, alert_id: str, actor: str, note: str | None, at: dt.datetime) -> Alert:
        known = self._get(alert_id)
        if known.status != "open":
            raise LifecycleError(
                "alert_not_open", f"the alert is {known.status}; only an open alert is acknowledged"
            )
        return self._step(known, at, "acknowledged", actor, status="acknowledged", note=note)

    def resolve(self, alert_id: str, actor: str, outcome: str, note: str | None, at: dt.datetime) -> Alert:
        known = self._get(alert_id)
        if not known.is_open:
            raise LifecycleError("alert_closed", f"the alert is {known.status} already")
        return self._step(known, at, "resolved", actor, status="resolved", outcome=outcome, note=note)

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
        self.alerts[alert.alert_id] = alert
        latest = self._by_fingerprint(alert.fingerprint)
        # A fingerprint leads to its latest alert, whatever order `restore` meets them in.
        if latest is None or (latest.opened_at, latest.alert_id) <= (alert.opened_at, alert.alert_id):
            self.by_fingerprint[alert.fingerprint] = alert.alert_id
        return alert
