"""Hypothesis strategies for extreme-but-valid events: every event type (from the contract's own
examples), dates at the contract's bounds (the earliest date of birth, planned dates in 2299, a
move on the day of birth or tomorrow), free text at its maximal length, any UPN. Every event drawn
passes `parse_event` at the clock given: whatever is drawn must be judged without an error."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from schemas import EventInvalid, parse_event
from schemas.dates import EARLIEST_BIRTH, LATEST_DATE
from schemas.events.exclusions import MAX_SESSIONS
from schemas.events.school import MAX_ROLL
from schemas.examples import valid_examples
from tests.support.events import upn_for

EXAMPLES = valid_examples()
# Long text, some of it outside ASCII (the limits count characters).
_LONG = st.sampled_from(["x", "é", "黒", " a"])


def _today(now: dt.datetime) -> dt.date:
    return now.date()


@st.composite
def extreme_events(draw: Any, now: dt.datetime, school_urns: tuple[str, ...] | None = None) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    event = copy.deepcopy(EXAMPLES[name])
    latest = _today(now) + dt.timedelta(days=1)
    birth = draw(st.sampled_from([EARLIEST_BIRTH, dt.date(2000, 2, 29)]) | st.dates(EARLIEST_BIRTH, latest))
    fact = st.sampled_from([birth, latest]) | st.dates(birth, latest)
    occurred = draw(fact)
    # Random, not drawn: a shrunk or replayed example must not resend an id with other content.
    event["event_id"] = str(uuid.uuid4())
    school_event = "pupil" not in event  # a roll check: no UPN, no pupil, its count at the bounds
    if school_event:
        event["data"] = {"on_roll": draw(st.sampled_from([0, 1, MAX_ROLL]))}
    else:
        event["upn"] = upn_for(draw(st.sampled_from([201, 886, 330])), draw(st.integers(1000, 9999)),
                               draw(st.integers(0, 99)), draw(st.integers(0, 999)))  # fmt: skip
    event.pop("former_upn", None)
    if school_urns:
        event["school_urn"] = draw(st.sampled_from(school_urns))
    event["occurred_on"] = occurred.isoformat()
    recorded = draw(
        st.sampled_from([occurred, birth, latest - dt.timedelta(days=1)]) | st.dates(birth, latest)
    )
    event["recorded_at"] = dt.datetime.combine(recorded, dt.time(12, 0), dt.UTC).isoformat()
    if not school_event:
        event["pupil"]["date_of_birth"] = birth.isoformat()
        event["pupil"]["year_group"] = draw(st.integers(-2, 14))
    data = event["data"]
    for key in ("la_notified_on", "ended_on", "start_on"):  # ended_on: AP, or a part-time timetable
        if key in data and data[key] is not None:
            data[key] = draw(fact).isoformat()
    if "regulation" in data:
        data["regulation"] = "2024" if occurred >= dt.date(2024, 8, 19) else "2006"
    if "review_by" in data:
        start = dt.date.fromisoformat(data["start_on"])
        planned = st.sampled_from([start, LATEST_DATE]) | st.dates(start, LATEST_DATE)
        data["review_by"] = draw(planned).isoformat()
        data["planned_end_on"] = draw(planned).isoformat()
        if "objective" in data:  # AP; a part-time timetable has none
            data["objective"] = draw(_LONG) * 2000 if draw(st.booleans()) else data["objective"]
            data["objective"] = data["objective"][:2000]
        if "name" in (data.get("provider") or {}):
            data["provider"]["name"] = (draw(_LONG) * 200)[:200]
    if "reason" in data:
        data["reason"] = (draw(_LONG) * 2000)[:2000]
    if "sessions" in data:
        data["sessions"] = draw(st.sampled_from([1, 90, 91, MAX_SESSIONS]))
    try:
        parse_event(event, now=now)
    except EventInvalid:
        assume(False)  # e.g. an exclusion reason not valid in the academic year drawn
    return event
