"""Ledger events in plain words for the console's timelines (an alert's evidence, a pupil's
timeline): what happened, and its details, from the alerts' wording (`services.alerts.wording`) and
the contract's code lists. Pure: an event is the JSON the ledger holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas import codelists
from services.alerts import wording

EVENT_WORDS = {
    "pupil.enrolled": "Joined the school's roll",
    "pupil.deleted": "Taken off the school's roll",
    "pupil.suspended": "Suspended",
    "pupil.permanently_excluded": "Permanently excluded",
    "pupil.ap_referred": "Referred to alternative provision",
    "pupil.ap_review_requested": "Review of alternative provision requested",
    "pupil.ap_ended": "Alternative provision ended",
    "event.retracted": "Record withdrawn by the school",
}
_ENROLMENT = {
    "single": "Single registration",
    "main_dual": "Dual registration: this is the main school",
    "subsidiary_dual": "Dual registration: this is the subsidiary school",
    "guest": "Guest pupil (not on the admission register)",
}
_CTF_CODES = {
    "MMMMMMM": "an independent school or a school outside England and Wales",
    "XXXXXXX": "an unknown school",
}
_REVIEW = {
    "pending": "reinstatement review pending",
    "upheld": "upheld on review",
    "reinstated": "reinstated on review",
}
_AP_OUTCOMES = {
    "returned": "returned to the home school",
    "new_school": "moved to a new school",
    "post16": "went on to post-16 education or training",
    "removed_from_roll": "taken off roll",
    "other": "other",
}
_SEN = {"E": "EHC plan", "K": "SEN support"}


def title(event_type: str) -> str:
    return EVENT_WORDS.get(event_type, event_type)


def day(text: str | None) -> str:
    """An ISO date as '3 Mar 2026' (as given when it is not one)."""
    if not text:
        return ""
    try:
        return wording.day(dt.date.fromisoformat(text))
    except ValueError:
        return text


def _school(other: dict[str, Any] | None, laestab: str | None) -> str | None:
    if other and other.get("name"):
        return f"{other['name']} (URN {other['urn']})"
    if laestab in _CTF_CODES:
        return _CTF_CODES[laestab]
    return f"LAESTAB {laestab}" if laestab else None


def _reasons(codes: list[str]) -> str:
    known = codelists.exclusion_reasons()
    return "; ".join(known[code].description if code in known else code for code in codes)


def details(event: dict[str, Any], other_school: dict[str, Any] | None = None) -> list[str]:
    """The event's details as short sentences. `other_school` is the school at the other end of a
    move as the history names it (`other_school` of `GET /v1/pupils/{upn}/history`)."""
    data: dict[str, Any] = event.get("data") or {}
    kind = event.get("type")
    lines: list[str] = []
    if kind == "pupil.enrolled":
        lines.append(_ENROLMENT.get(data.get("enrolment_status", ""), "Enrolled"))
        came_from = _school(other_school, data.get("previous_school"))
        if came_from:
            lines.append(f"Came from {came_from}")
        if data.get("managed_move"):
            lines.append("A managed move (agreed instead of a permanent exclusion)")
    elif kind == "pupil.deleted":
        ground = data.get("ground", "")
        reference = codelists.deletion_grounds().get(ground)
        if data.get("regulation") == "2006":
            cited = " (under the 2006 regulations)"
        else:
            cited = f" ({reference.reference})" if reference else ""
        lines.append(f"Taken off roll {wording.ground(ground)}{cited}")
        destination = data.get("destination") or {}
        to = _school(other_school, destination.get("laestab") or data.get("ctf_destination"))
        lines.append(
            f"Destination: {wording.destination(destination.get('kind'))}" + (f", {to}" if to else "")
        )
    if kind in ("pupil.enrolled", "pupil.deleted"):
        told = data.get("la_notified_on")
        lines.append(f"The LA was told on {day(told)}" if told else "The LA was not told")
    if kind == "pupil.suspended":
        sessions = int(data.get("sessions", 0))
        lines.append(
            f"{wording.count(sessions, 'session')} (half days) from {day(data.get('start_on'))}; "
            f"{_reasons(data.get('reasons', []))}"
        )
    elif kind == "pupil.permanently_excluded":
        lines.append(_reasons(data.get("reasons", [])))
        lines.append(_REVIEW.get(data.get("review", ""), "").capitalize())
    elif kind == "pupil.ap_referred":
        arrangement = codelists.ap_arrangements().get(data.get("arrangement", ""))
        lines.append(arrangement.description if arrangement else str(data.get("arrangement", "")))
        provider = data.get("provider") or {}
        named = provider.get("name") or (f"URN {provider['urn']}" if provider.get("urn") else None)
        lines.append(
            (f"Provider: {named}; " if named else "")
            + f"from {day(data.get('start_on'))}, review by {day(data.get('review_by'))}, "
            f"planned end {day(data.get('planned_end_on'))}"
        )
    elif kind == "pupil.ap_ended":
        outcome = _AP_OUTCOMES.get(data.get("outcome", ""), data.get("outcome", ""))
        lines.append(f"Ended on {day(data.get('ended_on'))}: {outcome}")
    elif kind == "event.retracted" and data.get("reason"):
        lines.append(f"Reason given: {data['reason']}")
    pupil = event.get("pupil") or {}
    if "year_group" in pupil:
        needs = _SEN.get(pupil.get("sen_provision", ""))
        lines.append(wording.year_group(int(pupil["year_group"])) + (f", {needs}" if needs else ""))
    return [line for line in lines if line]
