"""`exam_cohort_exit`: a Year 10 or 11 pupil taken off roll between 1 September of Year 10 and
the Year 11 spring census day (inclusive), to anything but another state school (docs/domain.md,
"Alert rules"). Performance tables count the pupils on roll at that census, which is why exits
peak before it (docs/domain.md, "Off-rolling and unexplained exits").

The year group is the one on the deletion's snapshot: Year 10 is inside the window all year;
Year 11 until the spring census of that school year. "Another state school" is a destination of
kind `school` (independent schools have their own kind). Deletions after a permanent exclusion
(a lawful route with its own reviews) and deaths are exempt by default.
"""

from __future__ import annotations

from services.alerts import wording
from services.alerts.calendar import AcademicYear, SchoolCalendar, academic_year_of, census_days
from services.alerts.candidates import AlertCandidate, candidate_for
from services.alerts.facts import Deletion, PupilFact, PupilState
from services.alerts.parameters import RuleParameters

RULE = "exam_cohort_exit"
STATUTE = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1); "
    "Ofsted school inspection handbook (off-rolling)"
)


def evaluate(
    state: PupilState, fact: PupilFact, calendar: SchoolCalendar, params: RuleParameters
) -> list[AlertCandidate]:
    p = params.rules.exam_cohort_exit
    if not isinstance(fact, Deletion) or state.death is not None or fact.ground in p.exempt_grounds:
        return []
    if fact.destination_kind in p.state_school_destination_kinds:
        return []
    year = academic_year_of(fact.occurred_on)
    if fact.year_group == 10:
        census = census_days(AcademicYear(year.start_year + 1)).spring
    elif fact.year_group == 11:
        census = census_days(year).spring
        if fact.occurred_on > census:
            return []
    else:
        return []
    reason = wording.reason(
        f"{wording.year_group(fact.year_group)} pupil taken off roll at "
        f"{wording.school(fact.school_urn)} on {wording.day(fact.occurred_on)} "
        f"{wording.ground(fact.ground)}, to "
        f"{wording.destination(fact.destination_kind, fact.destination_laestab)}",
        f"before the Year 11 spring census on {wording.day(census)}, which decides who counts "
        "in the school's exam results",
        *wording.needs(fact),
    )
    return [candidate_for(RULE, params, fact, state.upn, reason, STATUTE)]
