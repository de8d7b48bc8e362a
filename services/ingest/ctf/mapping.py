"""What a CTF means for the ledger: one plan per file (which event, ground and destination), then
one event dict per pupil. Pure functions; the event contract validates the result afterwards.

Direction is the caller's, not the file's: the same file is a deletion at the school that `sent`
it and an enrolment at the school that `received` it.

Sent (a `pupil.deleted` at the source school, `ctf_destination` = where the file went):

| `DestSchool` | destination kinds (the first is the default) | ground if the caller gives none |
|---|---|---|
| a LAESTAB | `school`, `independent`, `post16` (laestab set) | `other_school`; `post16`: required |
| `MMMMMMM` | `independent`, `abroad`, `moved_away` | `other_school`; other kinds: required |
| `XXXXXXX` | `unknown` | required |

A CTF says where the file went, never why the pupil left. `other_school` (reg 9(1)(a)) is inferred
only when the file names a school. A file to `XXXXXXX` fits eight grounds (nursery finished,
moved away, leave not returned, 20 days' absence, end of compulsory age, ...) and picking one
(say `absent_20_days`) would record enquiries that may never have happened, so the caller must
say which. A CTF's own `RemovalGrounds` (CTF 18+) is not read: its code list could not be
verified.

Received (a `pupil.enrolled` at the caller's school): `previous_school` = the source LAESTAB,
`enrolment_status` `single` (a CTF does not say otherwise).

`occurred_on`: sent, the latest `LeavingDate` of the source school in the pupil's
`SchoolHistory`; received, the latest `EntryDate` of the receiving school there (rare: the old
school does not know it). Otherwise the caller's `occurred_on`. `recorded_at` is now.

`event_id` is a UUID5 of the file's identity (source, destination, `DateTime`), the direction,
the school and the UPN: importing the same file twice publishes the same ids, and the ledger keeps
one row per id. Options (ground, dates) are not part of it: a second import with other options
changes nothing; a correction is a retraction and a new event."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import TypeAdapter, ValidationError

from schemas import Problem
from schemas.codelists import deletion_grounds, destination_kinds, regulation_2024_in_force
from schemas.events.ground_destinations import GROUND_DESTINATIONS
from schemas.identifiers import CTF_INDEPENDENT_OR_ABROAD, CTF_UNKNOWN, Laestab
from schemas.identifiers import CtfSchool as CtfSchoolCode
from schemas.problems import problems_from
from services.ingest.ctf.reader import CtfHeader, CtfPupil, FsmSpell, SchoolSpell, SenRecord

Direction = Literal["sent", "received"]
DIRECTIONS: Final[tuple[Direction, ...]] = ("sent", "received")

# Fixed forever: changing it would change every CTF event id and break idempotency.
CTF_NAMESPACE: Final = uuid.UUID("6f1d2b8e-3c4a-5e7f-9a0b-1c2d3e4f5a6b")

_DEFAULT_KIND: Final = {"laestab": "school", CTF_INDEPENDENT_OR_ABROAD: "independent", CTF_UNKNOWN: "unknown"}
_ALLOWED_KINDS: Final = {
    "laestab": ("school", "independent", "post16"),
    CTF_INDEPENDENT_OR_ABROAD: ("independent", "abroad", "moved_away"),
    CTF_UNKNOWN: ("unknown",),
}
# The only ground a CTF lets us infer: the file went to a school, so the pupil is registered there.
_INFERABLE_GROUND: Final = "other_school"
_SCHOOL_KINDS: Final = frozenset({"school", "independent"})

# NCyearActual (CBDS national curriculum year) -> the contract's year_group.
_YEAR_GROUPS: Final = {"N1": -2, "N2": -1, "R": 0} | {str(n): n for n in range(1, 15)}
# SEN provision: current codes pass; pre-2015 codes map to their successors (S statement -> E EHC
# plan; A School Action and P School Action Plus -> K SEN support).
_SEN_CURRENT: Final = frozenset({"E", "K", "N"})
_SEN_LEGACY: Final = {"S": "E", "A": "K", "P": "K"}
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})
_CODE_LIKE: Final = re.compile(r"^[A-Za-z0-9]+$")

_laestab: TypeAdapter[str] = TypeAdapter(Laestab)
_ctf_school: TypeAdapter[str] = TypeAdapter(CtfSchoolCode)


@dataclass(frozen=True)
class ImportOptions:
    direction: Direction
    school_urn: str
    ground: str | None = None
    destination: str | None = None
    occurred_on: dt.date | None = None


class PlanRefused(ValueError):
    """The file and the options cannot make events for any pupil (one problem, request level)."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(field, rule, message)


