"""`pupil.enrolled`: a pupil put on a school's roll."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from schemas.dates import IsoDate
from schemas.envelope import Envelope, EventData
from schemas.identifiers import CtfSchool


class EnrolledData(EventData):
    FACT_DATES = ("la_notified_on",)

    enrolment_status: Literal["single", "main_dual", "subsidiary_dual", "guest"]
    previous_school: CtfSchool | None = Field(
        default=None, description="LAESTAB of the last school, MMMMMMM, XXXXXXX, or null if none"
    )
    la_notified_on: IsoDate | None = Field(default=None, description="When the LA was told of the admission")
    managed_move: StrictBool = False


class PupilEnrolled(Envelope):
    type: Literal["pupil.enrolled"]
    data: EnrolledData
