"""`event.retracted`: an earlier event withdrawn. Corrections are new events; nothing is edited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal
from uuid import UUID

from pydantic import Field

from schemas.envelope import Envelope, EventData
from schemas.problems import Violation
from schemas.text import LongText


class RetractedData(EventData):
    retracts: UUID = Field(description="The event_id of the event withdrawn")
    reason: LongText

    def event_violations(self, event: Envelope) -> Iterator[Violation]:
        if self.retracts == event.event_id:
            yield Violation(("data", "retracts"), "retracts_self", "an event cannot retract itself")


class EventRetracted(Envelope):
    type: Literal["event.retracted"]
    data: RetractedData
