"""Whether an exit from a school's roll is "unexplained", after the Education Policy Institute
(2019; docs/domain.md, "Off-rolling and unexplained exits").

Explained: a phase transition (a top-year leaver at the end of the year), a permanent exclusion,
or a family reason (a move away or abroad), plus exits no school chooses (custody, death) and
ends of dual registration or LA decisions on attendance orders. Everything else is unexplained:
moves to another school or AP without a change of address, to home education, to independent
schools, to unknown destinations. The data cannot show a change of address behind a move to
another school, so such a move counts as unexplained unless its ground is `moved_away`, as in EPI.
"""

from __future__ import annotations

from services.alerts.facts import SEN_EHC_PLAN, SEN_SUPPORT, Deletion, SchoolExit
from services.alerts.parameters import RuleParameters
from services.alerts.school_years import is_end_of_year_leaver


def is_unexplained(deletion: Deletion, params: RuleParameters) -> bool:
    if deletion.ground in params.exits.explained_grounds:
        return False
    if deletion.destination_kind in params.exits.explained_destination_kinds:
        return False
    return not is_end_of_year_leaver(deletion, params.school_years)


def school_exit(deletion: Deletion, params: RuleParameters) -> SchoolExit:
    """The deletion as one of the school's exits (what SchoolStats.exits holds)."""
    return SchoolExit(
        event_id=deletion.event_id,
        occurred_on=deletion.occurred_on,
        unexplained=is_unexplained(deletion, params),
        send=deletion.sen_provision in (SEN_EHC_PLAN, SEN_SUPPORT),
    )
