"""`feed_silent`: a school whose connector has sent a roll check, and so declared a live feed,
has sent no event and no roll check for N whole school days (the LA's calendar: weekends, holidays
and half terms do not count). Silence from a school's MIS means alerts that never come
(docs/domain.md, "Feed health and roll reconciliation").

The days counted are the school days after the day the school was last heard from, up to the day
before it was heard from again, or up to yesterday (the alert clock's `as_of` minus one day: today
is not over). One alert per silence (subject: the school and the day it was last heard from); the
next event or roll check from the school resolves it. A silence that had already ended when it
was judged still raises its alert, resolved by what ended it: it happened, and whatever the
school did during it reached the LA late."""

from __future__ import annotations

import datetime as dt

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar
from services.alerts.candidates import AlertCandidate, Resolution, candidate_for, fingerprint
from services.alerts.facts import FeedHeard
from services.alerts.parameters import RuleParameters

RULE = "feed_silent"
STATUTE = "reg 13 SI 2024/208 (returns to the LA on every admission and deletion); s436A Education Act 1996"


def silent_days(heard: FeedHeard, calendar: SchoolCalendar) -> int:
    until = heard.next_heard_on or heard.as_of
    return calendar.school_days_between(heard.last_heard_on, until - dt.timedelta(days=1))


def fingerprint_of(school_urn: str, last_heard_on: dt.date) -> str:
    return fingerprint(RULE, school_urn, last_heard_on.isoformat())


def evaluate(heard: FeedHeard, calendar: SchoolCalendar, params: RuleParameters) -> list[AlertCandidate]:
    limit = params.rules.feed_silent.school_days
    days = silent_days(heard, calendar)
    if days < limit:
        return []
    estimated = calendar.estimated_between(heard.last_heard_on, heard.next_heard_on or heard.as_of)
    reason = wording.reason(
        f"nothing from {wording.school(heard.school_urn)} since {wording.day(heard.last_heard_on)}: no event "
        f"and no roll check for {wording.school_days(days)} (threshold: {wording.school_days(limit)}); "
        "its system may have stopped sending, and its pupils' moves would then raise no alert",
        estimated=estimated,
    )
    return [
        candidate_for(
            RULE,
            params,
            heard,
            None,
            reason,
            STATUTE,
            subject=(heard.school_urn, heard.last_heard_on.isoformat()),
            evidence=(heard.last_event_id,),
            as_of=heard.next_heard_on or heard.as_of,
            calendar_estimated=estimated,
        )
    ]


def resolution(
    open_fingerprint: str, school_urn: str, heard_on: dt.date, by_event_id: str
) -> Resolution | None:
    """The school was heard from on `heard_on`: an open silence begun on an earlier day ends."""
    if open_fingerprint == fingerprint_of(school_urn, heard_on):
        return None
    return Resolution(
        fingerprint=open_fingerprint,
        rule=RULE,
        kind="auto_resolved",
        by_event_id=by_event_id,
        reason=f"the school was heard from again on {wording.day(heard_on)}",
    )
