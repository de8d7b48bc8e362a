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
    letter: str
    reference: str
    description: str


@dataclass(frozen=True)
class Ground2006:
    letter: str
    letter_verified: bool
    description: str
    maps_to: frozenset[str]


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
            g["code"]: DeletionGround(g["code"], g["letter"], g["reference"], g["description"])
            for g in doc["grounds"]
        }
    )


@cache
def regulation_2024_in_force() -> dt.date:
    return dt.date.fromisoformat(_document("deletion_grounds.json")["in_force"])


@cache
def regulation_2006_grounds() -> tuple[Ground2006, ...]:
    section = _document("deletion_grounds.json")["regulation_2006"]
    return tuple(
        Ground2006(g["letter"], bool(g["letter_verified"]), g["description"], frozenset(g["maps_to"]))
        for g in section["grounds"]
    )


@cache
def grounds_expressible_under_2006() -> frozenset[str]:
    """The 2024 codes that some 2006 ground maps to."""
    return frozenset(code for ground in regulation_2006_grounds() for code in ground.maps_to)


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
