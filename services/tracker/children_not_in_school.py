"""The LA's export for its "children not in school" register: pupils on roll at the LA's schools
who are educated elsewhere for part of the week, from an open alternative provision placement or
a part-time timetable in force (docs/domain.md, "Children not in school").

Section 436B(5)(b) of the Education Act 1996 (inserted by s38 of the Children's Wellbeing and
Schools Act 2026, not yet in force) makes eligible a registered pupil whose school "has arranged
or agreed that" the child receives education otherwise than at a relevant school and is absent
for some or all of the time a full-time pupil attends. Condition B is compulsory school age (s8
Education Act 1996); condition A, living in the LA's area, Rollwatch cannot know: the rows are
the LA's schools' pupils, and the LA keeps those it is responsible for. s436C lists what the
register holds; Rollwatch stores no names or addresses: the LA joins them on the UPN from its own
systems. Blocking: call from a thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.csv_safe import csv_text
from services.schools.register import SchoolsRegister
from services.tracker.tables import LEDGER, PLACEMENTS

COLUMNS = [
    "upn", "date_of_birth", "year_group", "school_urn", "school_laestab", "school_name", "arrangement",
    "ap_arrangement", "start_on", "planned_end_on", "review_by", "sessions_per_week_at_school",
    "provider_urn", "provider_ukprn", "provider_name", "condition", "event_id",
]  # fmt: skip
CONDITION = "s436B(5)(b)"

_PLACED = f"""
SELECT upn, placement FROM {PLACEMENTS} FINAL
WHERE hasAny(schools_on_roll, {{urns:Array(String)}})
  AND (open_ap > 0 OR JSONHas(placement, 'part_time'))
"""
_PUPILS = f"""
SELECT upn,
       argMax(JSONExtractString(event, 'pupil', 'date_of_birth'), (occurred_on, recorded_at)),
       argMax(JSONExtractInt(event, 'pupil', 'year_group'), (occurred_on, recorded_at))
FROM {LEDGER} WHERE upn IN {{upns:Array(String)}} AND JSONHas(event, 'pupil')
GROUP BY upn
"""
_PROVIDERS = f"""
SELECT toString(event_id), JSONExtractRaw(event, 'data', 'provider') FROM {LEDGER}
WHERE upn IN {{upns:Array(String)}} AND event_id IN {{ids:Array(UUID)}}
"""


def _last_friday_of_june(year: int) -> dt.date:
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def compulsory_school_age(born: dt.date, on: dt.date) -> bool:
    """s8 Education Act 1996: from the prescribed day (31 August, 31 December, 31 March: SI
    1998/1607) on or after the 5th birthday, to the school leaving date (the last Friday in June:
    SI 1997/1970) of the school year (September to August) in which the child turns 16."""
    fifth = _birthday(born, 5)
    start = min(
        dt.date(year, month, day)
        for year in (fifth.year, fifth.year + 1)
        for month, day in ((3, 31), (8, 31), (12, 31))
        if dt.date(year, month, day) >= fifth
    )
    sixteenth = _birthday(born, 16)
    school_year = sixteenth.year if sixteenth.month >= 9 else sixteenth.year - 1
    return start <= on <= _last_friday_of_june(school_year + 1)


def _birthday(born: dt.date, age: int) -> dt.date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # 29 February: the birthday counts from 1 March
        return dt.date(born.year + age, 3, 1)


def rows_for(
    placements: Iterable[tuple[str, dict[str, Any]]],
    pupils: dict[str, tuple[str, int]],
    providers: dict[str, dict[str, Any]],
    urns: set[str],
    register: SchoolsRegister,
    on: dt.date,
) -> list[dict[str, Any]]:
    """Pure: one row per placement or timetable at one of `urns` of a pupil of compulsory school age."""
    found = []
    for upn, placement in placements:
        born, year_group = pupils.get(upn, ("", 0))
        if not born or not compulsory_school_age(dt.date.fromisoformat(born), on):
            continue
        on_roll = set(placement.get("schools_on_roll", ())) & urns
        arrangements = [
            (referral_id, item, "alternative_provision", item.get("arrangement"), None)
            for referral_id, item in placement.get("open_ap", {}).items()
        ] + [
            (item["event_id"], item, "part_time_timetable", None, item["sessions_per_week"])
            for item in placement.get("part_time", {}).values()
        ]
        for event_id, item, arrangement, ap, sessions in arrangements:
            urn = item["school_urn"]
            if urn not in on_roll:
                continue
            school = register.get(urn)
            provider = item.get("provider") or providers.get(event_id) or {}
            found.append(
                {
                    "upn": upn, "date_of_birth": born, "year_group": year_group, "school_urn": urn,
                    "school_laestab": school.laestab if school else "",
                    "school_name": school.name if school else "",
                    "arrangement": arrangement, "ap_arrangement": ap, "start_on": item.get("start_on"),
                    "planned_end_on": item.get("planned_end_on"), "review_by": item.get("review_by"),
                    "sessions_per_week_at_school": sessions, "provider_urn": provider.get("urn"),
                    "provider_ukprn": provider.get("ukprn"), "provider_name": provider.get("name"),
                    "condition": CONDITION, "event_id": event_id,
                }
            )  # fmt: skip
    return sorted(found, key=lambda row: (row["school_urn"], row["upn"], row["start_on"] or ""))


def children_not_in_school(
    clients: ClientPerThread, register: SchoolsRegister, la_code: str, on: dt.date
) -> list[dict[str, Any]]:
    """Blocking. The rows of the LA's export as at `on` (placements as they stand now)."""
    urns = {school.urn for school in register.schools(la_code)}
    client = clients.get()
    placed = [
        (upn, orjson.loads(text))
        for upn, text in client.query(_PLACED, parameters={"urns": sorted(urns)}).result_rows
    ]
    if not placed:
        return []
    upns = [upn for upn, _ in placed]
    pupils = {
        upn: (born, int(year))
        for upn, born, year in client.query(_PUPILS, parameters={"upns": upns}).result_rows
    }
    referral_ids = [rid for _, p in placed for rid in p.get("open_ap", {})]
    providers: dict[str, dict[str, Any]] = {}
    if referral_ids:
        for event_id, raw in client.query(
            _PROVIDERS, parameters={"upns": upns, "ids": referral_ids}
        ).result_rows:
            providers[event_id] = orjson.loads(raw) if raw else {}
    return rows_for(placed, pupils, providers, urns, register, on)


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, every cell neutralised against spreadsheet formulas."""
    return csv_text(COLUMNS, rows)
