"""Statistics of one LA's schools over a period: events by type, deletions by ground and by
destination, exits by year group and SEN provision, and unexplained exits as EPI defines them
(`exit_classification`).

ClickHouse does the counting: one query reads the LA's schools' rows in the period from
`ledger_school_events` (the typed fields of every ledger event by school and date, kept by a
materialised view, migration 0010: no JSON is parsed and the ledger is not scanned per report)
and groups them by what the classification needs and by month, so Python sees some thousands of
buckets however many events there are. Each bucket is then classified by the pure
`classify_exit`. What the register knows
(successor schools, special schools, each school's top year group) goes into the query as
parameters or is applied to the buckets.

These are statistics, not findings: the report says so."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from rollwatch.core.clickhouse import ClientPerThread
from services.schools.model import School
from services.schools.register import SchoolsRegister
from services.tracker.exit_classification import (
    Exit,
    ExitClass,
    ExitRules,
    classify_exit,
    is_special_school,
    top_year_groups,
)
from services.tracker.tables import REFERENCES, SCHOOL_EVENTS

DELETED = "pupil.deleted"
ENROLLED = "pupil.enrolled"
HOME_EDUCATION = "home_education"
# A pupil deleted from a school and enrolled at its successor from a week before to a month after
# (a conversion over a weekend or a summer, a register updated late) moved with the school.
SUCCESSOR_ENROLMENT_DAYS = (-7, 31)

NOTICE = (
    "Statistics from the movement ledger, not findings. Administrative data cannot show why a "
    "pupil left a school: an unexplained exit (as the Education Policy Institute defines it) is a "
    "prompt for an enquiry by a person, never evidence of off-rolling by itself."
)
DEFINITION = (
    "Exits are deletions from the roll, except moves to the school's successor (an academy "
    "conversion or merger in the schools register). An exit is explained by a phase transition "
    "(a leaver ground, or the school's top year group at the end of the school year), an explained "
    "ground (e.g. permanent exclusion, moved away, custody, died), an explained destination (moved "
    "away, abroad, post-16, ...) or a move into a special school; every other exit is unexplained "
    "(EPI, 2019)."
)


class Bucket(NamedTuple):
    """Events of one school sharing everything the report counts by (in one period asked for). A
    tuple: a dashboard view reads some 15,000 of these on a 10M-row ledger."""

    school_urn: str
    type: str
    month: dt.date
    retracted: bool
    ground: str
    destination_kind: str
    year_group: int
    sen_provision: str
    in_end_of_year: bool
    to_successor_school: bool
    to_special_school: bool
    events: int


_BUCKETS = """
WITH retracted AS (
    -- Only a school's own retractions can name its events (schemas/authority.py): the set is the
    -- size of these schools' retractions, not of every retraction in the country.
    SELECT refers_to FROM {references}
    WHERE type = 'event.retracted'
      AND (school_urn IN {{urns:Array(String)}} OR school_urn IN {{successor_urns:Array(String)}})
)
SELECT
    arrayJoin(arrayFilter(
        i -> l.occurred_on >= {{starts:Array(Date32)}}[i] AND l.occurred_on <= {{ends:Array(Date32)}}[i],
        range(1, length({{starts:Array(Date32)}}) + 1)
    )) AS period,
    l.school_urn AS school_urn,
    l.type AS event_type,
    toStartOfMonth(l.occurred_on) AS month,
    l.event_id IN retracted AS is_retracted,
    l.ground AS ground,
    l.destination_kind AS destination_kind,
    if(event_type = '{deleted}'{year_group_kept}, l.year_group, 0) AS year_group,
    if(event_type = '{deleted}'{sen_kept}, l.sen_provision, '') AS sen_provision,
    event_type = '{deleted}'
        AND toMonth(l.occurred_on) * 100 + toDayOfMonth(l.occurred_on)
            BETWEEN {{end_of_year:UInt16}} AND 831 AS in_end_of_year,
    -- IN an array builds a hash set once; has() would walk the array (every special school in
    -- England, some thousands) for each row.
    event_type = '{deleted}' AND (
        concat(l.school_urn, ':', l.destination_laestab) IN {{successor_laestabs:Array(String)}}
        OR concat(l.school_urn, ':', l.ctf_destination) IN {{successor_laestabs:Array(String)}}
        {successor_enrolment}
    ) AS to_successor_school,
    event_type = '{deleted}'
        AND l.destination_laestab IN {{special_laestabs:Array(String)}} AS to_special_school,
    count() AS events
