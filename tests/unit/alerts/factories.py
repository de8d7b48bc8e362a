"""Builders of facts for the alert tests: every field has a plain default, tests name only what
matters to them."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from services.alerts.calendar import SchoolCalendar, load_calendar
from services.alerts.facts import (
    APEnded,
    APReferral,
    APReviewRequested,
    Deletion,
    Enrolment,
    PermanentExclusion,
    PupilFact,
    PupilState,
    Retraction,
    Suspension,
)
from services.alerts.parameters import RuleParameters, default_parameters

UPN = "H801200001001"
SCHOOL = "100000"
OTHER_SCHOOL = "100001"
THIRD_SCHOOL = "100002"
LA = "886"

_ids = itertools.count(1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)


def _envelope(kw: dict[str, Any]) -> dict[str, Any]:
    occurred = kw.pop("occurred_on", d("2025-11-03"))
    if isinstance(occurred, str):
        occurred = d(occurred)
    recorded = kw.pop("recorded_at", None) or at_noon(occurred)
    return {
        "event_id": kw.pop("event_id", None) or f"ev-{next(_ids):05d}",
        "upn": kw.pop("upn", UPN),
        "school_urn": kw.pop("school_urn", SCHOOL),
        "la_code": kw.pop("la_code", LA),
        "occurred_on": occurred,
        "recorded_at": recorded,
        "year_group": kw.pop("year_group", 9),
        "sen_provision": kw.pop("sen_provision", "N"),
        "looked_after": kw.pop("looked_after", None),
        "child_in_need": kw.pop("child_in_need", None),
        "placed_by_la": kw.pop("placed_by_la", None),
        "s47_enquiries": kw.pop("s47_enquiries", None),
        "child_protection_plan": kw.pop("child_protection_plan", None),
    }


def _dates(kw: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if isinstance(kw.get(name), str):
            kw[name] = d(kw[name])
    return kw


def enrolment(**kw: Any) -> Enrolment:
    base = _envelope(kw)
    kw = _dates(kw, "la_notified_on")
    kw.setdefault("la_notified_on", base["occurred_on"])
    return Enrolment(**base, **kw)


def deletion(**kw: Any) -> Deletion:
    base = _envelope(kw)
    kw = _dates(kw, "la_notified_on", "la_consent_on")
    kw.setdefault("ground", "other_school")
    kw.setdefault("destination_kind", "school")
    kw.setdefault("destination_laestab", "8864000")
    kw.setdefault("la_notified_on", base["occurred_on"])
    return Deletion(**base, **kw)


def suspension(**kw: Any) -> Suspension:
    base = _envelope(kw)
    kw = _dates(kw, "start_on")
    kw.setdefault("start_on", base["occurred_on"])
    kw.setdefault("sessions", 2)
    kw.setdefault("reasons", ("PD",))
    return Suspension(**base, **kw)


def exclusion(**kw: Any) -> PermanentExclusion:
    base = _envelope(kw)
    kw.setdefault("reasons", ("PA",))
    return PermanentExclusion(**base, **kw)


def referral(**kw: Any) -> APReferral:
    base = _envelope(kw)
    kw = _dates(kw, "start_on", "review_by", "planned_end_on")
    kw.setdefault("provider", "urn:140000")
    kw.setdefault("arrangement", "school_commissioned")
    kw.setdefault("start_on", base["occurred_on"])
    return APReferral(**base, **kw)


def review_request(referral_event_id: str, **kw: Any) -> APReviewRequested:
    base = _envelope(kw)
    kw.setdefault("requested_by", "parent")
    return APReviewRequested(**base, referral_event_id=referral_event_id, **kw)


def ap_ended(referral_event_id: str, **kw: Any) -> APEnded:
    base = _envelope(kw)
    kw = _dates(kw, "ended_on")
    kw.setdefault("ended_on", base["occurred_on"])
    kw.setdefault("outcome", "returned")
    return APEnded(**base, referral_event_id=referral_event_id, **kw)


def retraction(retracts: str, **kw: Any) -> Retraction:
    base = _envelope(kw)
    return Retraction(**base, retracts=retracts, reason=kw.pop("reason", "sent in error"))


def state(*facts: PupilFact, upn: str = UPN) -> PupilState:
    result = PupilState(upn)
    for fact in facts:
        result = result.with_fact(fact)
    return result


def calendar() -> SchoolCalendar:
    return load_calendar(LA)


def params(**rules: dict[str, Any]) -> RuleParameters:
    """The default thresholds, with some rules' values replaced: params(no_destination={...})."""
    base = default_parameters()
    if not rules:
        return base
    updated = base.rules.model_copy(
        update={name: getattr(base.rules, name).model_copy(update=values) for name, values in rules.items()}
    )
    return base.model_copy(update={"rules": updated})
