"""Every threshold of the alert rules, from `rule_defaults.json`, with per-LA overrides merged.

An LA override file `<la_code>.json` has the shape of the defaults but only the keys it changes:
objects merge key by key, lists and values replace. Unknown keys and wrong types are refused with
the key named, so a typo never silently keeps a default.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.alerts.candidates import Severity
from services.tracker.reads import ExitParams, SchoolYearParams, default_exit_document

_LA_CODE = re.compile(r"^[0-9]{3}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleParams(_Strict):
    enabled: bool
    severity: Severity


class NoDestinationParams(RuleParams):
    school_days: int = Field(ge=1)
    exempt_grounds: tuple[str, ...]
    resolving_enrolment_statuses: tuple[str, ...]


class EheVulnerableParams(RuleParams):
    lookback_months: int = Field(ge=1)
    sen_provisions: tuple[str, ...]
    looked_after: bool
    child_in_need: bool


class ExamCohortExitParams(RuleParams):
    exempt_grounds: tuple[str, ...]
    state_school_destination_kinds: tuple[str, ...]


class LateNotificationParams(RuleParams):
    # reg 13(1): "by the end of the fifth day after" entry: days, not school days.
    admission_days: int = Field(ge=0)
    admission_day_unit: Literal["calendar", "school"]
    # reg 13(2)-(3): first-day entries to the most junior class, unless the LA asked for them.
    exempt_first_day_entries: bool
    # reg 13(5): the most senior class removed at or after the end of the last term.
    exempt_end_of_year_leavers: bool


class APReviewOverdueParams(RuleParams):
    # An LA policy, not statute since SI 2012/2532: null (the default) turns it off.
    directed_off_site_school_days: int | None = Field(ge=1)
    directed_arrangements: tuple[str, ...]
    # A requested review (reg 4A of the 2010 regulations): held "as soon as reasonably
    # practicable" (Rollwatch's reading: within these school days), unless one was held in the
    # weeks before the request.
    requested_review_school_days: int = Field(ge=1)
    requested_review_lookback_weeks: int = Field(ge=1)


class APPlannedEndPassedParams(RuleParams):
    grace_school_days: int = Field(ge=0)


class ExclusionThenExitParams(RuleParams):
    school_days: int = Field(ge=0)
    exempt_grounds: tuple[str, ...]
    same_school_only: bool


class SuspensionLimitParams(RuleParams):
    max_school_days: float = Field(gt=0)


class SuspensionEarlyWarningParams(RuleParams):
    warn_over_school_days: float = Field(gt=0)


class GovernorsReviewParams(RuleParams):
    term_school_days: float = Field(gt=0)  # suspensions in one term at one school over this
    decision_school_days: int = Field(ge=1)  # a permanent exclusion's decision due within


class EheConsentParams(RuleParams):
    in_force_from: dt.date | None  # the commencement of s434A Education Act 1996; null: not in force


class RetrospectiveDeletionParams(RuleParams):
    school_days: int = Field(ge=0)
    exempt_end_of_year_leavers: bool


class SchoolExitPatternParams(RuleParams):
    window_months: int = Field(ge=1)
    min_pupils: int = Field(ge=1)
    min_percent_of_roll: float = Field(ge=0, le=100)
    send_share_ratio: float = Field(gt=0)
    send_share_min_exits: int = Field(ge=1)


class HighMobilityParams(RuleParams):
    min_changes: int = Field(ge=1)
    window_months: int = Field(ge=1)
    counted_enrolment_statuses: tuple[str, ...]


class RollMismatchParams(RuleParams):
    tolerance: int = Field(ge=0)


class FeedSilentParams(RuleParams):
    school_days: int = Field(ge=1)


class Rules(_Strict):
    no_destination: NoDestinationParams
    ehe_vulnerable: EheVulnerableParams
    ehe_without_consent: EheConsentParams
    exam_cohort_exit: ExamCohortExitParams
    late_notification: LateNotificationParams
    ap_review_overdue: APReviewOverdueParams
    ap_planned_end_passed: APPlannedEndPassedParams
    exclusion_then_exit: ExclusionThenExitParams
    suspension_limit: SuspensionLimitParams
    suspension_early_warning: SuspensionEarlyWarningParams
    governors_review: GovernorsReviewParams
    retrospective_deletion: RetrospectiveDeletionParams
    school_exit_pattern: SchoolExitPatternParams
    high_mobility: HighMobilityParams
    roll_mismatch: RollMismatchParams
    feed_silent: FeedSilentParams

    def is_enabled(self, rule: str) -> bool:
        params = getattr(self, rule)
        assert isinstance(params, RuleParams)
        return params.enabled


class VulnerabilityParams(_Strict):
    """Alerts about a pupil whose snapshot (at the event the alert is about) carries one of these
    flags are raised `steps` severity levels (at most to high), and say why."""

    raise_severity_for: tuple[Literal["child_protection_plan", "child_in_need", "looked_after"], ...] = (
        "child_protection_plan",
        "child_in_need",
    )
    steps: int = Field(default=1, ge=0, le=2)


class CaseworkParams(_Strict):
    """How the LA works its alerts: an open alert no officer has acted on for this many school
    days is marked overdue in the console's inbox."""

    untouched_school_days: int = Field(default=5, ge=1, le=200)


class RuleParameters(_Strict):
    """The thresholds in force for one LA (or the defaults when `la_code` is None)."""

    version: str
    la_code: str | None = None
    note: str = ""
    school_years: SchoolYearParams
    exits: ExitParams
    rules: Rules
    casework: CaseworkParams = CaseworkParams()
    vulnerability: VulnerabilityParams = VulnerabilityParams()


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; anything else in `override` replaces the value in `base`."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=1)
def _default_document() -> dict[str, Any]:
    text = resources.files("services.alerts").joinpath("rule_defaults.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert isinstance(document, dict)
    exit_sections = default_exit_document()
    return {**document, "school_years": exit_sections["school_years"], "exits": exit_sections["exits"]}


def default_parameters() -> RuleParameters:
    return RuleParameters.model_validate(_default_document())


def parameters_with(la_code: str, override: Mapping[str, Any]) -> RuleParameters:
    """The defaults with one LA's override document laid over them."""
    if not _LA_CODE.fullmatch(la_code):
        raise ValueError(f"LA code {la_code!r} is not 3 digits")
    if override.get("la_code", la_code) != la_code:
        raise ValueError(f"rule overrides for LA {la_code} say they belong to LA {override['la_code']}")
    defaults = _default_document()
    body = {key: value for key, value in override.items() if key not in ("version", "la_code", "note")}
    merged = merge(defaults, body)
    merged["la_code"] = la_code
    merged["version"] = f"{defaults['version']}+{la_code}:{override.get('version', 'unversioned')}"
    merged["note"] = str(override.get("note", defaults.get("note", "")))
    return RuleParameters.model_validate(merged)


def load_parameters(la_code: str | None = None, directories: Iterable[Path] = ()) -> RuleParameters:
    """The thresholds for `la_code`: the defaults merged with `<la_code>.json` from the first of
    `directories` that has one (none: the defaults)."""
    if la_code is None:
        return default_parameters()
    for directory in directories:
        path = Path(directory) / f"{la_code}.json"
        if path.is_file():
            override = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(override, dict):
                raise ValueError(f"{path} does not hold a JSON object")
            return parameters_with(la_code, override)
    return default_parameters().model_copy(update={"la_code": la_code})