FROM {school_events} AS l
{successor_join}
WHERE l.school_urn IN {{urns:Array(String)}}{only_deletions}
  AND l.occurred_on >= {{start:Date32}} AND l.occurred_on <= {{end:Date32}}
GROUP BY period, school_urn, event_type, month, is_retracted, ground, destination_kind, year_group,
         sen_provision, in_end_of_year, to_successor_school, to_special_school
"""

# The enrolments of the LA's schools' pupils at those schools' successors, by (pupil, predecessor):
# only those a deletion in the period could be answered by (its window, SUCCESSOR_ENROLMENT_DAYS,
# around the period), so the read grows with the period, not with the successors' history.
_SUCCESSOR_JOIN = """
LEFT JOIN (
    SELECT e.upn AS upn, splitByChar(':', pair)[2] AS predecessor, groupArray(e.occurred_on) AS joined_on
    FROM {school_events} AS e
    ARRAY JOIN arrayFilter(p -> startsWith(p, concat(e.school_urn, ':')), {{succession:Array(String)}})
        AS pair
    WHERE e.school_urn IN {{successor_urns:Array(String)}} AND e.type = '{enrolled}'
      AND e.occurred_on >= {{start:Date32}} + {before} AND e.occurred_on <= {{end:Date32}} + {after}
      AND e.event_id NOT IN retracted
    GROUP BY upn, predecessor
) AS s ON s.upn = l.upn AND s.predecessor = l.school_urn
"""
_SUCCESSOR_ENROLMENT = (
    "OR arrayExists(d -> d >= l.occurred_on + {before} AND d <= l.occurred_on + {after}, s.joined_on)"
)


# The dashboard's grain (`coarse`): deletions only; a year group only where the classification or
# the dashboard looks at it (the school's top year group, Years 10 and 11), 0 otherwise; SEN
# provision only for moves to home education. On the bench's 10M-row ledger an LA's two years
# made 15,455 buckets at the full grain and 5,078 at this one, and summarising them took half
# the time. The counts the dashboard shows are the same at both grains (tested).
EXAM_YEAR_GROUPS = (10, 11)
_COARSE_YEAR_GROUP = (
    " AND (l.year_group IN {exam_years} OR concat(l.school_urn, ':', toString(l.year_group)) IN "
    "{{top_year_groups:Array(String)}})"
)
_COARSE_SEN = " AND l.destination_kind = '{home_education}'"
_ONLY_DELETIONS = " AND l.type = '{deleted}'"


@dataclass(frozen=True)
class RegisterFacts:
    """What the summary query needs from the register about one LA's schools."""

    urns: tuple[str, ...]
    successor_laestabs: tuple[str, ...]  # "<urn>:<LAESTAB of a successor of that school>"
    succession: tuple[str, ...]  # "<successor urn>:<predecessor urn in this LA>"
    special_laestabs: tuple[str, ...]  # every special school's LAESTAB (a move there is explained)
    top_year_groups: Mapping[str, int | None]

    @classmethod
    def of(
        cls, register: SchoolsRegister, la_code: str, only: Callable[[School], bool] | None = None
    ) -> RegisterFacts:
        """The LA's schools (those `only` keeps, when given: a phase, one school)."""
        schools = [s for s in register.schools(la_code) if only is None or only(s)]
        successor_laestabs: set[str] = set()
        succession: set[str] = set()
        for school in schools:
            for successor_urn in register.successors_of(school.urn):
                succession.add(f"{successor_urn}:{school.urn}")
                successor = register.get(successor_urn)
                if successor is not None and successor.laestab is not None:
                    successor_laestabs.add(f"{school.urn}:{successor.laestab}")
        special = _special_laestabs(register, register.version)
        return cls(
            urns=tuple(s.urn for s in schools),
            successor_laestabs=tuple(sorted(successor_laestabs)),
            succession=tuple(sorted(succession)),
            special_laestabs=special,
            top_year_groups={s.urn: s.top_year_group for s in schools},
        )


