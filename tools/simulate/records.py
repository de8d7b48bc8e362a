"""The simulator's own record of an event, and its wire form (docs/domain.md, "Events").

A `SimEvent` keeps what the ground truth needs (dates as dates, the pupil snapshot as it was) and
turns into the contract's JSON with `as_json`. `recorded_at` is a local time in England.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson

ENGLAND: Final = ZoneInfo("Europe/London")

ENROLLED: Final = "pupil.enrolled"
DELETED: Final = "pupil.deleted"
SUSPENDED: Final = "pupil.suspended"
EXCLUDED: Final = "pupil.permanently_excluded"
AP_REFERRED: Final = "pupil.ap_referred"
AP_ENDED: Final = "pupil.ap_ended"


class Recorded:
    """What every simulated record shares: when the school recorded it (England), and its place
    in the output (by recording time, ties in the order the simulation made them)."""

    __slots__ = ()
    recorded_at: dt.datetime
    seq: int

    @property
    def recorded_on(self) -> dt.date:
        return self.recorded_at.date()

    @property
    def sort_key(self) -> tuple[float, int]:
        return (self.recorded_at.timestamp(), self.seq)


@dataclass(slots=True, eq=False)
class SimEvent(Recorded):
    type: str
    event_id: str
    upn: str
    school_urn: str
    la_code: str
    occurred_on: dt.date
    recorded_at: dt.datetime  # aware, Europe/London
    date_of_birth: dt.date
    year_group: int
    sen: str
    fsm: bool
    looked_after: bool
    child_in_need: bool
    data: dict[str, Any]
    seq: int
    # The injected behaviour this event belongs to ("" for the background), and the case id.
    behaviour: str = ""
    case_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": 1,
            "upn": self.upn,
            "school_urn": self.school_urn,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "pupil": {
                "date_of_birth": self.date_of_birth.isoformat(),
                "year_group": self.year_group,
                "sen_provision": self.sen,
                "fsm_eligible": self.fsm,
                "looked_after": self.looked_after,
                "child_in_need": self.child_in_need,
            },
            "data": _jsonable(self.data),
        }

    def as_bytes(self) -> bytes:
        return orjson.dumps(self.as_json())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def event_id(rng: random.Random) -> str:
    """A version-4 UUID drawn from the seeded generator, so runs repeat exactly."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def local_time(day: dt.date, minute_of_day: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minute_of_day // 60, minute_of_day % 60), tzinfo=ENGLAND)
