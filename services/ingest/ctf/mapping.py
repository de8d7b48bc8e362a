"""What a CTF means for the ledger: one event dict per pupil, per the file's `ImportPlan` (see
`plan`). Pure functions; the event contract validates the result afterwards.

Received (a `pupil.enrolled` at the caller's school): `previous_school` = the source LAESTAB,
`enrolment_status` from `BasicDetails/EnrolStatus` (the CBDS letters C, M, S, G or the contract's
words; `single`, with a warning, when the file has none). A `guest` (G) is not registered: it is
refused, as the admission register never held the pupil.

Sent: the ground is the caller's (or the one a CTF to a school implies); the spell's own
`RemovalGrounds` and `LeavingReason` are compared with it and a mismatch is a warning
(`leaving.py`).

`occurred_on`: sent, the latest `LeavingDate` of the source school in the pupil's
`SchoolHistory`; received, the latest `EntryDate` of the receiving school there (rare: the old
school does not know it). Otherwise the caller's `occurred_on`. `recorded_at` is now."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from schemas import Problem
from schemas.codelists import (
    destination_kinds,
    enrolment_status_for,
    enrolment_statuses,
    regulation_2024_in_force,
)
from schemas.identifiers import CTF_INDEPENDENT_OR_ABROAD, CTF_UNKNOWN
from services.ingest.ctf.leaving import ground_notes
from services.ingest.ctf.plan import ImportPlan, event_id_for
from services.ingest.ctf.pupil_snapshot import pupil_snapshot
from services.ingest.ctf.reader import CtfPupil, SchoolSpell
from services.ingest.ctf.values import ctf_date, echo_code


@dataclass
class MappedPupil:
    index: int
    upn: str | None
    event_id: str | None
    event: dict[str, Any]
    # Why no event can be made from this pupil (event field names, as /v1/events reports them).
    problems: list[Problem] = field(default_factory=list)
    # Facts assumed or changed on the way (never a refusal).
    notes: list[Problem] = field(default_factory=list)


def map_pupil(plan: ImportPlan, pupil: CtfPupil, now: dt.datetime) -> MappedPupil:
    """The event dict for one pupil, the problems that stop it, and notes on what was assumed.

    Fields that cannot be read are left out of the dict (and reported as problems), so the event
    contract refuses it too and reports its own problems beside them."""
    problems: list[Problem] = []
    notes: list[Problem] = []
    upn = pupil.upn
    if upn is None:
        problems.append(Problem("upn", "missing", "the Pupil has no UPN"))
    event_id = str(event_id_for(plan, upn)) if upn is not None else None
    occurred_on, spell = _occurred_on(plan, pupil, problems)
    snapshot = pupil_snapshot(pupil, occurred_on, problems, notes)
    data = _data(plan, occurred_on)
    if plan.options.direction == "received":
        data["enrolment_status"] = _enrolment_status(pupil.enrol_status, problems, notes)
    elif plan.ground is not None:
        notes.extend(ground_notes(spell, plan.ground, plan.options.ground is not None, occurred_on))
    event: dict[str, Any] = {
        "event_id": event_id or str(uuid.UUID(int=0)),
        "type": plan.event_type,
        "schema_version": 1,
        "school_urn": plan.options.school_urn,
        "recorded_at": now.isoformat(),
        "pupil": snapshot,
        "data": data,
    }
    if upn is not None:
        event["upn"] = upn
    if occurred_on is not None:
        event["occurred_on"] = occurred_on.isoformat()
    if pupil.former_upn is not None and pupil.former_upn != upn:
        event["former_upn"] = pupil.former_upn
    return MappedPupil(pupil.index, upn, event_id, event, problems, notes)


def _data(plan: ImportPlan, occurred_on: dt.date | None) -> dict[str, Any]:
    if plan.options.direction == "received":
        return {
            "enrolment_status": "single",
            "previous_school": plan.source,
            "la_notified_on": None,
            "managed_move": False,
        }
    destination: dict[str, Any] = {"kind": plan.destination_kind}
    if (
        plan.destination not in (CTF_UNKNOWN, CTF_INDEPENDENT_OR_ABROAD)
        and destination_kinds()[str(plan.destination_kind)].laestab_allowed
    ):
        destination["laestab"] = plan.destination
    regulation = "2006" if occurred_on is not None and occurred_on < regulation_2024_in_force() else "2024"
    return {
        "ground": plan.ground,
        "regulation": regulation,
        "destination": destination,
        "la_notified_on": None,
        "ctf_destination": plan.destination,
    }


def _enrolment_status(value: str | None, problems: list[Problem], notes: list[Problem]) -> str:
    if value is None:
        notes.append(
            Problem(
                "data.enrolment_status",
                "enrolment_status_assumed",
                "the CTF has no BasicDetails/EnrolStatus; recorded as single registration",
            )
        )
        return "single"
    status = enrolment_status_for(value)
    if status is None:
        problems.append(
            Problem(
                "data.enrolment_status",
                "ctf_enrol_status_unknown",
                f"BasicDetails/EnrolStatus{echo_code(value)} is not C, M, S or G (single, main dual, "
                "subsidiary dual, guest)",
            )
        )
        return "single"
    if not enrolment_statuses()[status].registered:
        problems.append(
            Problem(
                "data.enrolment_status",
                "ctf_guest_not_registered",
                "BasicDetails/EnrolStatus is G: a guest is not entered on the admission register, so this "
                "is not an admission",
            )
        )
    return status


def _occurred_on(
    plan: ImportPlan, pupil: CtfPupil, problems: list[Problem]
) -> tuple[dt.date | None, SchoolSpell | None]:
    """The date from the pupil's latest spell at the school, else the caller's occurred_on; and
    that spell.

    Sent: that spell's LeavingDate. Received: its EntryDate, only if the spell is still open (a
    closed spell at the receiving school is an earlier stay, not this enrolment)."""
    options = plan.options
    sent = options.direction == "sent"
    element = "LeavingDate" if sent else "EntryDate"
    school = plan.source if sent else plan.destination
    spells = [s for s in pupil.schools if _is_school(s, school, options.school_urn)]
    raw: str | None = None
    latest: SchoolSpell | None = None
    if spells:
        # Latest by EntryDate (a spell without one counts as earliest); ties: the last in the file.
        last = max(range(len(spells)), key=lambda i: (ctf_date(spells[i].entry_date) or dt.date.min, i))
        latest = spells[last]
        raw = latest.leaving_date if sent else (latest.entry_date if latest.leaving_date is None else None)
    if raw is not None:
        found = ctf_date(raw)
        if found is None:
            problems.append(
                Problem(
                    "occurred_on",
                    "date_format",
                    f"the {element} of this school in the pupil's SchoolHistory is not a YYYY-MM-DD date",
                )
            )
        return found, latest
    if options.occurred_on is not None:
        return options.occurred_on, latest
    problems.append(
        Problem(
            "occurred_on",
            "occurred_on_unknown",
            f"the pupil's SchoolHistory gives no {element} for this school; give occurred_on",
        )
    )
    return None, latest


def _is_school(spell: SchoolSpell, laestab: str | None, urn: str) -> bool:
    if spell.urn is not None and spell.urn == urn:
        return True
    return (
        laestab is not None
        and spell.lea is not None
        and spell.estab is not None
        and (spell.lea + spell.estab == laestab)
    )
