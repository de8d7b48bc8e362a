"""The snapshot of the pupil that every event carries: what was true on the day of the event."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from schemas.dates import BirthDate

# Nursery -2 and -1, reception 0, then Years 1 to 14.
YEAR_GROUP_MIN = -2
YEAR_GROUP_MAX = 14


class PupilSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date_of_birth: BirthDate
    year_group: StrictInt = Field(
        ge=YEAR_GROUP_MIN,
        le=YEAR_GROUP_MAX,
        description="National curriculum year: nursery -2/-1, reception 0, Years 1-14",
    )
    sen_provision: Literal["E", "K", "N"] = Field(description="E: EHC plan, K: SEN support, N: none")
    fsm_eligible: StrictBool | None = None
    looked_after: StrictBool | None = None
    child_in_need: StrictBool | None = None
    placed_by_la: StrictBool | None = Field(
        default=None,
        description="Became a registered pupil at this school under arrangements made by a local "
        "authority (s434A(3) Education Act 1996: with a special school, a relevant child)",
    )
    s47_enquiries: StrictBool | None = Field(
        default=None,
        description="A local authority is conducting enquiries, or taking action, under s47 Children "
        "Act 1989 about the child (s434A(4) Education Act 1996: a relevant child)",
    )
    child_protection_plan: StrictBool | None = Field(
        default=None,
        description="Subject of a child protection plan (Working Together to Safeguard Children 2023)",
    )