@lru_cache(maxsize=4)
def _special_laestabs(register: SchoolsRegister, version: int | None) -> tuple[str, ...]:
    """Every special school's LAESTAB, once per register version (a pass over ~50,000 schools)."""
    return tuple(sorted({s.laestab for s in register.schools() if is_special_school(s) and s.laestab}))


Period = tuple[dt.date, dt.date]


def buckets_query(
    facts: RegisterFacts, periods: Sequence[Period], rules: ExitRules, coarse: bool = False
) -> tuple[str, dict[str, Any]]:
    """One query for every period (a period and the same a year earlier, for the dashboard): the
    rows from the first day to the last are read once and counted in each period they fall in.
    `coarse`: the dashboard's grain (see `_COARSE_YEAR_GROUP`)."""
    successor_urns = sorted({pair.split(":", 1)[0] for pair in facts.succession})
    joined = bool(successor_urns)
    before, after = SUCCESSOR_ENROLMENT_DAYS
    sql = _BUCKETS.format(
        school_events=SCHOOL_EVENTS,
        references=REFERENCES,
        deleted=DELETED,
        successor_join=_SUCCESSOR_JOIN.format(
            school_events=SCHOOL_EVENTS, enrolled=ENROLLED, before=before, after=after
        )
        if joined
        else "",
        successor_enrolment=_SUCCESSOR_ENROLMENT.format(before=before, after=after) if joined else "",
        year_group_kept=_COARSE_YEAR_GROUP.format(exam_years=EXAM_YEAR_GROUPS) if coarse else "",
        sen_kept=_COARSE_SEN.format(home_education=HOME_EDUCATION) if coarse else "",
        only_deletions=_ONLY_DELETIONS.format(deleted=DELETED) if coarse else "",
    )
    return sql, {
        "urns": list(facts.urns),
        "start": min(start for start, _ in periods),
        "end": max(end for _, end in periods),
        "starts": [start for start, _ in periods],
        "ends": [end for _, end in periods],
        "end_of_year": rules.end_of_year_month_day,
        "successor_laestabs": list(facts.successor_laestabs),
        "special_laestabs": list(facts.special_laestabs),
        "succession": list(facts.succession),
        "successor_urns": successor_urns,
        **({"top_year_groups": _school_top_years(facts, rules)} if coarse else {}),
    }


def _school_top_years(facts: RegisterFacts, rules: ExitRules) -> list[str]:
    """ "<urn>:<year>" for each school's top year groups, as the classification takes them."""
    return [
        f"{urn}:{year}"
        for urn in facts.urns
        for year in sorted(top_year_groups(facts.top_year_groups.get(urn), rules))
    ]


def read_buckets(
    clients: ClientPerThread, facts: RegisterFacts, start: dt.date, end: dt.date, rules: ExitRules
) -> list[Bucket]:
    """Blocking: the LA's events in [start, end] grouped into buckets, counted by ClickHouse."""
    return read_period_buckets(clients, facts, [(start, end)], rules)[0]