@dataclass(frozen=True)
class ImportPlan:
    """What every pupil of one file becomes, decided once from its header and the options."""

    options: ImportOptions
    header: CtfHeader
    source: str  # LAESTAB of the sending school
    destination: str | None  # LAESTAB, MMMMMMM or XXXXXXX (None: a received file without one)
    identity: str
    ground: str | None = None
    destination_kind: str | None = None

    @property
    def event_type(self) -> str:
        return "pupil.deleted" if self.options.direction == "sent" else "pupil.enrolled"


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


def plan_import(header: CtfHeader, options: ImportOptions) -> ImportPlan:
    """Check the file's header against the options; raise PlanRefused with the first problem."""
    if header.created_at is None or not _is_datetime(header.created_at):
        raise PlanRefused(
            "Header/DateTime", "ctf_header", "the CTF header needs a DateTime such as 2025-03-14T15:42:07"
        )
    source = header.source.code
    if source is None:
        raise PlanRefused(
            "Header/SourceSchool", "ctf_header", "the CTF header has no SourceSchool LEA and Estab"
        )
    _require_laestab("Header/SourceSchool", source, "the sending school")
    destination = header.destination.code if header.destination is not None else None
    if options.direction == "sent":
        _require_same_school("Header/SourceSchool/URN", header.source.urn, options.school_urn, "sent")
        return _plan_sent(header, options, source, destination)
    dest_urn = header.destination.urn if header.destination is not None else None
    _require_same_school("Header/DestSchool/URN", dest_urn, options.school_urn, "received")
    if destination is not None:
        try:
            _ctf_school.validate_python(destination)
        except ValidationError as exc:
            problem = problems_from(exc)[0]
            raise PlanRefused("Header/DestSchool", problem.rule, f"DestSchool: {problem.message}") from None
    for name, value in (("ground", options.ground), ("destination", options.destination)):
        if value is not None:
            raise PlanRefused(
                name, "parameter_not_applicable", f"{name} describes a deletion: give it only for a sent CTF"
            )
    return ImportPlan(options, header, source, destination, _identity(header, source, destination))


def _plan_sent(header: CtfHeader, options: ImportOptions, source: str, destination: str | None) -> ImportPlan:
    if destination is None:
        raise PlanRefused(
            "Header/DestSchool",
            "ctf_header",
            "a sent CTF needs DestSchool LEA and Estab: a LAESTAB, MMM + MMMM or XXX + XXXX",
        )
    family = destination if destination in (CTF_UNKNOWN, CTF_INDEPENDENT_OR_ABROAD) else "laestab"
    if family == "laestab":
        _require_laestab("Header/DestSchool", destination, "the destination school")
    allowed = _ALLOWED_KINDS[family]
    kind = options.destination or _DEFAULT_KIND[family]
    if kind not in destination_kinds():
        raise PlanRefused(
            "destination",
            "destination_kind_unknown",
            f"'{kind}' is not a destination kind; use one of: {', '.join(sorted(destination_kinds()))}",
        )
    if kind not in allowed:
        raise PlanRefused(
            "destination",
            "destination_not_allowed",
            f"a CTF sent to {destination if family != 'laestab' else 'a LAESTAB'} allows the "
            f"destination kinds {', '.join(allowed)}, not '{kind}'",
        )
    ground = options.ground
    if ground is None:
        if kind not in _SCHOOL_KINDS:
            candidates = sorted(g for g, kinds in GROUND_DESTINATIONS.items() if kind in kinds)
            raise PlanRefused(
                "ground",
                "ground_required",
                f"a CTF does not say why a pupil left, and the destination kind '{kind}' fits "
                f"several grounds: give ground, one of {', '.join(candidates)}",
            )
        ground = _INFERABLE_GROUND
    if ground not in deletion_grounds():
        raise PlanRefused(
            "ground",
            "deletion_ground_unknown",
            f"'{ground}' is not a deletion ground; use one of: {', '.join(deletion_grounds())}",
        )
    if kind not in GROUND_DESTINATIONS[ground]:
        raise PlanRefused(
            "ground",
            "ground_destination_mismatch",
            f"ground '{ground}' cannot have a '{kind}' destination; it allows: "
            + ", ".join(sorted(GROUND_DESTINATIONS[ground])),
        )
    return ImportPlan(
        options,
        header,
        source,
        destination,
        _identity(header, source, destination),
        ground=ground,
        destination_kind=kind,
    )


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _require_laestab(where: str, value: str, what: str) -> None:
    if value in (CTF_UNKNOWN, CTF_INDEPENDENT_OR_ABROAD):
        raise PlanRefused(where, "ctf_header", f"{what} must be a real LAESTAB here, not {value}")
    try:
        _laestab.validate_python(value)
    except ValidationError as exc:
        problem = problems_from(exc)[0]
        raise PlanRefused(where, problem.rule, f"{what} (LEA + Estab): {problem.message}") from None


