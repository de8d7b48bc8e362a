"""`school_exit_pattern`: a school whose unexplained exits (EPI's definition, see
services.alerts.exits) in the 12 months to `as_of` are at least 5 pupils and at least 5% of its
roll, or whose SEND share of those exits is over twice its SEND share of the roll (docs/domain.md,
"Alert rules").

The window runs from the same date 12 months before `as_of`, inclusive, to `as_of`. The SEND
clause needs at least `send_share_min_exits` unexplained exits (default 5), so that one pupil
with SEN support leaving a small school is not a pattern. Shares are compared exactly (fractions),
so 5 of 100 is 5% and 5 of 102 (4.9%) is not. One alert per school and academic year of `as_of`;
each evaluation folds into it with the exits in the window as evidence.
"""

from __future__ import annotations

from fractions import Fraction

from services.alerts import wording
from services.alerts.calendar import SchoolCalendar, academic_year_of, months_before
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import SchoolStats
from services.alerts.parameters import RuleParameters, SchoolExitPatternParams

RULE = "school_exit_pattern"
STATUTE = "Ofsted school inspection handbook (off-rolling); s436A Education Act 1996"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def over_threshold(count: int, roll: int, p: SchoolExitPatternParams) -> bool:
    """At least `min_pupils` unexplained exits and at least `min_percent_of_roll` of the roll (any
    roll when Rollwatch has none on record): the 5-pupils-and-5% flag, also on the dashboards."""
    return count >= p.min_pupils and (
        roll <= 0 or Fraction(count * 100) >= Fraction(str(p.min_percent_of_roll)) * roll
    )


def evaluate(stats: SchoolStats, calendar: SchoolCalendar, params: RuleParameters) -> list[AlertCandidate]:
    p = params.rules.school_exit_pattern
    start = months_before(stats.as_of, p.window_months)
    unexplained = sorted(
        (e for e in stats.exits if e.unexplained and start <= e.occurred_on <= stats.as_of),
        key=lambda e: e.occurred_on,
    )
    count = len(unexplained)
    send = sum(e.send for e in unexplained)
    roll = stats.roll_size
    clauses = []
    too_many = over_threshold(count, roll, p)
    if too_many:
        clauses.append(
            f"{wording.count(count, 'unexplained exit')} from {wording.school(stats.school_urn)} in the "
            f"{wording.count(p.window_months, 'month')} to {wording.day(stats.as_of)}, "
            f"{_percent(count, roll)} of a roll of {roll} (threshold: {wording.count(p.min_pupils, 'pupil')} "
            f"and {p.min_percent_of_roll:g}%)"
        )
    send_heavy = (
        count >= p.send_share_min_exits
        and roll > 0
        and Fraction(send * roll) > Fraction(str(p.send_share_ratio)) * stats.send_on_roll * count
    )
    if send_heavy:
        clauses.append(
            f"{send} of {wording.count(count, 'unexplained exit')} ({_percent(send, count)}) were of pupils "
            f"with SEND, against {_percent(stats.send_on_roll, roll)} of the roll: more than "
            f"{p.send_share_ratio:g} times the roll's share"
        )
    if not clauses:
        return []
    if not too_many:
        clauses[0] = (
            f"at {wording.school(stats.school_urn)}, in the {wording.count(p.window_months, 'month')} to "
            f"{wording.day(stats.as_of)}, " + clauses[0]
        )
    year = academic_year_of(stats.as_of)
    return [
        candidate_for(
            RULE,
            params,
            stats,
            None,
            subject=(stats.school_urn, year.label),
            evidence=(e.event_id for e in unexplained),
            reason=wording.reason(*clauses),
            statutory_reference=STATUTE,
        )
    ]