def read_period_buckets(
    clients: ClientPerThread,
    facts: RegisterFacts,
    periods: Sequence[Period],
    rules: ExitRules,
    coarse: bool = False,
) -> list[list[Bucket]]:
    """Blocking: the buckets of each period, in one query."""
    found: list[list[Bucket]] = [[] for _ in periods]
    if not facts.urns:
        return found
    sql, parameters = buckets_query(facts, periods, rules, coarse)
    for row in clients.get().query(sql, parameters=parameters).result_rows:
        # The query's columns after the period are the bucket's fields, in order (its flags come as
        # 0 or 1, which count as the booleans they are).
        found[row[0] - 1].append(Bucket._make(row[1:]))
    return found


def summarise(
    buckets: Iterable[Bucket],
    rules: ExitRules,
    top_year_groups: Mapping[str, int | None],
    period: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:
    """The counts of the report from the buckets. Pure. Retracted events count nowhere but in
    `retracted_events`. With `period`, `exits.by_month` has every month of it, zeros included."""
    by_type: Counter[str] = Counter()
    retracted = 0
    by_ground: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    successor_moves = 0
    exits: Counter[str] = Counter()
    exits_by_year: Counter[int] = Counter()
    exits_by_sen: Counter[str] = Counter()
    exits_by_ground: Counter[str] = Counter()
    home_education_by_sen: Counter[str] = Counter()
    explained_by_reason: Counter[str] = Counter()
    unexplained_by_year: Counter[int] = Counter()
    unexplained_by_sen: Counter[str] = Counter()
    unexplained_by_kind: Counter[str] = Counter()
    unexplained_by_ground: Counter[str] = Counter()
    per_school: dict[str, Counter[str]] = defaultdict(Counter)
    per_month: dict[str, Counter[str]] = {month: Counter() for month in months_of(*period)} if period else {}
    # Buckets share few distinct exits and months: classify each exit once, name each month once
    # (a dashboard's two years are some 4,000 buckets, and this loop was a tenth of its time).
    verdicts: dict[tuple[Any, ...], ExitClass] = {}
    month_names: dict[dt.date, str] = {}
    for bucket in buckets:
        n = bucket.events
        if bucket.retracted:
            retracted += n
            continue
        by_type[bucket.type] += n
        if bucket.type != DELETED:
            continue
        by_ground[bucket.ground] += n
        by_kind[bucket.destination_kind] += n
        top_year_group = top_year_groups.get(bucket.school_urn)
        key = (
            bucket.ground,
            bucket.destination_kind,
            bucket.year_group,
            bucket.in_end_of_year,
            top_year_group,
            bucket.to_successor_school,
            bucket.to_special_school,
        )
        verdict = verdicts.get(key)
        if verdict is None:
            exit_ = Exit(
                ground=bucket.ground,
                destination_kind=bucket.destination_kind,
                year_group=bucket.year_group,
                in_end_of_year=bucket.in_end_of_year,
                school_top_year_group=top_year_group,
                to_successor_school=bucket.to_successor_school,
                to_special_school=bucket.to_special_school,
            )
            verdict = verdicts[key] = classify_exit(exit_, rules)
        if verdict.outcome == "not_an_exit":
            successor_moves += n
            continue
        month_name = month_names.get(bucket.month)
        if month_name is None:
            month_name = month_names[bucket.month] = bucket.month.strftime("%Y-%m")
        month = per_month.get(month_name)
        if month is None:
            month = per_month[month_name] = Counter()
        month["exits"] += n
        month[verdict.outcome] += n
        exits["total"] += n
        exits_by_year[bucket.year_group] += n
        exits_by_sen[bucket.sen_provision] += n
        exits_by_ground[bucket.ground] += n
        if bucket.destination_kind == HOME_EDUCATION:
            home_education_by_sen[bucket.sen_provision] += n
        per_school[bucket.school_urn]["exits"] += n
        if verdict.outcome == "explained":
            explained_by_reason[verdict.reason] += n
        else:
            unexplained_by_year[bucket.year_group] += n
            unexplained_by_sen[bucket.sen_provision] += n
            unexplained_by_kind[bucket.destination_kind] += n
            unexplained_by_ground[bucket.ground] += n
            per_school[bucket.school_urn]["unexplained"] += n
    unexplained = sum(unexplained_by_year.values())
    return {
        "events_by_type": _sorted(by_type),
        "retracted_events": retracted,
        "deletions": {
            "total": by_type[DELETED],
            "by_ground": _sorted(by_ground),
            "by_destination_kind": _sorted(by_kind),
            "to_successor_school": successor_moves,
        },
        "exits": {
            "total": exits["total"],
            "by_month": {
                month: {key: counts[key] for key in ("exits", "explained", "unexplained")}
                for month, counts in sorted(per_month.items())
            },
            "by_year_group": _by_year(exits_by_year),
            "by_sen_provision": _sorted(exits_by_sen),
            "by_ground": _sorted(exits_by_ground),
            "to_home_education_by_sen_provision": _sorted(home_education_by_sen),
            "explained": {
                "total": sum(explained_by_reason.values()),
                "by_reason": _sorted(explained_by_reason),
            },
            "unexplained": {
                "total": unexplained,
                "share_of_exits": round(unexplained / exits["total"], 4) if exits["total"] else None,
                "by_year_group": _by_year(unexplained_by_year),
                "by_sen_provision": _sorted(unexplained_by_sen),
                "by_destination_kind": _sorted(unexplained_by_kind),
                "by_ground": _sorted(unexplained_by_ground),
            },
            "by_school": [
                {"urn": urn, "exits": counts["exits"], "unexplained": counts["unexplained"]}
                for urn, counts in sorted(
                    per_school.items(), key=lambda item: (-item[1]["unexplained"], -item[1]["exits"], item[0])
                )
            ],
        },
    }


def months_of(start: dt.date, end: dt.date) -> list[str]:
    """Every month from `start`'s to `end`'s, as "YYYY-MM"."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def exit_counts(
    clients: ClientPerThread, facts: RegisterFacts, start: dt.date, end: dt.date, rules: ExitRules
) -> dict[str, Any]:
    """Blocking: the counts of `summarise` for these schools over [start, end], month by month."""
    return period_exit_counts(clients, facts, [(start, end)], rules)[0]


def period_exit_counts(
    clients: ClientPerThread,
    facts: RegisterFacts,
    periods: Sequence[Period],
    rules: ExitRules,
    coarse: bool = False,
) -> list[dict[str, Any]]:
    """Blocking: `exit_counts` of each period, from one query. `coarse` (the dashboard's grain):
    exact are the exits' totals, by school, by month, Years 10 and 11 and home education by SEN
    provision; the other breakdowns are not, and the caller must not show them."""
    found = read_period_buckets(clients, facts, periods, rules, coarse)
    return [
        summarise(buckets, rules, facts.top_year_groups, period)
        for buckets, period in zip(found, periods, strict=True)
    ]


def la_summary(
    clients: ClientPerThread,
    register: SchoolsRegister,
    la_code: str,
    start: dt.date,
    end: dt.date,
    rules: ExitRules,
) -> dict[str, Any]:
    """Blocking: the whole report for one LA."""
    facts = RegisterFacts.of(register, la_code)
    counts = exit_counts(clients, facts, start, end, rules)
    for row in counts["exits"]["by_school"]:
        school = register.get(row["urn"])
        row["school_name"] = school.name if school else None
    return {
        "statistics_not_findings": True,
        "notice": NOTICE,
        "la": {"code": la_code, "name": register.la_name(la_code)},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "schools": len(facts.urns),
        **counts,
        "classification": {"definition": DEFINITION, "source": "exit_rules.json", **rules.as_dict()},
    }


def _sorted(counter: Mapping[str, int]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter)}


def _by_year(counter: Mapping[int, int]) -> dict[str, int]:
    return {str(year): counter[year] for year in sorted(counter)}
