"""The envelope every event carries (design.md, "Event contract", schema_version 1)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

EVENT_TYPES = (
    "pupil.enrolled",
    "pupil.deleted",
    "pupil.suspended",
    "pupil.permanently_excluded",
    "pupil.ap_referred",
    "pupil.ap_ended",
    "event.retracted",
)
EventType = Literal[
    "pupil.enrolled",
    "pupil.deleted",
    "pupil.suspended",
    "pupil.permanently_excluded",
    "pupil.ap_referred",
    "pupil.ap_ended",
    "event.retracted",
]


class PupilSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_of_birth: dt.date
    year_group: int = Field(ge=-2, le=14)
    sen_provision: Literal["E", "K", "N"]
    fsm_eligible: bool | None = None
    looked_after: bool | None = None
    child_in_need: bool | None = None


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID
    type: EventType
    schema_version: Literal[1]
    upn: str = Field(pattern=r"^[A-Z][0-9]{11}[0-9A-Z]$")
    former_upn: str | None = Field(default=None, pattern=r"^[A-Z][0-9]{11}[0-9A-Z]$")
    school_urn: str = Field(pattern=r"^[0-9]{6}$")
    occurred_on: dt.date
    recorded_at: AwareDatetime
    pupil: PupilSnapshot
    data: dict[str, Any]
