"""What other services may read from the tracker: its ledger queries (among them the pupils'
records the authority rules judge against, `pupil_records`), the access log they must write, a
school's roll (now, on a day, and as Rollwatch knew it at a time: `rolls_on`), when each school
was last heard from, the exit classification (its data and `classify_exit`, the one definition of
an unexplained exit) and the exit statistics counted with it (`exit_counts`, the LA summary's
counts; `school_rolls`, `ap_placements`). Everything else in `services.tracker`
is private to it (import-linter enforces this; see docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from rollwatch.core.clickhouse import LONG_QUERY, ClientPerThread
from services.tracker.access_log import record_access
from services.tracker.exit_classification import (
    Exit,
    ExitClass,
    ExitParams,
    ExitRules,
    SchoolYearParams,
    classify_exit,
    default_exit_document,
    in_end_of_year,
    is_phase_transition,
    is_special_school,
)
from services.tracker.la_summary import (
    DEFINITION,
    EXAM_YEAR_GROUPS,
    NOTICE,
    RegisterFacts,
    exit_counts,
    months_of,
    period_exit_counts,
)
from services.tracker.ledger_reads import (
    LedgerRow,
    linked_upns,
    pupil_records,
    pupil_rows,
    recorded_contents,
)
from services.tracker.roll_checks import HeardDays, heard_days, rolls_on
from services.tracker.school_figures import SEN_PROVISIONS, APPlacements, Roll, ap_placements, school_rolls
from services.tracker.tables import LEDGER, PLACEMENTS

__all__ = [
    "DEFINITION",
    "EXAM_YEAR_GROUPS",
    "NOTICE",
    "SEN_PROVISIONS",
    "APPlacements",
    "Exit",
    "ExitClass",
    "ExitParams",
    "ExitRules",
    "HeardDays",
    "LedgerRow",
    "RegisterFacts",
    "Roll",
    "SchoolYearParams",
    "ap_placements",
    "classify_exit",
    "default_exit_document",
    "exit_counts",
    "heard_days",
    "in_end_of_year",
    "is_phase_transition",
    "is_special_school",
    "latest_year_groups",
    "linked_upns",
    "months_of",
    "period_exit_counts",
    "placement_of",
    "pupil_records",
    "pupil_rows",
    "record_access",
    "recorded_contents",
    "rolls_on",
    "school_deletions",
    "school_roll",
    "school_rolls",
    "school_rolls_on",
]

# A pupil is on the roll on a day when their latest registration event at the school by then (by
# occurred_on, then recorded_at) is an admission: guests are not registered, retracted events
# (retracted by the school that sent them) do not count. SEN as recorded at that admission. One
# query answers for several schools, each on several days: `days[i]` are the days of `urns[i]`.
_ROLLS_ON = f"""
SELECT school_urn, day, count(), countIf(sen IN ('E', 'K')) FROM (
    SELECT school_urn, day, upn, argMax(type, (occurred_on, recorded_at)) AS last,
           argMax(JSONExtractString(event, 'pupil', 'sen_provision'), (occurred_on, recorded_at)) AS sen
    FROM {LEDGER} ARRAY JOIN {{days:Array(Array(Date32))}}[indexOf({{urns:Array(String)}}, school_urn)] AS day
    WHERE school_urn IN {{urns:Array(String)}} AND occurred_on <= day
      AND (type = 'pupil.deleted'
           OR (type = 'pupil.enrolled' AND JSONExtractString(event, 'data', 'enrolment_status') != 'guest'))
      AND (school_urn, toString(event_id)) NOT IN (
          SELECT school_urn, JSONExtractString(event, 'data', 'retracts') FROM {LEDGER}
          WHERE school_urn IN {{urns:Array(String)}} AND type = 'event.retracted')
    GROUP BY school_urn, day, upn
) WHERE last = 'pupil.enrolled' GROUP BY school_urn, day
"""
# The roll as the tracker's placements hold it now (the statistics' rolls are checked against it).
_PLACED_ROLL = f"""
SELECT count(), countIf(sen IN ('E', 'K')) FROM (
    SELECT upn, argMax(JSONExtractString(event, 'pupil', 'sen_provision'), (occurred_on, recorded_at)) AS sen
    FROM {LEDGER}
    WHERE upn IN (SELECT upn FROM {PLACEMENTS} FINAL WHERE has(schools_on_roll, {{urn:String}}))
    GROUP BY upn
)
"""
_DELETIONS = f"""
SELECT school_urn, event FROM {LEDGER}
WHERE school_urn IN {{urns:Array(String)}} AND type = 'pupil.deleted'
  AND occurred_on >= {{since:Date32}} AND occurred_on <= {{as_of:Date32}}
