"""The school rule of the ground truth: school_exit_pattern, evaluated as the alert service does,
on each day a deletion at the school took effect, with the roll of that day (each pupil's latest
registration event at the school by then, by `occurred_on` then `recorded_at`, is an admission;
dual registrations count, guests do not; SEN as recorded at that admission) and the exits by their
`occurred_on`; one alert per school and academic year, dated the first such day its condition
holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from services.alerts.calendar import AcademicYear, academic_year_of, months_before
from services.alerts.fingerprints import fingerprint
from tools.simulate.ground_truth import GroundTruth
from tools.simulate.population import School
from tools.simulate.records import DELETED, ENROLLED, SimEvent
from tools.simulate.truth_entry import GroundTruthEntry


def school_exit_pattern(
    truth: GroundTruth, schools: Sequence[School], events: Iterable[SimEvent]
) -> list[GroundTruthEntry]:
    """The school_exit_pattern alerts of these schools (see ground_truth.py for the conventions)."""
    p = truth.params.rules.school_exit_pattern
    by_school: dict[str, list[SimEvent]] = {}
    for event in events:
        if event.type == DELETED or (event.type == ENROLLED and event.data["enrolment_status"] != "guest"):
            by_school.setdefault(event.school_urn, []).append(event)
    found = []
    threshold = Fraction(str(p.min_percent_of_roll))
    ratio = Fraction(str(p.send_share_ratio))
    for school in schools:
        moves = sorted(by_school.get(school.urn, []), key=lambda e: (e.occurred_on, e.sort_key))
        exits = [e for e in moves if e.type == DELETED and truth.is_unexplained(e)]
        days = sorted(
            {e.occurred_on for e in moves if e.type == DELETED and e.occurred_on <= truth.window_end}
        )
        latest: dict[str, SimEvent] = {}  # each pupil's latest registration event here so far
        move_index = 0
        fired_years: set[int] = set()
        for day in days:
            while move_index < len(moves) and moves[move_index].occurred_on <= day:
                latest[moves[move_index].upn] = moves[move_index]
                move_index += 1
            year = academic_year_of(day).start_year
            start = months_before(day, p.window_months)
            window = [e for e in exits if start <= e.occurred_on <= day]
            count = len(window)
            if year in fired_years or count < min(p.min_pupils, p.send_share_min_exits):
                continue
            on_roll = [e for e in latest.values() if e.type == ENROLLED]
            roll = len(on_roll)
            send = sum(1 for e in on_roll if e.sen != "N")
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
                        fingerprint=fingerprint("school_exit_pattern", school.urn, AcademicYear(year).label),
                        la_code=school.la_code,
                        school_urn=school.urn,
                        upn=None,
                        key_event_id=None,
                        evidence=tuple(e.event_id for e in window),
                        as_of=day,
                        behaviour="offrolling" if school.offrolling else "background",
                    )
                )
    return found
