"""The figures of the statistics pages (the console's LA dashboard and school page) and of their
JSON API (`statistics_api.py`), in one place so the two always show the same numbers.

Exits are classified by the tracker's one definition (`classify_exit`, through
`services.tracker.reads`) with the LA's own exit rules, as the LA summary and the school-level
alert rule do; the counts come from the tracker's statistics tables (materialised views, not the
ledger). The 5-pupils-and-5% flag is the `school_exit_pattern` rule's own test
(`over_threshold`, with the LA's thresholds), applied to the period asked for. Open alerts come
from the alert book. These are statistics, never findings: every answer says so.

Blocking (ClickHouse reads): call from a thread."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from services.alerts.delivery.notification_text import rule_title
from services.alerts.exits import exit_rules
from services.alerts.lifecycle import OPEN_STATUSES, Alert
from services.alerts.parameters import RuleParameters
from services.alerts.rules.school_exit_pattern import over_threshold
from services.schools.api import school_view
from services.schools.model import School
from services.schools.register import SchoolsRegister
from services.tracker.reads import (
    DEFINITION,
    EXAM_YEAR_GROUPS,
    NOTICE,
    SEN_PROVISIONS,
    APPlacements,
    RegisterFacts,
    Roll,
    ap_placements,
    exit_counts,
    months_of,
    period_exit_counts,
    school_rolls,
)

SEN_WORDS = {"N": "No SEN", "K": "SEN support", "E": "EHC plan", "": "Not given"}
GROUND_WORDS = {
    "other_school": "Registered at another school",
    "nursery_finished": "Finished nursery",
    "dual_registration_ended": "Dual registration ended",
    "sao_amended": "School attendance order amended",
    "sao_revoked": "School attendance order revoked",
    "home_education": "Home education",
    "moved_away": "Moved away",
    "leave_not_returned": "Did not return from leave",
    "absent_20_days": "Absent 20 school days",
    "custody": "In custody",
    "died": "Died",
    "end_of_compulsory_age": "End of compulsory school age",
    "boarding_fees_unpaid": "Boarding fees unpaid",
    "left_independent_special": "Left an independent or special school",
    "permanently_excluded": "Permanently excluded",
}
# How long alerts have been open, in days since they were raised: each band up to its last day
# (a band starts the day after the one before it ends).
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("Under a week", 6),
    ("1 to 4 weeks", 27),
    ("4 to 13 weeks", 90),
    ("Over 13 weeks", None),
)

# A page's reads (exits, rolls, AP placements) run side by side, each on its own thread's ClickHouse
# client, so the page takes about as long as its slowest read rather than their sum.
_READS = ThreadPoolExecutor(max_workers=6, thread_name_prefix="statistics-read")


def _side_by_side(*reads: Callable[[], Any]) -> list[Any]:
    futures = [_READS.submit(read) for read in reads]
    return [future.result() for future in futures]


def year_earlier(day: dt.date) -> dt.date:
    """The same day a year before (28 February for a 29th)."""
    return (
        day.replace(year=day.year - 1, day=28)
        if (day.month, day.day) == (2, 29)
        else day.replace(year=day.year - 1)
    )


def phases(register: SchoolsRegister, la_code: str) -> list[str]:
    """The phases of education (GIAS) of the LA's schools, for the phase filter."""
    return sorted({school.phase for school in register.schools(la_code) if school.phase})


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _split(total: int, unexplained: int) -> dict[str, int]:
    return {"exits": total, "explained": total - unexplained, "unexplained": unexplained}


def _by_month(counts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"month": month, **values} for month, values in counts["exits"]["by_month"].items()]


def _age_band(age: int) -> str:
    """The band of an alert open `age` days (an alert raised after `today`, by an event-time
    clock, counts as under a week)."""
    return next(label for label, last in AGE_BANDS if last is None or age <= last)


