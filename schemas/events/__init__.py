"""Every event type of schema_version 1, and the union of them discriminated on `type`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import Field

from schemas.envelope import EVENT_TYPES, Envelope
from schemas.events.alternative_provision import (
    ApEndedData,
    ApReferredData,
    ApReviewRequestedData,
    Provider,
    PupilApEnded,
    PupilApReferred,
    PupilApReviewRequested,
)
from schemas.events.deletion import DeletedData, Destination, PupilDeleted
from schemas.events.enrolment import EnrolledData, PupilEnrolled
from schemas.events.exclusions import (
    PermanentlyExcludedData,
    PupilPermanentlyExcluded,
    PupilSuspended,
    SuspendedData,
)
from schemas.events.part_time import PartTimeTimetableData, PupilPartTimeTimetable
from schemas.events.retraction import EventRetracted, RetractedData
from schemas.events.school import RollCheckedData, SchoolRollChecked

# Every event about one pupil (all but the school-level `school.roll_checked`).
PupilEvent = (
    PupilEnrolled
    | PupilDeleted
    | PupilSuspended
    | PupilPermanentlyExcluded
    | PupilApReferred
    | PupilApReviewRequested
    | PupilApEnded
    | PupilPartTimeTimetable
    | EventRetracted
)
SchoolEvent = SchoolRollChecked
Event = Annotated[PupilEvent | SchoolEvent, Field(discriminator="type")]

EVENT_MODELS: Final[Mapping[str, type[Envelope] | type[SchoolRollChecked]]] = MappingProxyType(
    {
        "pupil.enrolled": PupilEnrolled,
        "pupil.deleted": PupilDeleted,
        "pupil.suspended": PupilSuspended,
        "pupil.permanently_excluded": PupilPermanentlyExcluded,
        "pupil.ap_referred": PupilApReferred,
        "pupil.ap_review_requested": PupilApReviewRequested,
        "pupil.ap_ended": PupilApEnded,
        "pupil.part_time_timetable": PupilPartTimeTimetable,
        "event.retracted": EventRetracted,
        "school.roll_checked": SchoolRollChecked,
    }
)
assert tuple(EVENT_MODELS) == EVENT_TYPES, "EVENT_TYPES and EVENT_MODELS must list the same types"

__all__ = [
    "EVENT_MODELS",
    "ApEndedData",
    "ApReferredData",
    "ApReviewRequestedData",
    "DeletedData",
    "Destination",
    "EnrolledData",
    "Event",
    "EventRetracted",
    "PartTimeTimetableData",
    "PermanentlyExcludedData",
    "Provider",
    "PupilApEnded",
    "PupilApReferred",
    "PupilApReviewRequested",
    "PupilDeleted",
    "PupilEnrolled",
    "PupilEvent",
    "PupilPartTimeTimetable",
    "PupilPermanentlyExcluded",
    "PupilSuspended",
    "RetractedData",
    "RollCheckedData",
    "SchoolEvent",
    "SchoolRollChecked",
    "SuspendedData",
]
