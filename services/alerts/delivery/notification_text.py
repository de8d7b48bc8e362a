"""The words notifications use: rule titles, statuses, times, and the notice that an alert is a
prompt for enquiry, never a finding (docs/domain.md, "What an alert is")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.alerts.wording import day

NOTICE = (
    "Each alert is a prompt for enquiry, not a finding. Rollwatch raises alerts automatically from "
    "the records schools send; an alert does not show that a school or anyone else acted wrongly, "
    "and many have an ordinary explanation. Please make enquiries, then acknowledge or resolve the "
    "alert in Rollwatch with the outcome."
)
SHORT_NOTICE = "This alert is a prompt for enquiry, not a finding."
UPN_WITHHELD_NOTE = "pupil identifier withheld from this channel; open the alert in Rollwatch to see it"

RULE_TITLES = {
    "no_destination": "Off roll with no known destination",
    "ehe_vulnerable": "Home education of a pupil with needs or recent exclusions",
    "ehe_without_consent": "Home education of a relevant child without the LA's consent",
    "exam_cohort_exit": "Year 10 or 11 pupil left before the spring census",
    "late_notification": "Late or missing notification to the LA",
    "ap_review_overdue": "Alternative provision review overdue",
    "ap_planned_end_passed": "Alternative provision past its planned end",
    "exclusion_then_exit": "Off roll soon after a suspension or exclusion",
    "suspension_limit": "Suspensions over 45 school days in a year",
    "suspension_early_warning": "Suspensions nearing 45 school days at one school",
    "governors_review": "Governors' review of an exclusion due",
    "retrospective_deletion": "Taken off roll retrospectively",
    "school_exit_pattern": "School's pattern of unexplained exits",
    "high_mobility": "Frequent changes of school",
}
STATUS_WORDS = {
    "open": "open",
    "acknowledged": "acknowledged by an officer",
    "resolved": "resolved by an officer",
    "auto_resolved": "closed automatically by a later record",
}
_LONDON = ZoneInfo("Europe/London")


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule.replace("_", " ").capitalize())


def moment(value: dt.datetime) -> str:
    """'3 Mar 2026 09:15 GMT' in UK time, as officers read it."""
    local = value.astimezone(_LONDON)
    return f"{day(local.date())} {local:%H:%M} {local.tzname()}"


def one_line(text: str) -> str:
    """`text` safe for a mail header: no line breaks, no runs of spaces."""
    return " ".join(text.split())
