"""Plain-English pieces of an alert's reason text.

Reasons name schools by URN and dates in words; they never carry a name, a date of birth or a
UPN, and they end by saying that an alert is a prompt for enquiry, not a finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from services.alerts.facts import SEN_EHC_PLAN, SEN_SUPPORT, Fact

DISCLAIMER = "This is a prompt for enquiry, not a finding."

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_GROUNDS = {
    "other_school": "as registered at another school",
    "nursery_finished": "as nursery education finished",
    "dual_registration_ended": "as a dual registration ended",
    "sao_amended": "as a school attendance order named another school",
    "sao_revoked": "as a school attendance order was revoked",
    "home_education": "for home education",
    "moved_away": "as having moved away",
    "leave_not_returned": "as not back after leave of absence",
    "absent_20_days": "after 20 school days' continuous absence",
    "custody": "as in custody",
    "died": "as having died",
    "end_of_compulsory_age": "at the end of compulsory school age",
    "boarding_fees_unpaid": "as boarding fees were unpaid",
    "left_independent_special": "on leaving an independent or non-maintained special school",
    "permanently_excluded": "after a permanent exclusion",
}

_DESTINATIONS = {
    "school": "another school",
    "home_education": "home education",
    "moved_away": "a move away",
    "abroad": "a move abroad",
    "independent": "an independent school",
    "post16": "post-16 education or training",
    "custody": "custody",
    "died": "death",
    "unknown": "an unknown destination",
}


def day(value: dt.date) -> str:
    """'3 Mar 2026'."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def school(urn: str) -> str:
    return f"school {urn}"


def schools(urns: Iterable[str]) -> str:
    ordered = sorted(set(urns))
    if len(ordered) == 1:
        return school(ordered[0])
    return "schools " + ", ".join(ordered[:-1]) + " and " + ordered[-1]


def ground(code: str) -> str:
    return _GROUNDS.get(code, f"on ground '{code}'")


def destination(kind: str | None, laestab: str | None = None) -> str:
    if kind is None:
        return "no destination given"
    phrase = _DESTINATIONS.get(kind, f"destination '{kind}'")
    return f"{phrase} ({laestab})" if laestab else phrase


def count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def ordinal(number: int) -> str:
    """'1st', '2nd', '5th', '11th', '22nd'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def school_days(value: float) -> str:
    text = f"{value:g}"
    return f"{text} school day" if value == 1 else f"{text} school days"


def year_group(value: int) -> str:
    if value == 0:
        return "Reception"
    if value < 0:
        return "nursery"
    return f"Year {value}"


def needs(fact: Fact) -> list[str]:
    """The needs recorded on a fact's pupil snapshot, in words."""
    found = []
    if fact.sen_provision == SEN_EHC_PLAN:
        found.append("EHC plan")
    elif fact.sen_provision == SEN_SUPPORT:
        found.append("SEN support")
    if fact.looked_after:
        found.append("looked after")
    if fact.child_in_need:
        found.append("child in need")
    if fact.child_protection_plan:
        found.append("child protection plan")
    return found


def with_note(text: str, note: str) -> str:
    """A reason with one more sentence before its disclaimer."""
    return f"{text.removesuffix(DISCLAIMER).rstrip()} {note} {DISCLAIMER}"


def reason(*clauses: str, estimated: bool = False) -> str:
    """Clauses joined with '; ', one sentence, then the disclaimer."""
    text = "; ".join(clause for clause in clauses if clause)
    text = text[:1].upper() + text[1:]
    if estimated:
        text += "; school days partly estimated as weekdays (no term dates loaded for some of the period)"
    return f"{text}. {DISCLAIMER}"
