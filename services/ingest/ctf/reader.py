"""Reads a Common Transfer File securely, streaming, and keeps only what the ledger needs.

Structure (DfE CTF specification, "XML message structure"; element names as published):

    CTfile
      Header: DocumentName, CTFversion, DateTime, DocumentQualifier, SupplierID,
              SourceSchool (LEA, Estab, URN, SchoolName, AcademicYear), DestSchool (LEA, Estab, URN)
      CTFpupilData
        Pupil: UPN, Surname, Forename, DOB, Sex, BasicDetails (FormerUPN, NCyearActual, EnrolStatus, ...),
               FSMhistory (FSMinstance: FSMstartDate, FSMendDate), LookedAfter (InCare),
               SENhistory (SEN: StartDate, EndDate, SENprovision), Address, Phones, Email,
               Contacts, Attendance, StageAssessments,
               SchoolHistory (School: LEA, Estab, URN, SchoolName, EntryDate, LeavingDate,
                              LeavingReason, RemovalGrounds, ...)

Security: the file is untrusted. defusedxml refuses any DTD (so no entity expansion, no billion
laughs, no external entity), and parsing is incremental: each `Pupil` element is dropped as soon
as its few wanted values are copied.

Personal data: only the element paths in `HEADER_FIELDS` and `PUPIL_FIELDS` are ever read. Names
(`Surname`, `Forename`, `PreferredSurname`, ...), addresses, phones, emails and contacts are
parsed by expat (it has to see them to find the next element) but their text is never copied
into anything this module returns. Values stay raw strings here: `mapping` interprets them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

ROOT: Final = "CTfile"
HEADER: Final = "Header"
PUPIL_DATA: Final = "CTFpupilData"
PUPIL: Final = "Pupil"

# Element paths (below Header) that are read; anything else in the header is skipped.
HEADER_FIELDS: Final[dict[tuple[str, ...], str]] = {
    ("CTFversion",): "ctf_version",
    ("DateTime",): "created_at",
    ("SourceSchool", "LEA"): "source_lea",
    ("SourceSchool", "Estab"): "source_estab",
    ("SourceSchool", "URN"): "source_urn",
    ("DestSchool", "LEA"): "dest_lea",
    ("DestSchool", "Estab"): "dest_estab",
    ("DestSchool", "URN"): "dest_urn",
}

# Element paths (below Pupil) that are read. `BasicDetails`, where a CTF version put a container
# inside it, is accepted as an optional first step (see `_pupil_path`).
PUPIL_FIELDS: Final[dict[tuple[str, ...], str]] = {
    ("UPN",): "upn",
    ("FormerUPN",): "former_upn",
    ("DOB",): "date_of_birth",
    ("NCyearActual",): "year_group",
    ("EnrolStatus",): "enrol_status",
    ("SENhistory", "SEN", "StartDate"): "sen.start",
    ("SENhistory", "SEN", "EndDate"): "sen.end",
    ("SENhistory", "SEN", "SENprovision"): "sen.provision",
    ("FSMhistory", "FSMinstance", "FSMstartDate"): "fsm.start",
    ("FSMhistory", "FSMinstance", "FSMendDate"): "fsm.end",
    ("LookedAfter", "InCare"): "in_care",
    ("SchoolHistory", "School", "LEA"): "school.lea",
    ("SchoolHistory", "School", "Estab"): "school.estab",
    ("SchoolHistory", "School", "URN"): "school.urn",
    ("SchoolHistory", "School", "EntryDate"): "school.entry_date",
    ("SchoolHistory", "School", "LeavingDate"): "school.leaving_date",
    ("SchoolHistory", "School", "LeavingReason"): "school.leaving_reason",
    ("SchoolHistory", "School", "RemovalGrounds"): "school.removal_grounds",
}
# Containers whose presence alone says something (an FSM history with no current spell means
# "not eligible"; no FSM history at all means "not said").
_PRESENCE: Final[dict[tuple[str, ...], str]] = {("FSMhistory",): "fsm_history"}
_REPEATED: Final[dict[tuple[str, ...], str]] = {
    ("SENhistory", "SEN"): "sen",
    ("FSMhistory", "FSMinstance"): "fsm",
    ("SchoolHistory", "School"): "school",
}


class CtfUnreadable(ValueError):
    """The file cannot be read as a CTF at all; `rule` names why (no values from the file)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class CtfSchool:
    lea: str | None = None
    estab: str | None = None
    urn: str | None = None

    @property
    def code(self) -> str | None:
        """LEA + Estab: a LAESTAB, `MMMMMMM` or `XXXXXXX`; None if either part is missing."""
        if self.lea is None or self.estab is None:
            return None
        return self.lea + self.estab


@dataclass(frozen=True)
class CtfHeader:
    ctf_version: str | None
    created_at: str | None
    source: CtfSchool
    destination: CtfSchool | None


@dataclass(frozen=True)
class SenRecord:
    start: str | None = None
    end: str | None = None
    provision: str | None = None


@dataclass(frozen=True)
class FsmSpell:
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class SchoolSpell:
    lea: str | None = None
    estab: str | None = None
    urn: str | None = None
    entry_date: str | None = None
    leaving_date: str | None = None
    leaving_reason: str | None = None
    removal_grounds: str | None = None


