"""Schools and pupils: who is on roll where when the simulation starts.

Figures follow docs/domain.md ("Scale of England"): of about 21,600 state-funded schools, 78% are
primary (roll about 280), 16% secondary (about 1,000), 4.6% special (about 120) and 1.6% pupil
referral units or AP academies (about 60). England in full is about 8.3 million pupils in 153
LAs; one LA here defaults to 300 schools, about 115,000 pupils. New pupils come from pupils.py.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Final, Literal

from schemas.codelists import local_authorities

Phase = Literal["primary", "secondary", "special", "ap"]

# Share of state-funded schools by phase, and mean / spread / floor of their rolls.
PHASE_SHARE: Final[dict[Phase, float]] = {"primary": 0.778, "secondary": 0.160, "special": 0.046, "ap": 0.016}
ROLL: Final[dict[Phase, tuple[int, int, int]]] = {
    "primary": (280, 90, 60),
    "secondary": (1000, 250, 400),
    "special": (120, 40, 40),
    "ap": (60, 20, 20),
}
ENGLAND_SCHOOLS: Final = 21_600
DEFAULT_LA_SCHOOLS: Final = 300
SIXTH_FORM_SHARE: Final = 0.6

# GIAS wording: (TypeOfEstablishment, EstablishmentTypeGroup, weight) by phase.
_TYPES: Final[dict[Phase, tuple[tuple[str, str, float], ...]]] = {
    "primary": (
        ("Community school", "Local authority maintained schools", 0.35),
        ("Voluntary aided school", "Local authority maintained schools", 0.10),
        ("Voluntary controlled school", "Local authority maintained schools", 0.08),
        ("Foundation school", "Local authority maintained schools", 0.02),
        ("Academy converter", "Academies", 0.35),
        ("Academy sponsor led", "Academies", 0.08),
        ("Free schools", "Free Schools", 0.02),
    ),
    "secondary": (
        ("Academy converter", "Academies", 0.55),
        ("Academy sponsor led", "Academies", 0.20),
        ("Community school", "Local authority maintained schools", 0.10),
        ("Foundation school", "Local authority maintained schools", 0.05),
        ("Voluntary aided school", "Local authority maintained schools", 0.05),
        ("Free schools", "Free Schools", 0.05),
    ),
    "special": (
        ("Community special school", "Special schools", 0.50),
        ("Academy special converter", "Special schools", 0.25),
        ("Academy special sponsor led", "Special schools", 0.15),
        ("Free schools special", "Special schools", 0.10),
    ),
    "ap": (
        ("Pupil referral unit", "Local authority maintained schools", 0.50),
        ("Academy alternative provision converter", "Academies", 0.25),
        ("Free schools alternative provision", "Free Schools", 0.25),
    ),
}
_PHASE_NAME: Final[dict[Phase, str]] = {
    "primary": "Primary",
    "secondary": "Secondary",
    "special": "Not applicable",
    "ap": "Not applicable",
}
_PLACE_START = (
    "Ash", "Oak", "Elm", "Holly", "Beech", "Willow", "Hazel", "Thorn", "Bram", "Kings", "Queens",
    "Church", "Mill", "Brook", "Marsh", "North", "South", "East", "West", "High", "Long", "Fair",
    "Green", "Stone", "Wood", "Red", "White", "Cherry", "Fern", "Lark",
)  # fmt: skip
_PLACE_END = (
    "field", "wood", "bridge", "ford", "ham", "ley", "stone", "brook", "hill", "dale", "mead",
    "gate", "well", "worth", "hurst", "combe", "ton", "by",
)  # fmt: skip
_NAME_PATTERNS: Final[dict[Phase, tuple[str, ...]]] = {
    "primary": (
        "{place} Primary School",
        "{place} Community Primary School",
        "{place} Church of England Primary School",
        "St Mary\u2019s Catholic Primary School, {place}",
        "{place} Infant and Junior School",
    ),
    "secondary": ("{place} Academy", "{place} School", "{place} Community College", "{place} Grammar School"),
    "special": ("{place} Special School", "{place} School for Communication and Interaction"),
    "ap": ("{place} Pupil Referral Unit", "{place} Learning Centre"),
}
# First establishment number per phase (DfE convention: 2xxx primary, 4xxx secondary, 7xxx
# special, 11xx pupil referral units).
_ESTAB_BASE: Final[dict[Phase, int]] = {"primary": 2001, "secondary": 4001, "special": 7001, "ap": 1101}


@dataclass(eq=False, slots=True)
class School:
    urn: str
    la_code: str
    estab: str  # 4 digits
    name: str
    phase: Phase
    type_name: str
    type_group: str
    open_date: dt.date
    ukprn: str
    min_year: int
    max_year: int
    # Pupils per year group when full (the intake each September).
    year_size: dict[int, int] = field(default_factory=dict)
    # Mutable while simulating.
    roll: list[Pupil] = field(default_factory=list)
    # Pupils dual registered here as their subsidiary registration (pupil referral units).
    duals: list[Pupil] = field(default_factory=list)
    offrolling: bool = False

    @property
    def laestab(self) -> str:
        return self.la_code + self.estab

    @property
    def phase_name(self) -> str:
        return _PHASE_NAME[self.phase]

    @property
    def low_age(self) -> int:
        return self.min_year + 4

    @property
    def high_age(self) -> int:
        return self.max_year + 5

    @property
    def capacity(self) -> int:
        return sum(self.year_size.values())

    def teaches(self, year_group: int) -> bool:
        return self.min_year <= year_group <= self.max_year

    def add(self, pupil: Pupil) -> None:
        pupil.school = self
        pupil.roll_index = len(self.roll)
        self.roll.append(pupil)

    def remove(self, pupil: Pupil) -> None:
        index = pupil.roll_index
        last = self.roll.pop()
        if last is not pupil:
            self.roll[index] = last
            last.roll_index = index
        pupil.school = None
        pupil.roll_index = -1


@dataclass(eq=False, slots=True)
class Pupil:
    upn: str
    date_of_birth: dt.date
    year_group: int
    sen: str  # E / K / N
    fsm: bool
    looked_after: bool
    child_in_need: bool
    # Propensity to be suspended: most pupils 0; a few carry nearly all suspensions.
    behaviour_risk: float = 0.0
    school: School | None = None
    roll_index: int = -1
    status: str = "single"
    dual_school: School | None = None
    # The school of the last enrolment that high_mobility counts, and the LAESTAB of the last
    # school left (for the next enrolment's previous_school).
    last_counted_urn: str | None = None
    previous_laestab: str | None = None
    had_ap: bool = False
    # Dates of the pupil's changes of school (enrolments that high_mobility counts).
    change_dates: list[dt.date] = field(default_factory=list)
    # The last day the pupil was suspended or excluded from (any school), for the background's
    # avoidance of exclusion_then_exit.
    last_exclusion: dt.date | None = None
    exclusion_school: str | None = None
    # Sessions of suspension by academic year (start year).
    sessions_by_year: dict[int, int] = field(default_factory=dict)
    # No background process touches the pupil before this day (a process or an injection runs).
    busy_until: dt.date = dt.date.min
    # Events of this pupil (records.SimEvent), in the order generated.
    history: list[object] = field(default_factory=list)
    gone: bool = False  # left the simulation (home education, abroad, post-16, vanished, ...)
    handed_to: str | None = None  # LA code the pupil moved on to (England runs)

    @property
    def send(self) -> bool:
        return self.sen != "N"


@dataclass(frozen=True, slots=True)
class LocalAuthority:
    code: str
    name: str


def english_las() -> list[LocalAuthority]:
    return [
        LocalAuthority(code, la.name)
        for code, la in sorted(local_authorities().items())
        if la.country == "england" and la.live
    ]


def la_by_code(code: str) -> LocalAuthority:
    la = local_authorities().get(code)
    if la is None or la.country != "england" or not la.live:
        raise ValueError(f"{code!r} is not the code of a live English local authority (schemas/codelists)")
    return LocalAuthority(code, la.name)


# --- schools -------------------------------------------------------------------------------------


def _rounded_counts(total: int, rng: random.Random) -> dict[Phase, int]:
    """Schools per phase adding up to exactly `total` (largest remainders, ties at random)."""
    exact = {phase: total * share for phase, share in PHASE_SHARE.items()}
    counts: dict[Phase, int] = {phase: int(value) for phase, value in exact.items()}
    order = sorted(exact, key=lambda phase: (int(exact[phase]) - exact[phase], rng.random()))
    for phase in order[: total - sum(counts.values())]:
        counts[phase] += 1
    return counts


class UrnAllocator:
    """Unique 6-digit URNs and 8-digit UKPRNs, increasing with small random gaps."""

    def __init__(self, rng: random.Random) -> None:
        self._urn = 100_000 + rng.randrange(1000)
        self._ukprn = 10_000_000 + rng.randrange(10_000)
        self._rng = rng

    def next(self) -> tuple[str, str]:
        self._urn += 1 + self._rng.randrange(3)
        self._ukprn += 1 + self._rng.randrange(40)
        if self._urn > 999_999 or self._ukprn > 19_999_999:
            raise ValueError("too many schools for 6-digit URNs")
        return f"{self._urn:06d}", f"{self._ukprn:08d}"


def build_schools(
    la: LocalAuthority, count: int, rng: random.Random, ids: UrnAllocator, *, at_least_one_secondary: bool
) -> list[School]:
    """`count` schools of one LA, by phase, with their full-roll sizes per year group."""
    counts = _rounded_counts(count, rng)
    if at_least_one_secondary and count >= 2 and counts["secondary"] == 0:
        counts["secondary"] = 1
        counts["primary"] = max(0, counts["primary"] - 1)
    schools: list[School] = []
    for phase, number in counts.items():
        for index in range(number):
            schools.append(_school(la, phase, _ESTAB_BASE[phase] + index, rng, ids))
    return schools


def _school(la: LocalAuthority, phase: Phase, estab: int, rng: random.Random, ids: UrnAllocator) -> School:
    types = _TYPES[phase]
    type_name, type_group, _ = rng.choices(types, weights=[t[2] for t in types])[0]
    urn, ukprn = ids.next()
    place = rng.choice(_PLACE_START) + rng.choice(_PLACE_END)
    name = rng.choice(_NAME_PATTERNS[phase]).format(place=place)
    academy = type_group in ("Academies", "Free Schools") or type_name.startswith("Academy")
    opened = (
        dt.date(2011 + rng.randrange(12), 9, 1)
        if academy
        else dt.date(1950 + rng.randrange(60), 1 + rng.randrange(12), 1)
    )
    mean, spread, floor = ROLL[phase]
    roll = max(floor, round(rng.gauss(mean, spread)))
    if phase == "primary":
        low, high = 0, 6
        sizes = {year: roll // 7 for year in range(low, high + 1)}
    elif phase == "secondary":
        low = 7
        sixth = rng.random() < SIXTH_FORM_SHARE
        high = 13 if sixth else 11
        main = round(roll / (5 + (1.0 if sixth else 0.0)))
        sizes = {year: main for year in range(7, 12)}
        if sixth:
            sizes |= {12: main // 2, 13: main // 2}
    elif phase == "special":
        low, high = 0, 13
        sizes = {year: max(2, roll // 14) for year in range(low, high + 1)}
    else:
        low, high = 5, 11
        # Pupil referral units hold mostly Key Stage 4 pupils.
        weights = {5: 0.03, 6: 0.05, 7: 0.08, 8: 0.12, 9: 0.18, 10: 0.24, 11: 0.30}
        sizes = {year: max(1, round(roll * w)) for year, w in weights.items()}
    return School(
        urn=urn,
        la_code=la.code,
        estab=f"{estab:04d}",
        name=name,
        phase=phase,
        type_name=type_name,
        type_group=type_group,
        open_date=opened,
        ukprn=ukprn,
        min_year=low,
        max_year=high,
        year_size=sizes,
    )


def la_school_counts(total: int, las: list[LocalAuthority], rng: random.Random) -> dict[str, int]:
    """Spread `total` schools over the LAs with uneven (log-normal) sizes, each LA at least one."""
    weights = [rng.lognormvariate(0.0, 0.6) for _ in las]
    scale = max(total - len(las), 0) / sum(weights)
    counts = {la.code: 1 + int(w * scale) for la, w in zip(las, weights, strict=True)}
    short = total - sum(counts.values())
    order = sorted(range(len(las)), key=lambda i: -weights[i])
    for i in range(max(short, 0)):
        counts[las[order[i % len(las)]].code] += 1
    return counts
