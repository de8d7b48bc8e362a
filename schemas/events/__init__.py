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
from schemas.events.retraction import EventRetracted, RetractedData

Event = Annotated[
    PupilEnrolled
    | PupilDeleted
    | PupilSuspended
    | PupilPermanentlyExcluded
    | PupilApReferred
    | PupilApReviewRequested
    | PupilApEnded
    | EventRetracted,
    Field(discriminator="type"),
]

EVENT_MODELS: Final[Mapping[str, type[Envelope]]] = MappingProxyType(
    {
        "pupil.enrolled": PupilEnrolled,
        "pupil.deleted": PupilDeleted,
        "pupil.suspended": PupilSuspended,
        "pupil.permanently_excluded": PupilPermanentlyExcluded,
        "pupil.ap_referred": PupilApReferred,
        "pupil.ap_review_requested": PupilApReviewRequested,
        "pupil.ap_ended": PupilApEnded,
        "event.retracted": EventRetracted,
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
    "PermanentlyExcludedData",
    "Provider",
    "PupilApEnded",
    "PupilApReferred",
    "PupilApReviewRequested",
    "PupilDeleted",
    "PupilEnrolled",
    "PupilPermanentlyExcluded",
    "PupilSuspended",
    "RetractedData",
    "SuspendedData",
]
