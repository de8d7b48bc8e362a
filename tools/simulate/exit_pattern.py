"""The school rule of the ground truth: school_exit_pattern, evaluated at the end of every
calendar day of the window, with the roll (every registration, dual ones too) and the exits on
the ledger by their `occurred_on`; one alert per school and academic year, dated the first day
its condition holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from fractions import Fraction

from services.alerts.calendar import AcademicYear, academic_year_of, months_before
from services.alerts.fingerprints import fingerprint
from tools.simulate.ground_truth import GroundTruth
from tools.simulate.population import School
from tools.simulate.records import DELETED, ENROLLED, SimEvent
from tools.simulate.truth_entry import GroundTruthEntry

_ONE_DAY = dt.timedelta(days=1)


def school_exit_pattern(
    truth: GroundTruth, schools: Sequence[School], events: Iterable[SimEvent]
) -> list[GroundTruthEntry]:
    """The school_exit_pattern alerts of these schools (see ground_truth.py for the conventions)."""
    p = truth.params.rules.school_exit_pattern
    by_school: dict[str, list[SimEvent]] = {}
    for event in events:
        if event.type in (ENROLLED, DELETED):
            by_school.setdefault(event.school_urn, []).append(event)
    found = []
    threshold = Fraction(str(p.min_percent_of_roll))
    ratio = Fraction(str(p.send_share_ratio))
    for school in schools:
        moves = sorted(by_school.get(school.urn, []), key=lambda e: (e.occurred_on, e.seq))
        exits = [e for e in moves if e.type == DELETED and truth.is_unexplained(e)]
        roll = send = 0
        move_index = exit_lo = exit_hi = 0
        fired_years: set[int] = set()
        day = truth.window_start
        # Start the sweep with everything before the window applied.
        while day <= truth.window_end:
            while move_index < len(moves) and moves[move_index].occurred_on <= day:
                event = moves[move_index]
                step = 1 if event.type == ENROLLED else -1
                roll += step
                send += step if event.sen != "N" else 0
                move_index += 1
            start = months_before(day, p.window_months)
            while exit_hi < len(exits) and exits[exit_hi].occurred_on <= day:
                exit_hi += 1
            while exit_lo < exit_hi and exits[exit_lo].occurred_on < start:
                exit_lo += 1
            count = exit_hi - exit_lo
            year = academic_year_of(day).start_year
            if count >= min(p.min_pupils, p.send_share_min_exits) and year not in fired_years:
                window = exits[exit_lo:exit_hi]
                send_exits = sum(1 for e in window if e.sen != "N")
                too_many = count >= p.min_pupils and (roll <= 0 or Fraction(count * 100) >= threshold * roll)
                send_heavy = (
                    count >= p.send_share_min_exits
                    and roll > 0
                    and Fraction(send_exits * roll) > ratio * send * count
                )
                if too_many or send_heavy:
                    fired_years.add(year)
                    found.append(
                        GroundTruthEntry(
                            rule="school_exit_pattern",
                            fingerprint=fingerprint(
                                "school_exit_pattern", school.urn, AcademicYear(year).label
                            ),
                            la_code=school.la_code,
                            school_urn=school.urn,
                            upn=None,
                            key_event_id=None,
                            evidence=tuple(e.event_id for e in window),
                            as_of=day,
                            behaviour="offrolling" if school.offrolling else "background",
                        )
                    )
            day += _ONE_DAY
    return found
