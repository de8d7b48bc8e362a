"""Which deletions from a school's roll are exits, and which exits are "unexplained" as the
Education Policy Institute defines them (2019; docs/domain.md, "Off-rolling and unexplained exits").

Pure: no I/O. The explained grounds and destination kinds, the leaver grounds, the usual top year
groups and the start of the end-of-year window are data, read from the alert rules' versioned
file the tracker owns (`services/tracker/exit_rules.json`, sections `exits` and `school_years`);
the alert rules' parameters take the same sections (with an LA's overrides) from here, so the LA
summary and the alert rules can never disagree about what explained means. This module is the one
owner of the definition: the LA summary (`la_summary.py`), the school statistics and the alert
rules (`services/alerts/exits.py`, through `services.tracker.reads`) all call `classify_exit`, with
the LA's overrides (`exit_rules_for`: the `exits` and `school_years` sections of the LA's rule
override file `<rules dir>/<la_code>.json`, the same file the alert rules' parameters merge).

- Not an exit: the pupil left for the school's successor (an academy conversion, a merger: a
  register link), so nobody left the school in any sense that matters here.
- Explained: a phase transition (a leaver ground, or the school's top year group at the end of the
  school year); an explained ground (a permanent exclusion, a move away, custody, death, ...); an
  explained destination kind (moved away, abroad, post-16, ...); a move into a special school.
- Unexplained: everything else: a move to another school or AP with no change of address on
  record, to home education, to an independent school, to an unknown destination.

Administrative data cannot show why a pupil left: an unexplained exit is a statistic that prompts
an enquiry, never a finding about a school or a pupil.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.schools.model import School

Outcome = Literal["not_an_exit", "explained", "unexplained"]
Reason = Literal[
    "successor_school",
    "phase_transition",
    "explained_ground",
    "explained_destination",
    "special_school",
    "none",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolYearParams(_Strict):
    """Which year groups start and end a school, when the register does not say."""

    top_year_groups: tuple[int, ...]
    entry_year_groups: tuple[int, ...]
    end_of_year_from: str = Field(pattern=r"^[0-9]{2}-[0-9]{2}$")  # "07-01": 1 July to 31 August
    leaver_grounds: tuple[str, ...]

    @field_validator("end_of_year_from")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        dt.date(2001, month, day)  # raises for 02-30 and friends
        if month < 6 or month > 8:
            raise ValueError("the end of the school year starts in June, July or August")
        return value

    def end_of_year_starts(self, academic_year_start: int) -> dt.date:
        month, day = (int(part) for part in self.end_of_year_from.split("-"))
        return dt.date(academic_year_start + 1, month, day)


class ExitParams(_Strict):
    """EPI's "explained" exits (docs/domain.md, "Off-rolling and unexplained exits")."""

    explained_grounds: tuple[str, ...]
    explained_destination_kinds: tuple[str, ...]


@lru_cache(maxsize=1)
def default_exit_document() -> dict[str, Any]:
    """`exit_rules.json` as it is stored: `version`, `note`, `school_years` and `exits`."""
    text = resources.files("services.tracker").joinpath("exit_rules.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert isinstance(document, dict)
    return document


@dataclass(frozen=True)
class ExitRules:
    """The data the classification reads, with the version of the file it came from."""

    version: str
    explained_grounds: frozenset[str]
    explained_destination_kinds: frozenset[str]
    leaver_grounds: frozenset[str]
    top_year_groups: frozenset[int]  # used when the register does not give a school's top year
    end_of_year_from: tuple[int, int]  # (month, day): from then to 31 August is the end of the year

    @classmethod
    def from_sections(cls, version: str, exits: ExitParams, school_years: SchoolYearParams) -> ExitRules:
        month, day = (int(part) for part in school_years.end_of_year_from.split("-"))
        return cls(
            version=version,
            explained_grounds=frozenset(exits.explained_grounds),
            explained_destination_kinds=frozenset(exits.explained_destination_kinds),
            leaver_grounds=frozenset(school_years.leaver_grounds),
            top_year_groups=frozenset(school_years.top_year_groups),
            end_of_year_from=(month, day),
        )

    @property
    def end_of_year_month_day(self) -> int:
        """`end_of_year_from` as month * 100 + day (701 for 1 July), the form SQL compares."""
        return self.end_of_year_from[0] * 100 + self.end_of_year_from[1]

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "explained_grounds": sorted(self.explained_grounds),
            "explained_destination_kinds": sorted(self.explained_destination_kinds),
            "leaver_grounds": sorted(self.leaver_grounds),
            "default_top_year_groups": sorted(self.top_year_groups),
            "end_of_year_from": "{:02d}-{:02d}".format(*self.end_of_year_from),
        }


