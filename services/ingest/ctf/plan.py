"""The plan for one CTF: which event, ground and destination every pupil of the file becomes,
decided once from the file's header and the caller's options, and the pupils' event ids.

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

`event_id` is a UUID5 of the file's identity (source, destination, `DateTime`), the direction,
the school and the UPN: importing the same file twice publishes the same ids, and the ledger keeps
one row per id. Options (ground, dates) are not part of it: a second import with other options
changes nothing; a correction is a retraction and a new event."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import TypeAdapter, ValidationError

from schemas import Problem
from schemas.codelists import deletion_grounds, destination_kinds
from schemas.events.ground_destinations import GROUND_DESTINATIONS
from schemas.identifiers import CTF_INDEPENDENT_OR_ABROAD, CTF_UNKNOWN, Laestab
from schemas.identifiers import CtfSchool as CtfSchoolCode
from schemas.problems import problems_from
from services.ingest.ctf.reader import CtfHeader
from services.ingest.ctf.values import echo_code

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
            f"the CTF names another school{echo_code(urn, 6)} as its {role}, not school_urn; "
            f"check direction and school_urn",
        )


def _identity(header: CtfHeader, source: str, destination: str | None) -> str:
    return f"ctf/1|{source}|{destination or '-'}|{header.created_at}"


def event_id_for(plan: ImportPlan, upn: str) -> uuid.UUID:
    options = plan.options
    return uuid.uuid5(CTF_NAMESPACE, f"{plan.identity}|{options.direction}|{options.school_urn}|{upn}")