def _open_alerts(alerts: Iterable[Alert], today: dt.date, keep: Callable[[Alert], bool]) -> dict[str, Any]:
    # An LA's thousands of alerts share few (rule, day raised) pairs: count those, then band each
    # pair once (10,000 alerts took a tenth of the bench's dashboard view, banded one by one).
    raised = Counter(
        (alert.rule, alert.opened_at.date())
        for alert in alerts
        if alert.status in OPEN_STATUSES and keep(alert)
    )
    by_rule: dict[str, dict[str, int]] = {}
    for (rule, day), n in raised.items():
        counts = by_rule.setdefault(rule, {label: 0 for label, _ in AGE_BANDS})
        counts[_age_band((today - day).days)] += n
    ordered = sorted(by_rule.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    rows = [
        {"rule": rule, "title": rule_title(rule), "total": sum(counts.values()), "by_age": counts}
        for rule, counts in ordered
    ]
    return {
        "as_of": today.isoformat(),
        "age_bands": [label for label, _ in AGE_BANDS],
        "total": sum(raised.values()),
        "by_rule": rows,
    }


def _ap_total(found: dict[str, APPlacements], as_of: dt.date) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "open": sum(p.open for p in found.values()),
        "review_overdue": sum(p.review_overdue for p in found.values()),
    }


def la_dashboard(
    clients: Any,
    register: SchoolsRegister,
    la_code: str,
    period: tuple[dt.date, dt.date],
    phase: str | None,
    params: RuleParameters,
    alerts: Iterable[Alert],
    today: dt.date,
) -> dict[str, Any]:
    """The LA dashboard's figures for the LA's schools (of one phase, when given)."""
    start, end = period
    rules = exit_rules(params)
    only: Callable[[School], bool] | None = (lambda s: s.phase == phase) if phase else None
    facts = RegisterFacts.of(register, la_code, only)
    in_filter = set(facts.urns)
    # Counting the open alerts (Python) overlaps the ClickHouse reads, which release the GIL.
    (now, before), rolls, placements, open_alerts = _side_by_side(
        lambda: period_exit_counts(
            clients, facts, [(start, end), (year_earlier(start), year_earlier(end))], rules, coarse=True
        ),
        lambda: school_rolls(clients, facts.urns),
        lambda: ap_placements(clients, facts.urns, today),
        lambda: _open_alerts(alerts, today, lambda a: a.school_urn in in_filter),
    )
    threshold = params.rules.school_exit_pattern
    by_school = now["exits"]["by_school"]
    schools = []
    for row in by_school:
        if not row["unexplained"]:
            continue
        school = register.get(row["urn"])
        roll = rolls.get(row["urn"], Roll()).total
        schools.append(
            {
                "urn": row["urn"],
                "name": school.name if school else None,
                "exits": row["exits"],
                "unexplained": row["unexplained"],
                "roll": roll,
                "unexplained_percent_of_roll": _percent(row["unexplained"], roll),
                "over_threshold": over_threshold(row["unexplained"], roll, threshold),
            }
        )
    counted = {row["urn"] for row in by_school} | {
        urn for urn in facts.urns if (school := register.get(urn)) is not None and school.is_open
    }
    unexplained = now["exits"]["unexplained"]
    months = [
        {**this, "year_before": earlier}
        for this, earlier in zip(_by_month(now), _by_month(before), strict=True)
    ]
    return {
        "statistics_not_findings": True,
        "notice": NOTICE,
        "la": {"code": la_code, "name": register.la_name(la_code)},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "phase": phase,
        "schools": len(facts.urns),
        "exits": _split(now["exits"]["total"], unexplained["total"]),
        "unexplained_by_school": {
            "la_average": round(unexplained["total"] / len(counted), 2) if counted else None,
            "schools_averaged": len(counted),
            "threshold": {
                "min_pupils": threshold.min_pupils,
                "min_percent_of_roll": threshold.min_percent_of_roll,
            },
            "schools": schools,
            "schools_over_threshold": sum(s["over_threshold"] for s in schools),
        },
        "exits_by_month": {
            "year_before": {"from": year_earlier(start).isoformat(), "to": year_earlier(end).isoformat()},
            "months": months,
        },
        "year_10_11": [
            {
                "year_group": year,
                **_split(
                    now["exits"]["by_year_group"].get(str(year), 0),
                    unexplained["by_year_group"].get(str(year), 0),
                ),
            }
            for year in EXAM_YEAR_GROUPS
        ],
        "home_education_by_sen": [
            {"sen_provision": sen, "label": SEN_WORDS[sen], "deletions": count}
            for sen, count in _sen_rows(now["exits"]["to_home_education_by_sen_provision"])
        ],
        "ap_placements": _ap_total(placements, today),
        "open_alerts": open_alerts,
        "classification": {"definition": DEFINITION, **rules.as_dict()},
    }


