"""`pupil.part_time_timetable`: the school has agreed that a pupil on its roll attends for fewer
than the 10 sessions of a full-time week, from `start_on` to `planned_end_on`; the pupil may be
educated elsewhere for the rest (`provider`). Each event states the timetable in force at that
school and replaces the one before; `ended_on` ends it (full time again). Such pupils are among
the children a local authority's "children not in school" register will list (s436B(5)(b)
Education Act 1996, inserted by s38 Children's Wellbeing and Schools Act 2026); the DfE's
"Working together to improve school attendance" (2024) says a part-time timetable must be
temporary, agreed with the parent, and reviewed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Self

from pydantic import Field, StrictInt, model_validator

from schemas.dates import IsoDate
from schemas.envelope import Envelope, EventData
from schemas.events.alternative_provision import Provider
from schemas.problems import Violation, raise_violations

FULL_TIME_SESSIONS = 10  # two sessions a day, five days a week


class PartTimeTimetableData(EventData):
    FACT_DATES = ("start_on", "ended_on")
    PLANNED_DATES = ("planned_end_on", "review_by")

    start_on: IsoDate
    sessions_per_week: StrictInt = Field(
        ge=0,
        lt=FULL_TIME_SESSIONS,
        description="Sessions (half days) a week the pupil is taught at the school; full time is 10",
    )
    planned_end_on: IsoDate = Field(description="When the pupil is to be back full time")
    review_by: IsoDate | None = None
    ended_on: IsoDate | None = Field(default=None, description="The timetable ended: full time again")
    provider: Provider | None = Field(
        default=None, description="Who educates the pupil for the rest of the week, if anyone"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        raise_violations("data", self._order_violations())
        return self

    def _order_violations(self) -> Iterator[Violation]:
        for name in ("planned_end_on", "review_by", "ended_on"):
            value = getattr(self, name)
            if value is not None and value < self.start_on:
                yield Violation((name,), f"{name.removesuffix('_on').removesuffix('_by')}_before_start",
                                f"{name} is before start_on")  # fmt: skip


class PupilPartTimeTimetable(Envelope):
    type: Literal["pupil.part_time_timetable"]
    data: PartTimeTimetableData
