"""`school.roll_checked`: a school's connector reports, each school day, how many pupils are on the
school's admission register, and optionally which UPNs joined and left it since its last check.

It is about a school, not a pupil: the envelope has no `upn` and no pupil snapshot, and Rollwatch
keeps it out of every pupil's history (docs/domain.md, "Feed health and roll reconciliation")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, model_validator

from schemas.dates import FUTURE_ALLOWANCE, IsoDate, Timestamp, now_from, today_in_england
from schemas.envelope import EventData, in_future
from schemas.identifiers import Upn, Urn
from schemas.problems import Violation, raise_violations

MAX_ROLL = 20_000  # the largest English school has about 4,000 pupils
MAX_UPNS_LISTED = 5_000


class RollCheckedData(EventData):
    on_roll: StrictInt = Field(
        ge=0,
        le=MAX_ROLL,
        description="Pupils on the admission register at the end of occurred_on: single and dual "
        "registrations (main and subsidiary) count, guests do not",
    )
    added: tuple[Upn, ...] | None = Field(
        default=None,
        max_length=MAX_UPNS_LISTED,
        description="UPNs entered on the register since the last check",
    )
    removed: tuple[Upn, ...] | None = Field(
        default=None,
        max_length=MAX_UPNS_LISTED,
        description="UPNs deleted from the register since the last check",
    )

    def check_violations(self) -> Iterator[Violation]:
        both = set(self.added or ()) & set(self.removed or ())
        if both:
            yield Violation(
                ("data", "removed"), "upn_added_and_removed", "a UPN is listed as both added and removed"
            )


class SchoolRollChecked(BaseModel):
    """A school-level event: the envelope of a pupil event without `upn`, `former_upn` and `pupil`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(description="Chosen by the sender; the idempotency key")
    type: Literal["school.roll_checked"]
    schema_version: Literal[1]
    school_urn: Urn = Field(description="The school whose register was counted")
    occurred_on: IsoDate = Field(description="The day whose end the count describes")
    recorded_at: Timestamp = Field(description="When the count was taken, with its time zone")
    data: RollCheckedData

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        raise_violations(self.type, self.violations(now_from(info.context)))
        return self

    def violations(self, now: dt.datetime) -> Iterator[Violation]:
        if self.occurred_on > today_in_england(now) + FUTURE_ALLOWANCE:
            yield in_future(("occurred_on",))
        if self.recorded_at > now + FUTURE_ALLOWANCE:
            yield in_future(("recorded_at",))
        yield from self.data.check_violations()
