"""One pupil's history as a reader may see it: the one read behind `GET /v1/pupils/{upn}/history`
and the console's timeline page, so both answer the same and log the same.

An auditor sees every event; an LA officer the whole timeline of a pupil on roll (by a
non-retracted enrolment, deletion or exclusion) at one of the LA's schools; a school the events it
sent. The read follows the pupil's linked UPNs, marks retracted events (still shown), names every
school from the register and says where the pupil is now: one round of three point reads run side
by side (`ledger_reads.pupil_record`).
It is written to the access log before anything is answered, found or not: the entry is stored as
soon as the rows are counted, before the answer is built (`services/tracker/access_log.py`)."""

from __future__ import annotations

from typing import Any

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from schemas.authority import visible_to_la
from services.schools.register import SchoolsRegister
from services.tracker import ledger_reads
from services.tracker.access_log import AccessRecord, start_access_record
from services.tracker.ledger_reads import LedgerRow, PlacementRow

ACTION = "pupil_history"


def stated_purpose(caller: KeyRecord, purpose: str | None) -> str | None:
    """The purpose the access log keeps: a school reads its own records without stating one; LA
    officers and auditors must (None: they did not)."""
    if caller.role == "school":
        return purpose or "school reading its own records"
    return purpose or None


def read_history(
    clients: ClientPerThread, register: SchoolsRegister, caller: KeyRecord, upn: str, purpose: str
) -> dict[str, Any] | None:
    """Blocking. The history as `GET /v1/pupils/{upn}/history` answers it, or None when the caller
    may read no event of this UPN (unknown and out of scope alike). Access-logged either way."""
    history, logged = start_history(clients, register, caller, upn, purpose)
    logged.wait()
    return history


def start_history(
    clients: ClientPerThread, register: SchoolsRegister, caller: KeyRecord, upn: str, purpose: str
) -> tuple[dict[str, Any] | None, AccessRecord]:
    """Blocking. `read_history` with its access-log entry not yet waited on: the caller must
    `wait()` on it before answering (it raises if the entry could not be stored)."""
    record = ledger_reads.pupil_record(clients, upn)
    rows = visible_rows(register, caller, record.rows)
    logged = start_access_record(clients, caller, ACTION, upn, purpose, len(rows))
    history = None
    if rows:
        retractions = ledger_reads.retracted_ids(rows)
        history = {
            "upn": upn,
            "linked_upns": record.upns,
            "placement": placement_json(record.placement, caller, register),
            "events": [row_json(row, retractions.get(row.event_id), register) for row in rows],
        }
    return history, logged


def visible_rows(register: SchoolsRegister, caller: KeyRecord, rows: list[LedgerRow]) -> list[LedgerRow]:
    if caller.role == "auditor":
        return rows
    if caller.role == "school":
        return [row for row in rows if row.school_urn in caller.urns]
    # An LA officer sees the whole timeline of a pupil on roll (not retracted) at one of their
    # schools (schemas/authority.py): a school's event retracted, or one that says nothing of its
    # roll, opens nothing.
    la_of = {urn: register.la_of(urn) for urn in {row.school_urn for row in rows}}
    return rows if caller.la_code in visible_to_la([row.sent() for row in rows], la_of) else []


def school_name(register: SchoolsRegister, urn: str) -> str | None:
    school = register.get(urn)
    return school.name if school else None


def other_school(register: SchoolsRegister, direction: str, laestab: object) -> dict[str, Any] | None:
    """The school at the other end of a move, when the event names it by LAESTAB: where a deleted
    pupil went (`to`), or where an enrolled pupil came from (`from`)."""
    if not direction or not isinstance(laestab, str) or not laestab.isdigit():
        return None  # not a move, none given, or a CTF code (MMMMMMM, XXXXXXX)
    school = register.by_laestab(laestab)
    return {
        "direction": direction,
        "laestab": laestab,
        "urn": school.urn if school else None,
        "name": school.name if school else None,
    }


def other_laestab(row: LedgerRow) -> tuple[str, object]:
    """Where a move's other school is named: ('to', a deletion's destination), ('from', an
    enrolment's previous school), or ('', None). The school movements' query reads the same."""
    data = row.event.get("data")
    if not isinstance(data, dict):
        return "", None
    if row.type == "pupil.deleted":
        destination = data.get("destination") or {}
        return "to", destination.get("laestab") or data.get("ctf_destination")
    if row.type == "pupil.enrolled":
        return "from", data.get("previous_school")
    return "", None


def movement_json(
    event_id: str,
    type_: str,
    upn: str,
    school_urn: str,
    occurred_on: str,
    recorded_at: str,
    ingested_at: str,
    chain_seq: int,
    event: object,
    school: str | None,
    other: dict[str, Any] | None,
    retracted_by: str | None,
) -> dict[str, Any]:
    """One event as the audit reads answer it: the ledger row's fields (times as ISO text), the
    event, the school's name, the other school of a move, whether it was retracted. (A dict
    display: a school's year is thousands of these.)"""
    return {
        "event_id": event_id,
        "type": type_,
        "upn": upn,
        "school_urn": school_urn,
        "occurred_on": occurred_on,
        "recorded_at": recorded_at,
        "ingested_at": ingested_at,
        "chain_seq": chain_seq,
        "event": event,
        "school_name": school,
        "other_school": other,
        "retracted": retracted_by is not None,
        "retracted_by": retracted_by,
    }


def row_json(row: LedgerRow, retracted_by: str | None, register: SchoolsRegister) -> dict[str, Any]:
    return movement_json(
        row.event_id,
        row.type,
        row.upn,
        row.school_urn,
        row.occurred_on.isoformat(),
        row.recorded_at.isoformat(),
        row.ingested_at.isoformat(),
        row.chain_seq,
        row.event,
        school_name(register, row.school_urn),
        other_school(register, *other_laestab(row)),
        retracted_by,
    )


def placement_json(
    placement: PlacementRow | None, caller: KeyRecord, register: SchoolsRegister
) -> dict[str, Any] | None:
    """Where the pupil is now, as the tracker last recorded it. A school sees only its own part:
    whether the pupil is on its roll, the AP placements it made, the exit it recorded last."""
    if placement is None:
        return None
    view = placement.placement
    on_roll: list[str] = list(view.get("schools_on_roll", []))
    open_ap = [{"referral_event_id": key, **value} for key, value in view.get("open_ap", {}).items()]
    last_exit: dict[str, Any] | None = view.get("last_exit")
    school_view = caller.role == "school"
    if school_view:
        on_roll = [urn for urn in on_roll if urn in caller.urns]
        open_ap = [ap for ap in open_ap if ap.get("school_urn") in caller.urns]
        if last_exit is not None and last_exit.get("school_urn") not in caller.urns:
            last_exit = None
    if on_roll:
        status = "on_roll"
    elif school_view:
        status = "not_on_roll_here"
    else:
        status = "off_roll" if last_exit is not None else "unknown"
    body: dict[str, Any] = {
        "status": status,
        "on_roll": [{"urn": urn, "name": school_name(register, urn)} for urn in on_roll],
        "open_ap": [
            {**ap, "school_name": school_name(register, str(ap.get("school_urn", "")))} for ap in open_ap
        ],
        "last_exit": (
            {**last_exit, "school_name": school_name(register, str(last_exit.get("school_urn", "")))}
            if last_exit is not None
            else None
        ),
        "recorded_under_upn": placement.upn,
        "as_of": placement.updated_at.isoformat(),
    }
    if not school_view:
        body["dual_registered"] = bool(view.get("dual_registered", len(on_roll) > 1))
    else:
        body["scope"] = "this school's own records only"
    return body
