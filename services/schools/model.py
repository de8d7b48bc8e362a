"""The records of the schools register: one establishment (`School`) and one GIAS link between two
establishments (`SchoolLink`), with the rules that read meaning into GIAS values (which statuses are
open, which link types mean predecessor or successor, which types are alternative provision)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

CLOSED = "Closed"
# GIAS statuses: "Open", "Open, but proposed to close", "Proposed to open", "Closed".
_OPEN_STATUSES = frozenset({"open", "open, but proposed to close"})

Direction = Literal["predecessor", "successor"]


@dataclass(frozen=True, slots=True)
class School:
    """One establishment as the register knows it: the GIAS columns Rollwatch uses, and nothing
    personal (GIAS also publishes head teachers' names; they are never read)."""

    urn: str
    name: str
    la_code: str
    la_name: str
    establishment_number: str | None
    type_name: str
    type_group: str
    status: str
    phase: str
    statutory_low_age: int | None = None
    statutory_high_age: int | None = None
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None
    ukprn: str | None = None
    official_sixth_form: bool | None = None  # GIAS OfficialSixthForm; None when not said

    @property
    def top_year_group(self) -> int | None:
        """The school's most senior class, from the register (None when it does not say)."""
        return top_year_group(self.statutory_high_age, self.official_sixth_form)

    @property
    def laestab(self) -> str | None:
        """The DfE number: LA code (3 digits) + establishment number (4 digits)."""
        if self.establishment_number is None:
            return None
        return self.la_code + self.establishment_number

    @property
    def is_open(self) -> bool:
        return self.status.strip().lower() in _OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status.strip().lower() == CLOSED.lower()

    @property
    def is_alternative_provision(self) -> bool:
        return is_alternative_provision(self.type_name, self.type_group)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "name": self.name,
            "laestab": self.laestab,
            "establishment_number": self.establishment_number,
            "la": {"code": self.la_code, "name": self.la_name},
            "phase": self.phase,
            "type": self.type_name,
            "type_group": self.type_group,
            "status": self.status,
            "is_open": self.is_open,
            "is_alternative_provision": self.is_alternative_provision,
            "statutory_low_age": self.statutory_low_age,
            "statutory_high_age": self.statutory_high_age,
            "opened_on": self.opened_on.isoformat() if self.opened_on else None,
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "ukprn": self.ukprn,
            "official_sixth_form": self.official_sixth_form,
        }


# A statutory upper age of N means the school's oldest pupils are in year group N - 5
# (11 -> Year 6, 16 -> Year 11, 18 -> Year 13, 7 -> Year 2 of an infant school).
_AGE_TO_YEAR_GROUP = 5
_LAST_COMPULSORY_YEAR = 11


def top_year_group(statutory_high_age: int | None, official_sixth_form: bool | None = None) -> int | None:
    """A school's oldest year group from GIAS: its statutory upper age, capped at Year 11 when
    GIAS says it has no sixth form (an 11-18 school whose sixth form closed keeps its age range)."""
    if statutory_high_age is None or statutory_high_age <= _AGE_TO_YEAR_GROUP:
        return None
    year = statutory_high_age - _AGE_TO_YEAR_GROUP
    if official_sixth_form is False and year > _LAST_COMPULSORY_YEAR:
        return _LAST_COMPULSORY_YEAR
    return year


@dataclass(frozen=True, slots=True)
class SchoolLink:
    """One row of the GIAS links file: `link_urn` is `urn`'s `link_type` (e.g. "Successor")."""

    urn: str
    link_urn: str
    link_type: str
    link_name: str = ""
    established_on: dt.date | None = None

    @property
    def direction(self) -> Direction | None:
        return link_direction(self.link_type)

    def edge(self) -> tuple[str, str] | None:
        """(predecessor URN, successor URN) when this link says who replaced whom."""
        direction = self.direction
        if direction == "successor":
            return (self.urn, self.link_urn)
        if direction == "predecessor":
            return (self.link_urn, self.urn)
        return None


def link_direction(link_type: str) -> Direction | None:
    """GIAS link types "Successor", "Successor - amalgamated", "Successor - merged" and
    "Successor - Split School" (and the same four for "Predecessor") say who replaced whom: an
    academy conversion, an amalgamation, a merger or a split. Other types ("Sixth Form Centre
    Link", "Result of Amalgamation", "Merged - ...", "Expansion", "Closure", "Other") are kept but
    read as neither."""
    word = link_type.strip().lower().split(" - ", 1)[0]
    if word == "successor":
        return "successor"
    if word == "predecessor":
        return "predecessor"
    return None


@dataclass(frozen=True)
class EstablishmentType:
    code: str
    name: str
    group_code: str
    group: str
    alternative_provision: bool


@cache
def establishment_types() -> dict[str, EstablishmentType]:
    """The GIAS establishment types by lower-cased name, from `establishment_types.json`."""
    data = json.loads(resources.files(__package__).joinpath("establishment_types.json").read_text("utf-8"))
    groups = {g["code"]: g["name"] for g in data["groups"]}
    return {
        t["name"].lower(): EstablishmentType(
            t["code"], t["name"], t["group_code"], groups[t["group_code"]], t["alternative_provision"]
        )
        for t in data["types"]
    }


def is_alternative_provision(type_name: str, type_group: str = "") -> bool:
    """Pupil referral units and AP academies / free schools, recognised from the establishment type
    (the group alone cannot tell a PRU from other LA maintained schools); an unknown type or group
    counts as AP when its wording says so."""
    known = establishment_types().get(type_name.strip().lower())
    if known is not None:
        return known.alternative_provision
    wording = f"{type_name} {type_group}".lower()
    return "alternative provision" in wording or "pupil referral" in wording