"""


def school_roll(clients: ClientPerThread, urn: str) -> tuple[int, int]:
    """Blocking. The pupils Rollwatch has on roll at the school (their current placement includes
    it), and how many of them have SEN support or an EHC plan by their latest event."""
    roll, send = clients.get().query(_PLACED_ROLL, parameters={"urn": urn}).result_rows[0]
    return int(roll), int(send)


def school_rolls_on(
    clients: ClientPerThread, days_by_school: Mapping[str, Sequence[dt.date]]
) -> dict[str, dict[dt.date, tuple[int, int]]]:
    """Blocking. For each school and each of its days, the pupils on its roll as the ledger
    records them, and how many of them had SEN support or an EHC plan when admitted: the same at
    whatever time it is asked, however far the ledger has run ahead. One read for every school
    (a query per school cost ~33 ms each, most of it the query's fixed cost)."""
    found = {urn: dict.fromkeys(days, (0, 0)) for urn, days in days_by_school.items()}
    if not found:
        return found
    parameters = {"urns": list(days_by_school), "days": [list(days) for days in days_by_school.values()]}
    rows = clients.get().query(_ROLLS_ON, parameters=parameters, settings=LONG_QUERY).result_rows
    for urn, day, roll, send in rows:
        found[urn][day] = (int(roll), int(send))
    return found


def school_deletions(
    clients: ClientPerThread, urns: Sequence[str], since: dt.date, as_of: dt.date
) -> dict[str, list[dict[str, Any]]]:
    """Blocking. Each school's `pupil.deleted` events that occurred from `since` to `as_of`."""
    found: dict[str, list[dict[str, Any]]] = {urn: [] for urn in urns}
    if not found:
        return found
    parameters = {"urns": list(urns), "since": since, "as_of": as_of}
    rows = clients.get().query(_DELETIONS, parameters=parameters, settings=LONG_QUERY).result_rows
    for urn, event in rows:
        found[urn].append(orjson.loads(event))
    return found


_YEAR_GROUPS = f"""
SELECT upn, argMax(JSONExtractInt(event, 'pupil', 'year_group'), (occurred_on, recorded_at))
FROM {LEDGER} WHERE upn IN {{upns:Array(String)}} AND JSONHas(event, 'pupil', 'year_group')
GROUP BY upn
"""
_PLACEMENT = f"""
SELECT schools_on_roll, placement, last_exit_school, last_exit_on, updated_at
FROM {PLACEMENTS} FINAL WHERE upn IN {{upns:Array(String)}} ORDER BY updated_at DESC LIMIT 1
"""


def latest_year_groups(clients: ClientPerThread, upns: list[str]) -> dict[str, int]:
    """Blocking. Each pupil's year group by their latest event (one query for a page of alerts)."""
    if not upns:
        return {}
    rows = clients.get().query(_YEAR_GROUPS, parameters={"upns": upns}).result_rows
    return {upn: int(year) for upn, year in rows}


def placement_of(clients: ClientPerThread, upns: list[str]) -> dict[str, Any] | None:
    """Blocking. Where the pupil (under any of their UPNs) is now, or None when unknown."""
    rows = clients.get().query(_PLACEMENT, parameters={"upns": upns}).result_rows
    if not rows:
        return None
    schools, placement, exit_school, exit_on, updated = rows[0]
    return {
        "schools_on_roll": list(schools),
        "placement": placement,
        "last_exit_school": exit_school or None,
        "last_exit_on": exit_on,
        "updated_at": updated,
    }
