"""Whether an exit from a school's roll is "unexplained", after the Education Policy Institute
(2019; docs/domain.md, "Off-rolling and unexplained exits").

The definition is the tracker's (`services/tracker/exit_classification.py`, reached through
`services.tracker.reads`): the alert rules, the school statistics and the LA summary all classify
with `classify_exit`, with the LA's overrides (the `exits` and `school_years` sections of the
LA's parameters, merged from the same override file the LA summary reads). This module only turns
a `Deletion` fact into the classification's `Exit`.
"""

from __future__ import annotations

from services.alerts.facts import SEN_EHC_PLAN, SEN_SUPPORT, Deletion, SchoolExit
from services.alerts.parameters import RuleParameters
from services.tracker.reads import Exit, ExitClass, ExitRules, classify_exit, in_end_of_year


def exit_rules(params: RuleParameters) -> ExitRules:
    """The classification's rules from an LA's parameters (its overrides included)."""
    return ExitRules.from_sections(params.version, params.exits, params.school_years)


def as_exit(
    deletion: Deletion,
    rules: ExitRules,
    *,
    to_special_school: bool = False,
    to_successor_school: bool = False,
) -> Exit:
    return Exit(
        ground=deletion.ground,
        destination_kind=deletion.destination_kind or "",
        year_group=deletion.year_group,
        in_end_of_year=in_end_of_year(deletion.occurred_on, rules),
        school_top_year_group=deletion.school_top_year_group,
        to_successor_school=to_successor_school,
        to_special_school=to_special_school,
    )


def classify(
    deletion: Deletion,
    params: RuleParameters,
    *,
    to_special_school: bool = False,
    to_successor_school: bool = False,
) -> ExitClass:
    rules = exit_rules(params)
    exit_ = as_exit(
        deletion, rules, to_special_school=to_special_school, to_successor_school=to_successor_school
    )
    return classify_exit(exit_, rules)


def is_unexplained(deletion: Deletion, params: RuleParameters, *, to_special_school: bool = False) -> bool:
    return classify(deletion, params, to_special_school=to_special_school).outcome == "unexplained"


def school_exit(deletion: Deletion, params: RuleParameters, *, to_special_school: bool = False) -> SchoolExit:
    """The deletion as one of the school's exits (what SchoolStats.exits holds)."""
    return SchoolExit(
        event_id=deletion.event_id,
        occurred_on=deletion.occurred_on,
        unexplained=is_unexplained(deletion, params, to_special_school=to_special_school),
        send=deletion.sen_provision in (SEN_EHC_PLAN, SEN_SUPPORT),
    )
