"""The envelope every event carries (docs/domain.md, "Events", schema_version 1), and the base
of every event type's `data`.

`Envelope` is the base class of the concrete event models (schemas/events/): each narrows `type`
to its own literal and `data` to its own model, so whatever `parse_event` returns is an
`Envelope` whose `.data` is typed. The checks that need several fields of the envelope (dates
against the clock and the date of birth, and each type's own `event_violations`) run in one
after-validator and report every problem at its own location."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import ClassVar, Literal, Self, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from schemas.dates import ENGLAND, FUTURE_ALLOWANCE, IsoDate, Timestamp, now_from, today_in_england
from schemas.identifiers import Upn, Urn
from schemas.problems import Loc, Violation, raise_violations
from schemas.pupil import PupilSnapshot

SCHEMA_VERSION = 1

EventType = Literal[
    "pupil.enrolled",
    "pupil.deleted",
    "pupil.suspended",
    "pupil.permanently_excluded",
    "pupil.ap_referred",
    "pupil.ap_review_requested",
    "pupil.ap_ended",
    "pupil.part_time_timetable",
    "event.retracted",
    "school.roll_checked",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class EventData(BaseModel):
    """Base of every event type's `data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fields holding the date something happened: at most a day ahead of today, never before birth.
    FACT_DATES: ClassVar[tuple[str, ...]] = ()
    # Fields holding a planned date: may lie in the future, never before birth.
    PLANNED_DATES: ClassVar[tuple[str, ...]] = ()

    def event_violations(self, event: Envelope) -> Iterator[Violation]:
        """Checks of this data against the rest of the event; locations from the event root."""
        return iter(())


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(description="Chosen by the sender; the idempotency key")
    type: EventType
    schema_version: Literal[1]
    upn: Upn
    former_upn: Upn | None = Field(default=None, description="An earlier (e.g. temporary) UPN of the pupil")
    school_urn: Urn = Field(description="The school reporting the event")
    occurred_on: IsoDate = Field(description="When the move took effect")
    recorded_at: Timestamp = Field(description="When the school recorded it, with its time zone")
    pupil: PupilSnapshot
    data: EventData

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        raise_violations(self.type, self.violations(now_from(info.context)))
        return self

    def violations(self, now: dt.datetime) -> Iterator[Violation]:
        if self.former_upn is not None and self.former_upn == self.upn:
            yield Violation(("former_upn",), "former_upn_same", "former_upn is the same as upn; leave it out")
        latest = today_in_england(now) + FUTURE_ALLOWANCE
        birth = self.pupil.date_of_birth
        if birth > latest:
            yield in_future(("pupil", "date_of_birth"))
        if self.occurred_on > latest:
            yield in_future(("occurred_on",))
        if self.occurred_on < birth:
            yield _before_birth(("occurred_on",))
        if self.recorded_at > now + FUTURE_ALLOWANCE:
            yield in_future(("recorded_at",))
        if self.recorded_at.astimezone(ENGLAND).date() < birth:
            yield _before_birth(("recorded_at",))
        data = self.data
        for name in data.FACT_DATES:
            value = getattr(data, name)
            if value is not None:
                if value > latest:
                    yield in_future(("data", name))
                if value < birth:
                    yield _before_birth(("data", name))
        for name in data.PLANNED_DATES:
            value = getattr(data, name)
            if value is not None and value < birth:
                yield _before_birth(("data", name))
        yield from data.event_violations(self)


def in_future(loc: Loc) -> Violation:
    """A date of fact more than a day ahead: refused (school events use it too)."""
    return Violation(
        loc, "date_in_future", f"{loc[-1]} is more than one day in the future; send events once they happen"
    )


def _before_birth(loc: Loc) -> Violation:
    # No input value is attached: a date of birth must not reach error reports or logs.
    return Violation(loc, "date_before_birth", f"{loc[-1]} is before the pupil's date of birth")
