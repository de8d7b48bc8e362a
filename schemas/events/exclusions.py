"""`pupil.suspended` and `pupil.permanently_excluded`, with their DfE reason codes (up to three,
each valid in the academic year of `occurred_on`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, model_validator

from schemas.codelists import exclusion_reasons_in
from schemas.codes import ExclusionReasonCode
from schemas.dates import IsoDate, academic_year, academic_year_label
from schemas.envelope import Envelope, EventData
from schemas.problems import Violation, raise_violations, rule_error

# A suspension longer than a school year (about 190 days, 380 sessions) cannot be right.
MAX_SESSIONS = 380

MAX_REASONS = 3


def _one_to_three(value: Any) -> Any:
    # Counted before the codes are checked, so that one bad code is not also "too few reasons".
    if isinstance(value, list | tuple) and not 1 <= len(value) <= MAX_REASONS:
        raise rule_error("reasons_count", f"give 1 to {MAX_REASONS} reason codes, main reason first")
    return value


Reasons = Annotated[
    tuple[ExclusionReasonCode, ...],
    BeforeValidator(_one_to_three),
    Field(
        description="1 to 3 DfE reason codes, main reason first",
        json_schema_extra={"minItems": 1, "maxItems": MAX_REASONS},
    ),
]


class _ExcludedData(EventData):
    """What suspensions and permanent exclusions share: their reasons."""

    reasons: Reasons

    @model_validator(mode="after")
    def _distinct_reasons(self) -> Self:
        raise_violations(
            "data",
            (
                Violation(("reasons", index), "reasons_duplicate", f"reason '{code}' is given more than once")
                for index, code in enumerate(self.reasons)
                if code in self.reasons[:index]
            ),
        )
        return self

    def event_violations(self, event: Envelope) -> Iterator[Violation]:
        year = academic_year(event.occurred_on)
        valid = exclusion_reasons_in(year)
        for index, code in enumerate(self.reasons):
            if code not in valid:
                yield Violation(
                    ("data", "reasons", index),
                    "exclusion_reason_not_in_year",
                    f"reason code '{code}' is not in use in {academic_year_label(year)} (the academic year "
                    f"of occurred_on); use one of: {', '.join(sorted(valid))}",
                )


class SuspendedData(_ExcludedData):
    FACT_DATES = ("start_on",)

    start_on: IsoDate = Field(description="First day of the suspension")
    sessions: StrictInt = Field(ge=1, le=MAX_SESSIONS, description="Length in half-day sessions")
    misses_public_examination: StrictBool | None = Field(
        default=None,
        description="The suspension makes the pupil lose the chance to take a public examination or "
        "a national curriculum test (the governors must then consider reinstatement)",
    )


class PermanentlyExcludedData(_ExcludedData):
    review: Literal["pending", "upheld", "reinstated"] = Field(
        description="Where the governors' review and any independent review panel stand"
    )


class PupilSuspended(Envelope):
    type: Literal["pupil.suspended"]
    data: SuspendedData


class PupilPermanentlyExcluded(Envelope):
    type: Literal["pupil.permanently_excluded"]
    data: PermanentlyExcludedData