def _require_same_school(where: str, urn: str | None, school_urn: str, direction: str) -> None:
    if urn is not None and urn != school_urn:
        role = "sender" if direction == "sent" else "destination"
        raise PlanRefused(
            where,
            "ctf_school_mismatch",
            f"the CTF names another school{_code(urn, 6)} as its {role}, not school_urn; "
            f"check direction and school_urn",
        )


def _identity(header: CtfHeader, source: str, destination: str | None) -> str:
    return f"ctf/1|{source}|{destination or '-'}|{header.created_at}"


def event_id_for(plan: ImportPlan, upn: str) -> uuid.UUID:
    options = plan.options
    return uuid.uuid5(CTF_NAMESPACE, f"{plan.identity}|{options.direction}|{options.school_urn}|{upn}")


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
    occurred_on = _occurred_on(plan, pupil, problems)
    snapshot = _snapshot(pupil, occurred_on, problems, notes)
    event: dict[str, Any] = {
        "event_id": event_id or str(uuid.UUID(int=0)),
        "type": plan.event_type,
        "schema_version": 1,
        "school_urn": plan.options.school_urn,
        "recorded_at": now.isoformat(),
        "pupil": snapshot,
        "data": _data(plan, occurred_on),
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


def _occurred_on(plan: ImportPlan, pupil: CtfPupil, problems: list[Problem]) -> dt.date | None:
    """The date from the pupil's latest spell at the school, else the caller's occurred_on.

    Sent: that spell's LeavingDate. Received: its EntryDate, only if the spell is still open (a
    closed spell at the receiving school is an earlier stay, not this enrolment)."""
    options = plan.options
    sent = options.direction == "sent"
    element = "LeavingDate" if sent else "EntryDate"
    school = plan.source if sent else plan.destination
    spells = [s for s in pupil.schools if _is_school(s, school, options.school_urn)]
    raw: str | None = None
    if spells:
        # Latest by EntryDate (a spell without one counts as earliest); ties: the last in the file.
        last = max(range(len(spells)), key=lambda i: (_date(spells[i].entry_date) or dt.date.min, i))
        latest = spells[last]
        raw = latest.leaving_date if sent else (latest.entry_date if latest.leaving_date is None else None)
    if raw is not None:
        found = _date(raw)
        if found is None:
            problems.append(
                Problem(
                    "occurred_on",
                    "date_format",
                    f"the {element} of this school in the pupil's SchoolHistory is not a YYYY-MM-DD date",
                )
            )
        return found
    if options.occurred_on is not None:
        return options.occurred_on
    problems.append(
        Problem(
            "occurred_on",
            "occurred_on_unknown",
            f"the pupil's SchoolHistory gives no {element} for this school; give occurred_on",
        )
    )
    return None


def _is_school(spell: SchoolSpell, laestab: str | None, urn: str) -> bool:
    if spell.urn is not None and spell.urn == urn:
        return True
    return (
        laestab is not None
        and spell.lea is not None
        and spell.estab is not None
        and (spell.lea + spell.estab == laestab)
    )


def _snapshot(
    pupil: CtfPupil, on: dt.date | None, problems: list[Problem], notes: list[Problem]
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    if pupil.date_of_birth is None:
        problems.append(Problem("pupil.date_of_birth", "missing", "the Pupil has no DOB"))
    else:
        snapshot["date_of_birth"] = pupil.date_of_birth
    year_group = _year_group(pupil.year_group, problems)
    if year_group is not None:
        snapshot["year_group"] = year_group
    sen = _sen_provision(pupil.sen, on, problems, notes)
    if sen is not None:
        snapshot["sen_provision"] = sen
    if pupil.fsm is not None:
        fsm = _fsm_eligible(pupil.fsm, on, notes)
        if fsm is not None:
            snapshot["fsm_eligible"] = fsm
    if pupil.in_care is not None:
        flag = pupil.in_care.lower()
        if flag in _TRUE | _FALSE:
            snapshot["looked_after"] = flag in _TRUE
        else:
            notes.append(
                Problem(
                    "pupil.looked_after",
                    "ctf_value_ignored",
                    "LookedAfter/InCare is not true or false; looked_after is left out",
                )
            )
    return snapshot


def _year_group(value: str | None, problems: list[Problem]) -> int | None:
    if value is None:
        problems.append(Problem("pupil.year_group", "missing", "the Pupil has no BasicDetails/NCyearActual"))
        return None
    year = _YEAR_GROUPS.get(value.upper().lstrip("0") or "0")
    if year is None:
        problems.append(
            Problem(
                "pupil.year_group",
                "ctf_year_group_unmapped",
                f"NCyearActual{_code(value)} has no year group in the contract (N1, N2, R and 1-14 "
                "do; E1, E2 and X do not)",
            )
        )
    return year


def _sen_provision(
    records: Iterable[SenRecord], on: dt.date | None, problems: list[Problem], notes: list[Problem]
) -> str | None:
    with_code = [r for r in records if r.provision is not None]
    if not with_code:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_assumed",
                "the CTF has no SENhistory/SEN/SENprovision; recorded as N (no special educational need)",
            )
        )
        return "N"
    current = [r for r in with_code if _current(_date(r.start), _date(r.end), on)]
    if not current:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_ended",
                "every SEN record had ended by occurred_on; recorded as N",
            )
        )
        return "N"
    latest = max(current, key=lambda r: _date(r.start) or dt.date.min)
    code = str(latest.provision).upper()
    if code in _SEN_CURRENT:
        return code
    if code in _SEN_LEGACY:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_legacy_code",
                f"SENprovision '{code}' is a pre-2015 code; recorded as {_SEN_LEGACY[code]}",
            )
        )
        return _SEN_LEGACY[code]
    problems.append(
        Problem(
            "pupil.sen_provision",
            "ctf_sen_provision_unknown",
            f"SENprovision{_code(code)} is not E, K or N (nor a pre-2015 S, A or P)",
        )
    )
    return None