def _sen_rows(counts: dict[str, int]) -> list[tuple[str, int]]:
    """N, K, E in that order (always), then any other value given."""
    return [(sen, counts.get(sen, 0)) for sen in SEN_PROVISIONS] + [
        (sen, n) for sen, n in sorted(counts.items()) if sen not in SEN_PROVISIONS
    ]


def school_statistics(
    clients: Any,
    register: SchoolsRegister,
    school: School,
    period: tuple[dt.date, dt.date],
    params: RuleParameters,
    alerts: Iterable[Alert],
    today: dt.date,
) -> dict[str, Any]:
    """One school's page: its register entry, its exits in the period, SEN against its roll,
    its AP placements and its alerts."""
    start, end = period
    rules = exit_rules(params)
    facts = RegisterFacts.of(register, school.la_code, lambda s: s.urn == school.urn)
    counts, rolls, placements = _side_by_side(
        lambda: exit_counts(clients, facts, start, end, rules),
        lambda: school_rolls(clients, facts.urns),
        lambda: ap_placements(clients, facts.urns, today),
    )
    exits, unexplained = counts["exits"], counts["exits"]["unexplained"]
    roll = rolls.get(school.urn, Roll())
    sen = []
    for code, n in _sen_rows(exits["by_sen_provision"]):
        lost = unexplained["by_sen_provision"].get(code, 0)
        on_roll = roll.by_sen_provision.get(code, 0)
        sen.append(
            {
                "sen_provision": code,
                "label": SEN_WORDS.get(code, code),
                "exits": n,
                "unexplained": lost,
                "on_roll": on_roll,
                "percent_of_exits": _percent(n, exits["total"]),
                "percent_of_unexplained": _percent(lost, unexplained["total"]),
                "percent_of_roll": _percent(on_roll, roll.total),
            }
        )
    mine = sorted(
        (a for a in alerts if a.school_urn == school.urn),
        key=lambda a: (a.opened_at, a.alert_id),
        reverse=True,
    )
    return {
        "statistics_not_findings": True,
        "notice": NOTICE,
        "school": school_view(school, register),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "exits": _split(exits["total"], unexplained["total"]),
        "over_threshold": over_threshold(unexplained["total"], roll.total, params.rules.school_exit_pattern),
        "roll": {"total": roll.total, "send": roll.send},
        "exits_by_month": _by_month(counts),
        "exits_by_ground": [
            {
                "ground": ground,
                "label": GROUND_WORDS.get(ground, ground),
                **_split(n, unexplained["by_ground"].get(ground, 0)),
            }
            for ground, n in sorted(exits["by_ground"].items(), key=lambda item: (-item[1], item[0]))
        ],
        "exits_by_year_group": [
            {"year_group": int(year), **_split(n, unexplained["by_year_group"].get(year, 0))}
            for year, n in exits["by_year_group"].items()
        ],
        "sen": sen,
        "ap_placements": _ap_total(placements, today),
        "alerts": [
            {
                "alert_id": a.alert_id,
                "rule": a.rule,
                "title": rule_title(a.rule),
                "severity": a.severity,
                "status": a.status,
                "upn": a.upn,
                "opened_on": a.opened_at.date().isoformat(),
            }
            for a in mine
        ],
        "classification": {"definition": DEFINITION, **rules.as_dict()},
    }


__all__ = ["AGE_BANDS", "la_dashboard", "months_of", "phases", "school_statistics", "year_earlier"]
