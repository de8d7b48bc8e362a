"""The import of one CTF, shared by `POST /v1/ctf` and `rollwatch import-ctf`: plan the file, map
every pupil, validate the events through the ingest's own batch check, and describe per pupil
what was created or why it was skipped.

The report carries event ids, types, UPNs (only valid ones) and problems: never a name, an
address, a contact or a date of birth, and no value from the file but short codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from schemas import EventInvalid, Problem, message_key, parse_event
from schemas.identifiers import is_valid_upn
from services.ingest.batch import CheckedBatch, check_batch
from services.ingest.ctf.mapping import MappedPupil, map_pupil
from services.ingest.ctf.plan import ImportOptions, ImportPlan, plan_import
from services.ingest.ctf.reader import CtfFile


@dataclass(frozen=True)
class CtfImport:
    plan: ImportPlan
    batch: CheckedBatch
    created: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    def report(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "direction": plan.options.direction,
            "school_urn": plan.options.school_urn,
            "ctf": {
                "source": plan.source,
                "destination": plan.destination,
                "created_at": plan.header.created_at,
                "pupils": len(self.created) + len(self.skipped),
            },
            "created": self.created,
            "skipped": self.skipped,
        }


def import_ctf(
    ctf: CtfFile, options: ImportOptions, urns: Collection[str], *, now: dt.datetime | None = None
) -> CtfImport:
    """Raises PlanRefused when no pupil of the file can become an event (a header or option
    problem); otherwise every pupil is either created or skipped with its problems."""
    now = now or dt.datetime.now(dt.UTC)
    plan = plan_import(ctf.header, options)
    mapped = [map_pupil(plan, pupil, now) for pupil in ctf.pupils]

    skipped: dict[int, dict[str, Any]] = {}
    candidates: list[MappedPupil] = []
    seen: dict[str, int] = {}
    for pupil in mapped:
        if pupil.problems:
            skipped[pupil.index] = _skipped(pupil, _with_contract_problems(pupil, now))
        elif pupil.event_id in seen:
            repeated = Problem(
                "upn",
                "upn_repeated",
                f"the same UPN is also Pupil {seen[pupil.event_id]} of this file; imported once",
            )
            skipped[pupil.index] = _skipped(pupil, [repeated])
        else:
            seen[str(pupil.event_id)] = pupil.index
            candidates.append(pupil)

    batch = check_batch([p.event for p in candidates], urns, now=now)
    for rejection in batch.rejected:
        pupil = candidates[rejection.index]
        skipped[pupil.index] = _skipped(pupil, rejection.problems)
    for index in batch.foreign:  # cannot happen once school_urn is checked; never silent if it does
        pupil = candidates[index]
        forbidden = Problem("school_urn", "forbidden_urn", "this key does not write for school_urn")
        skipped[pupil.index] = _skipped(pupil, [forbidden])
    created = [
        {
            "index": candidates[valid.index].index,
            "upn": message_key(valid.event),  # CTF events are all pupil events
            "event_id": str(valid.event.event_id),
            "type": valid.event.type,
            "warnings": [p.as_dict() for p in [*candidates[valid.index].notes, *valid.warnings]],
        }
        for valid in batch.valid
    ]
    return CtfImport(plan, batch, created, [skipped[i] for i in sorted(skipped)])


def _with_contract_problems(pupil: MappedPupil, now: dt.datetime) -> list[Problem]:
    """The mapping's problems, and whatever else the event contract finds in the partial event,
    so that the school sees every problem of a pupil at once."""
    found = list(pupil.problems)
    try:
        parse_event(pupil.event, now=now)
    except EventInvalid as exc:
        named = {p.field for p in found}
        found.extend(p for p in exc.problems if p.field not in named)
    return found


def _skipped(pupil: MappedPupil, problems: list[Problem]) -> dict[str, Any]:
    return {
        "index": pupil.index,
        "upn": pupil.upn if pupil.upn is not None and is_valid_upn(pupil.upn) else None,
        "problems": [p.as_dict() for p in problems],
    }