def default_exit_rules() -> ExitRules:
    document = default_exit_document()
    return ExitRules.from_sections(
        str(document["version"]),
        ExitParams.model_validate(document["exits"]),
        SchoolYearParams.model_validate(document["school_years"]),
    )


def exit_rules_for(la_code: str, directories: Iterable[Path] = ()) -> ExitRules:
    """The rules for one LA: the defaults, with the `exits` and `school_years` sections of
    `<la_code>.json` from the first of `directories` that has one laid over them key by key (as
    `services/alerts/parameters.py` merges the same file). No file: the defaults."""
    for directory in directories:
        path = Path(directory) / f"{la_code}.json"
        if not path.is_file():
            continue
        override = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(override, dict):
            raise ValueError(f"{path} does not hold a JSON object")
        document = default_exit_document()
        sections = {name: {**document[name], **override.get(name, {})} for name in ("exits", "school_years")}
        return ExitRules.from_sections(
            f"{document['version']}+{la_code}:{override.get('version', 'unversioned')}",
            ExitParams.model_validate(sections["exits"]),
            SchoolYearParams.model_validate(sections["school_years"]),
        )
    return default_exit_rules()


def is_special_school(school: School) -> bool:
    """A special school of any kind (community, foundation, academy, free, non-maintained,
    independent): GIAS says so in the establishment type. A move into one is explained."""
    return "special" in school.type_name.lower()


@dataclass(frozen=True)
class Exit:
    """What the classification needs to know about one deletion."""

    ground: str
    destination_kind: str
    year_group: int
    in_end_of_year: bool  # see `in_end_of_year`
    school_top_year_group: int | None = None  # from the register, when it knows the school's ages
    to_successor_school: bool = False
    to_special_school: bool = False


@dataclass(frozen=True)
class ExitClass:
    outcome: Outcome
    reason: Reason


def classify_exit(exit_: Exit, rules: ExitRules) -> ExitClass:
    if exit_.to_successor_school:
        return ExitClass("not_an_exit", "successor_school")
    if is_phase_transition(exit_, rules):
        return ExitClass("explained", "phase_transition")
    if exit_.ground in rules.explained_grounds:
        return ExitClass("explained", "explained_ground")
    if exit_.destination_kind in rules.explained_destination_kinds:
        return ExitClass("explained", "explained_destination")
    if exit_.to_special_school:
        return ExitClass("explained", "special_school")
    return ExitClass("unexplained", "none")


def is_phase_transition(exit_: Exit, rules: ExitRules) -> bool:
    """A leaver ground, or the school's top year group deleted at the end of the school year."""
    if exit_.ground in rules.leaver_grounds:
        return True
    return exit_.in_end_of_year and exit_.year_group in top_year_groups(exit_.school_top_year_group, rules)


def top_year_groups(school_top_year_group: int | None, rules: ExitRules) -> frozenset[int]:
    """A school's top year group from the register, else the rules' usual ones."""
    return frozenset({school_top_year_group}) if school_top_year_group is not None else rules.top_year_groups


def in_end_of_year(day: dt.date, rules: ExitRules) -> bool:
    """From `end_of_year_from` (a day in June to August) to 31 August, the last day of a school
    year. The LA summary computes the same in SQL from `ExitRules.end_of_year_month_day`."""
    return rules.end_of_year_month_day <= day.month * 100 + day.day <= 831
