"""The code lists the event contract checks against, read once from the versioned JSON files beside
this module (each file carries its `version`, `source` and `notes`).

Code lists change (reason codes are revised, LA codes are reorganised), so they live in data
files, never in enums. Every accessor is cached: the files are parsed once per process and the
answers are immutable (frozensets, mappings of frozen dataclasses)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ListInfo:
    """Where a code list came from."""

    name: str
    version: str
    source: str


@dataclass(frozen=True)
class DeletionGround:
    code: str
    letter: str | None  # None for a 9(3) ground (its text is not verified yet)
    reference: str
    description: str
    paragraph: str = "9(1)"  # 9(1): compulsory school age; 9(3): not of compulsory school age
    text_verified: bool = True


@dataclass(frozen=True)
class Ground2006:
    letter: str
    letter_verified: bool
    description: str
    maps_to: frozenset[str]
    valid_from: dt.date | None = None  # inserted by an amendment from this day


@dataclass(frozen=True)
class EnrolmentStatus:
    code: str
    cbds: str  # the MIS / CTF letter
    registered: bool  # False for a guest: not on the admission register
    description: str


@dataclass(frozen=True)
class Returns2006:
    """Which deletions and admissions needed a return to the LA under the 2006 regulations."""

    every_deletion_from: dt.date
    admissions_from: dt.date
    grounds_before: frozenset[str]  # the 2024 codes of the 2006 grounds that needed one before


@dataclass(frozen=True)
class ExclusionReason:
    code: str
    description: str
    # Academic years by their starting calendar year (2020 = 2020/21); None = open-ended.
    first_year: int | None
    last_year: int | None

    def valid_in(self, academic_year: int) -> bool:
        return (self.first_year is None or academic_year >= self.first_year) and (
            self.last_year is None or academic_year <= self.last_year
        )


@dataclass(frozen=True)
class ApArrangement:
    code: str
    description: str
    register_code: str
    review_interval_days: int | None


@dataclass(frozen=True)
class DestinationKind:
    code: str
    description: str
    laestab_allowed: bool
    state_school: bool


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    country: str
    live: bool
    closed_on: dt.date | None


@cache
def _document(filename: str) -> Mapping[str, Any]:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    for key in ("name", "version", "source"):
        if not isinstance(loaded.get(key), str):
            raise ValueError(f"code list {filename} has no {key!r}")
    return loaded


FILES = (
    "deletion_grounds.json",
    "exclusion_reasons.json",
    "alternative_provision.json",
    "destination_kinds.json",
    "la_codes.json",
    "enrolment_statuses.json",
)


def info(filename: str) -> ListInfo:
    doc = _document(filename)
    return ListInfo(doc["name"], doc["version"], doc["source"])


def parse_academic_year(text: str | None) -> int | None:
    """'2020/21' -> 2020."""
    if text is None:
        return None
    start, _, end = text.partition("/")
    year = int(start)
    if len(start) != 4 or int(end) != (year + 1) % 100:
        raise ValueError(f"not an academic year: {text!r}")
    return year


@cache
def deletion_grounds() -> Mapping[str, DeletionGround]:
    doc = _document("deletion_grounds.json")
    return MappingProxyType(
        {
            g["code"]: DeletionGround(
                g["code"],
                g["letter"],
                g["reference"],
                g["description"],
                g["paragraph"],
                bool(g.get("text_verified", True)),
            )
            for g in doc["grounds"]
        }
    )


@cache
def non_compulsory_age_grounds() -> frozenset[str]:
    """The reg 9(3)-only grounds: for pupils not of compulsory school age."""
    return frozenset(code for code, ground in deletion_grounds().items() if ground.paragraph == "9(3)")


@cache
def regulation_2024_in_force() -> dt.date:
    return dt.date.fromisoformat(_document("deletion_grounds.json")["in_force"])


@cache
def regulation_2006_grounds() -> tuple[Ground2006, ...]:
    section = _document("deletion_grounds.json")["regulation_2006"]
    return tuple(
        Ground2006(
            g["letter"],
            bool(g["letter_verified"]),
            g["description"],
            frozenset(g["maps_to"]),
            dt.date.fromisoformat(g["valid_from"]) if g.get("valid_from") else None,
        )
        for g in section["grounds"]
    )


@cache
def grounds_expressible_under_2006() -> frozenset[str]:
    """The 2024 codes that some 2006 ground maps to."""
    return frozenset(code for ground in regulation_2006_grounds() for code in ground.maps_to)


def ground_in_force_under_2006(code: str, on: dt.date) -> bool:
    """Some 2006 ground mapping to `code` was in force on `on` (ground (o) only from 2011)."""
    return any(
        code in g.maps_to and (g.valid_from is None or g.valid_from <= on) for g in regulation_2006_grounds()
    )


@cache
def returns_2006() -> Returns2006:
    section = _document("deletion_grounds.json")["regulation_2006"]["returns"]
    letters = frozenset(section["letters_before"])
    return Returns2006(
        dt.date.fromisoformat(section["every_deletion_from"]),
        dt.date.fromisoformat(section["admissions_from"]),
        frozenset(code for g in regulation_2006_grounds() if g.letter in letters for code in g.maps_to),
    )


def deletion_return_required(ground: str, on: dt.date) -> bool:
    """Did a deletion on `ground` taking effect on `on` need a return to the LA? Always from
    1 September 2016 (2006 reg 12(6) as substituted, then 2024 reg 13(4)); before, only for the
    2006 grounds (d), (e), (g), (i), (m) (2006 reg 12(3) as made)."""
    rules = returns_2006()
    return on >= rules.every_deletion_from or ground in rules.grounds_before


def admission_return_required(on: dt.date) -> bool:
    """New pupil returns exist from 1 September 2016 (2006 reg 12(3) as substituted, then 2024
    reg 13(1))."""
    return on >= returns_2006().admissions_from


@cache
def enrolment_statuses() -> Mapping[str, EnrolmentStatus]:
    doc = _document("enrolment_statuses.json")
    return MappingProxyType(
        {
            s["code"]: EnrolmentStatus(s["code"], s["cbds"], bool(s["registered"]), s["description"])
            for s in doc["statuses"]
        }
    )


def enrolment_status_for(value: str) -> str | None:
    """The contract's enrolment status for an MIS value: the code itself or its CBDS letter
    (either case); None when it is neither."""
    wanted = value.strip()
    for status in enrolment_statuses().values():
        if wanted.lower() == status.code or wanted.upper() == status.cbds:
            return status.code
    return None


@cache
def exclusion_reasons() -> Mapping[str, ExclusionReason]:
    doc = _document("exclusion_reasons.json")
    return MappingProxyType(
        {
            r["code"]: ExclusionReason(
                r["code"],
                r["description"],
                parse_academic_year(r["valid_from"]),
                parse_academic_year(r["valid_to"]),
            )
            for r in doc["reasons"]
        }
    )


@cache
def exclusion_reasons_in(academic_year: int) -> frozenset[str]:
    """The reason codes a school could use in the academic year starting in `academic_year`."""
    return frozenset(code for code, reason in exclusion_reasons().items() if reason.valid_in(academic_year))


@cache
def ap_arrangements() -> Mapping[str, ApArrangement]:
    doc = _document("alternative_provision.json")
    return MappingProxyType(
        {
            a["code"]: ApArrangement(
                a["code"], a["description"], a["register_code"], a["review_interval_days"]
            )
            for a in doc["arrangements"]
        }
    )


@cache
def ap_tiers() -> Mapping[str, str]:
    doc = _document("alternative_provision.json")
    return MappingProxyType({t["code"]: t["description"] for t in doc["tiers"]})


@cache
def destination_kinds() -> Mapping[str, DestinationKind]:
    doc = _document("destination_kinds.json")
    return MappingProxyType(
        {
            k["code"]: DestinationKind(
                k["code"], k["description"], bool(k["laestab"]), bool(k["state_school"])
            )
            for k in doc["kinds"]
        }
    )


@cache
def local_authorities() -> Mapping[str, LocalAuthority]:
    """Every known three-digit LA code: England (live and closed), Wales, and BFPO."""
    doc = _document("la_codes.json")
    return MappingProxyType(
        {
            la["code"]: LocalAuthority(
                la["code"],
                la["name"],
                la["country"],
                la["status"] == "live",
                dt.date.fromisoformat(la["closed_on"]) if la.get("closed_on") else None,
            )
            for la in doc["codes"]
        }
    )


@cache
def la_codes() -> frozenset[str]:
    return frozenset(local_authorities())


@cache
def english_la_codes() -> frozenset[str]:
    """The LAs in England today: where alerts are routed."""
    return frozenset(code for code, la in local_authorities().items() if la.country == "england" and la.live)