@dataclass(frozen=True)
class CtfPupil:
    """One `Pupil`, reduced to what the ledger needs. `index` is its position in the file."""

    index: int
    upn: str | None = None
    former_upn: str | None = None
    date_of_birth: str | None = None
    year_group: str | None = None
    enrol_status: str | None = None  # BasicDetails/EnrolStatus: C, M, S, G (CBDS)
    sen: tuple[SenRecord, ...] = ()
    # None: the file has no FSMhistory for the pupil.
    fsm: tuple[FsmSpell, ...] | None = None
    in_care: str | None = None
    schools: tuple[SchoolSpell, ...] = ()


@dataclass(frozen=True)
class CtfFile:
    header: CtfHeader
    pupils: list[CtfPupil]


@dataclass
class _PupilBuilder:
    index: int
    values: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)

    def open_group(self, name: str) -> None:
        self.groups.setdefault(name, []).append({})

    def set(self, name: str, value: str) -> None:
        group, _, key = name.partition(".")
        if key:
            records = self.groups.get(group)
            if records:  # a leaf outside its container cannot happen in well-formed XML
                records[-1][key] = value
        else:
            self.values[name] = value

    def build(self) -> CtfPupil:
        fsm = [FsmSpell(**r) for r in self.groups.get("fsm", [])]
        return CtfPupil(
            index=self.index,
            upn=self.values.get("upn"),
            former_upn=self.values.get("former_upn"),
            date_of_birth=self.values.get("date_of_birth"),
            year_group=self.values.get("year_group"),
            enrol_status=self.values.get("enrol_status"),
            sen=tuple(SenRecord(**r) for r in self.groups.get("sen", [])),
            fsm=tuple(fsm) if "fsm_history" in self.present else None,
            in_care=self.values.get("in_care"),
            schools=tuple(SchoolSpell(**r) for r in self.groups.get("school", [])),
        )


def read_ctf(source: bytes | IO[bytes], *, max_pupils: int | None = None) -> CtfFile:
    """Read a CTF from bytes or a binary stream. Raises CtfUnreadable (rules `xml_forbidden`,
    `xml_invalid`, `ctf_root`, `too_many_pupils`)."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    header: dict[str, str] = {}
    pupils: list[CtfPupil] = []
    try:
        for pupil_or_header in _walk(stream, header, max_pupils):
            pupils.append(pupil_or_header)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise CtfUnreadable(
            "xml_forbidden",
            "the file declares a DTD or entities; a CTF has neither, and they are refused "
            "(entity expansion and external references are a known attack)",
        ) from None
    except ParseError as exc:
        # expat's message is a fixed text and a position: no content of the file.
        raise CtfUnreadable("xml_invalid", f"the file is not well-formed XML: {exc}") from None
    return CtfFile(_header(header), pupils)


def _walk(stream: IO[bytes], header: dict[str, str], max_pupils: int | None) -> Iterator[CtfPupil]:
    path: list[str] = []
    pupil: _PupilBuilder | None = None
    pupil_data: Element | None = None
    count = 0
    events = iterparse(stream, events=("start", "end"), forbid_dtd=True)
    for event, elem in events:
        tag = _local(elem.tag)
        if event == "start":
            path.append(tag)
            if len(path) == 1 and tag != ROOT:
                raise CtfUnreadable("ctf_root", f"the root element must be {ROOT}; this is not a CTF")
            if path == [ROOT, PUPIL_DATA]:
                pupil_data = elem
            elif path == [ROOT, PUPIL_DATA, PUPIL]:
                count += 1
                if max_pupils is not None and count > max_pupils:
                    raise CtfUnreadable("too_many_pupils", f"a CTF may hold at most {max_pupils} pupils")
                pupil = _PupilBuilder(count - 1)
            elif pupil is not None and len(path) > 3:
                rel = _pupil_path(path[3:])
                if rel in _REPEATED:
                    pupil.open_group(_REPEATED[rel])
                if rel in _PRESENCE:
                    pupil.present.add(_PRESENCE[rel])
            continue
        # "end": the element's text is complete.
        if len(path) > 2 and path[1] == HEADER:
            name = HEADER_FIELDS.get(tuple(path[2:]))
            value = _text(elem)
            if name is not None and value is not None:
                header[name] = value
        elif pupil is not None and len(path) > 3:
            name = PUPIL_FIELDS.get(_pupil_path(path[3:]))
            value = _text(elem) if name is not None else None
            if name is not None and value is not None:
                pupil.set(name, value)
        elif pupil is not None and path == [ROOT, PUPIL_DATA, PUPIL]:
            yield pupil.build()
            pupil = None
            elem.clear()
            if pupil_data is not None:
                pupil_data.remove(elem)
        elif path == [ROOT, HEADER]:
            elem.clear()
        path.pop()


def _pupil_path(rel: list[str]) -> tuple[str, ...]:
    if len(rel) > 1 and rel[0] == "BasicDetails":
        return tuple(rel[1:])
    return tuple(rel)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(elem: Element) -> str | None:
    text = (elem.text or "").strip()
    return text or None


def _header(values: dict[str, str]) -> CtfHeader:
    has_dest = any(key.startswith("dest_") for key in values)
    return CtfHeader(
        ctf_version=values.get("ctf_version"),
        created_at=values.get("created_at"),
        source=CtfSchool(values.get("source_lea"), values.get("source_estab"), values.get("source_urn")),
        destination=CtfSchool(values.get("dest_lea"), values.get("dest_estab"), values.get("dest_urn"))
        if has_dest
        else None,
    )