def _fsm_eligible(spells: Iterable[FsmSpell], on: dt.date | None, notes: list[Problem]) -> bool | None:
    parsed: list[tuple[dt.date | None, dt.date | None]] = []
    for spell in spells:
        start, end = _date(spell.start), _date(spell.end)
        if (spell.start is not None and start is None) or (spell.end is not None and end is None):
            notes.append(
                Problem(
                    "pupil.fsm_eligible",
                    "ctf_value_ignored",
                    "an FSMinstance date is not YYYY-MM-DD; fsm_eligible is left out",
                )
            )
            return None
        parsed.append((start, end))
    return any(start is not None and _current(start, end, on) for start, end in parsed)


def _current(start: dt.date | None, end: dt.date | None, on: dt.date | None) -> bool:
    """A record is current on `on` if it started by then and had not ended before it; with no
    date to compare against, any record without an end is current."""
    if on is None:
        return end is None
    return (start is None or start <= on) and (end is None or end >= on)


def _date(value: str | None) -> dt.date | None:
    if value is None or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _code(value: str, limit: int = 3) -> str:
    """` 'X'` for a value from the file that looks like a code; nothing for anything else (a name,
    a date): such values are never echoed."""
    return f" '{value}'" if len(value) <= limit and _CODE_LIKE.match(value) else ""
