"""Where a pupil is now, and the moves that link a leaving to the next joining. Pure: a placement
is a plain JSON-able dict (the tracker keeps recent ones in memory and all of them in the ledger's
`pupil_placements`). A pupil's events all come
from one partition in offset order, so the placement keeps the last offset it applied and a
replay after a crash (offsets it has seen) changes nothing."""

from __future__ import annotations

from typing import Any

from schemas import Event


def empty() -> dict[str, Any]:
    return {"on_roll": {}, "open_ap": {}, "last_exit": None, "offset": -1}


def apply(
    placement: dict[str, Any] | None, event: Event, offset: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The placement after `event` (read at `offset`), and the move it completes (or None).
    The same placement and no move when that offset was applied already."""
    state = _copy(placement or empty())
    if offset <= state["offset"]:
        return state, None
    state["offset"] = offset
    event_id = str(event.event_id)
    move = None
    data: Any = event.data
    if event.type == "pupil.enrolled":
        state["on_roll"][event.school_urn] = data.enrolment_status
        exit_ = state["last_exit"]
        if exit_ is not None and exit_["school_urn"] != event.school_urn:
            move = {
                "from_school": exit_["school_urn"],
                "left_on": exit_["occurred_on"],
                "left_event_id": exit_["event_id"],
                "ground": exit_["ground"],
                "to_school": event.school_urn,
                "joined_on": event.occurred_on.isoformat(),
                "joined_event_id": event_id,
                "managed_move": bool(data.managed_move),
            }
            state["last_exit"] = None
    elif event.type == "pupil.deleted":
        state["on_roll"].pop(event.school_urn, None)
        state.get("part_time", {}).pop(event.school_urn, None)
        state["last_exit"] = {
            "school_urn": event.school_urn,
            "event_id": event_id,
            "occurred_on": event.occurred_on.isoformat(),
            "ground": data.ground,
            "destination_kind": data.destination.kind,
        }
    elif event.type == "pupil.ap_referred":
        state["open_ap"][event_id] = {
            "school_urn": event.school_urn,
            "arrangement": data.arrangement,
            "start_on": data.start_on.isoformat(),
            "review_by": data.review_by.isoformat(),
            "planned_end_on": data.planned_end_on.isoformat(),
        }
    elif event.type == "pupil.ap_ended":
        state["open_ap"].pop(str(data.referral_event_id), None)
    elif event.type == "pupil.part_time_timetable":
        # The timetable in force at the school: each event replaces the last; ended_on ends it.
        timetables = state.setdefault("part_time", {})
        if data.ended_on is not None:
            timetables.pop(event.school_urn, None)
        else:
            provider = data.provider.model_dump(exclude_none=True) if data.provider else None
            timetables[event.school_urn] = {
                "event_id": event_id,
                "school_urn": event.school_urn,
                "start_on": data.start_on.isoformat(),
                "sessions_per_week": data.sessions_per_week,
                "planned_end_on": data.planned_end_on.isoformat(),
                "review_by": data.review_by.isoformat() if data.review_by else None,
                "provider": provider,
            }
    return state, move


def _copy(placement: dict[str, Any]) -> dict[str, Any]:
    copied = {
        "on_roll": dict(placement["on_roll"]),
        "open_ap": dict(placement["open_ap"]),
        "last_exit": placement["last_exit"],
        "offset": placement["offset"],
    }
    if placement.get("part_time"):
        copied["part_time"] = dict(placement["part_time"])
    return copied


def from_summary(view: dict[str, Any], offset: int) -> dict[str, Any]:
    """A placement rebuilt from its summary, for rows stored before the whole state was (migration
    0017). The enrolment status of each school is not in a summary; nothing reads it back."""
    return {
        "on_roll": dict.fromkeys(view["schools_on_roll"], "single"),
        "open_ap": dict(view["open_ap"]),
        "last_exit": view["last_exit"],
        "offset": offset,
    }


def summary(placement: dict[str, Any]) -> dict[str, Any]:
    """What readers need: the schools on roll, open AP placements, part-time timetables in force
    (only when there are some, so placements recorded before timetables existed still verify)
    and the last unexplained exit."""
    view = {
        "schools_on_roll": sorted(placement["on_roll"]),
        "dual_registered": len(placement["on_roll"]) > 1,
        "open_ap": placement["open_ap"],
        "last_exit": placement["last_exit"],
    }
    if placement.get("part_time"):
        view["part_time"] = placement["part_time"]
    return view
