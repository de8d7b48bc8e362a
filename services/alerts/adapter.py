"""Turns a ledger event (as `pupil-moves` carries it) into the fact the rules read. The LA is the
one the schools register names for the reporting school; a school the register does not know
yields no fact (the tracker refuses such events before they get here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.alerts.facts import (
    APEnded,
    APReferral,
    APReviewRequested,
    Deletion,
    Enrolment,
    PermanentExclusion,
    PupilFact,
    Retraction,
    Suspension,
)
from services.schools.register import SchoolsRegister
from services.tracker.reads import is_special_school


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _laestab(value: Any) -> str | None:
    """A CTF-style school reference may be a LAESTAB string or an object carrying one."""
    if isinstance(value, dict):
        value = value.get("laestab")
    return value if isinstance(value, str) else None


def to_fact(event: dict[str, Any], schools: SchoolsRegister) -> PupilFact | None:
    la_code = schools.la_of(event["school_urn"])
    if la_code is None:
        return None
    pupil = event["pupil"]
    data = event["data"]
    common: dict[str, Any] = {
        "event_id": event["event_id"],
        "upn": event["upn"],
        "school_urn": event["school_urn"],
        "la_code": la_code,
        "occurred_on": dt.date.fromisoformat(event["occurred_on"]),
        "recorded_at": dt.datetime.fromisoformat(event["recorded_at"]),
        "year_group": pupil["year_group"],
        "sen_provision": pupil["sen_provision"],
        "looked_after": pupil.get("looked_after"),
        "child_in_need": pupil.get("child_in_need"),
        "placed_by_la": pupil.get("placed_by_la"),
        "s47_enquiries": pupil.get("s47_enquiries"),
        "child_protection_plan": pupil.get("child_protection_plan"),
    }
    kind = event["type"]
    if kind == "pupil.enrolled":
        return Enrolment(
            **common,
            enrolment_status=data["enrolment_status"],
            previous_school=_laestab(data.get("previous_school")),
            la_notified_on=_date(data.get("la_notified_on")),
            managed_move=bool(data.get("managed_move", False)),
        )
    if kind == "pupil.deleted":
        destination = data.get("destination") or {}
        school = schools.get(event["school_urn"])
        return Deletion(
            **common,
            ground=data["ground"],
            regulation=str(data.get("regulation", "2024")),
            destination_kind=destination.get("kind"),
            destination_laestab=destination.get("laestab"),
            la_notified_on=_date(data.get("la_notified_on")),
            ctf_destination=_laestab(data.get("ctf_destination")),
            la_consent_on=_date(data.get("la_consent_on")),
            school_top_year_group=school.top_year_group if school else None,
            school_is_special=school is not None and is_special_school(school),
        )
    if kind == "pupil.suspended":
        return Suspension(
            **common,
            start_on=dt.date.fromisoformat(data["start_on"]),
            sessions=int(data["sessions"]),
            reasons=tuple(data.get("reasons", ())),
            misses_public_examination=bool(data.get("misses_public_examination")),
        )
    if kind == "pupil.permanently_excluded":
        return PermanentExclusion(
            **common, reasons=tuple(data.get("reasons", ())), review=data.get("review", "pending")
        )
    if kind == "pupil.ap_referred":
        provider = data.get("provider") or {}
        return APReferral(
            **common,
            provider=str(provider.get("urn") or provider.get("ukprn") or provider.get("name") or ""),
            arrangement=data["arrangement"],
            tier=data.get("tier"),
            start_on=dt.date.fromisoformat(data["start_on"]),
            review_by=_date(data.get("review_by")),
            planned_end_on=_date(data.get("planned_end_on")),
            objective=data.get("objective"),
        )
    if kind == "pupil.ap_review_requested":
        return APReviewRequested(
            **common, referral_event_id=str(data["referral_event_id"]), requested_by=data["requested_by"]
        )
    if kind == "pupil.ap_ended":
        return APEnded(
            **common,
            referral_event_id=str(data["referral_event_id"]),
            ended_on=dt.date.fromisoformat(data["ended_on"]),
            outcome=data["outcome"],
        )
    if kind == "event.retracted":
        return Retraction(**common, retracts=str(data["retracts"]), reason=data.get("reason", ""))
    return None
