"""The benchmarks' workload: a schools register and valid pupil events, made fast and
deterministically by seed.

About 1,000 open schools (a synthetic Get Information About Schools extract, primary and secondary
in the usual proportions, sizes uneven as real rolls are) and pupils with some ten events each over
eight academic years: an enrolment, then suspensions, moves between schools (a deletion and the
enrolment that follows), alternative provision placements, the odd permanent exclusion, deletion
to home education or an unknown destination, a retraction now and then, and a temporary UPN
replaced by a permanent one for one pupil in a hundred.

Events come out as their canonical bytes (compact JSON, keys sorted, nulls dropped: what
`schemas.canonical_bytes` makes of them), so they can be produced, posted or written to a ledger
without paying for validation here; the unit tests check that validation gives back the very same
bytes."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from schemas.dates import academic_year
from schemas.identifiers import CHECK_LETTERS, upn_check_letter
from tools.gias_fixture import GiasExtract, synthetic_extract

# Eight academic years of history, all in the past; the movements report reads the last full one.
WINDOW_START = dt.date(2018, 9, 3)
WINDOW_END = dt.date(2026, 7, 17)
REPORT_YEAR = (dt.date(2024, 9, 1), dt.date(2025, 8, 31))
REGULATION_2024 = dt.date(2024, 8, 19)

# Codes valid in every academic year of the window (schemas/codelists/exclusion_reasons.json).
_REASONS = ("PP", "PA", "VP", "VA", "BU", "DA", "DM", "TH", "SM", "RA")
_PRIMARY_PHASES = frozenset({"Primary", "Middle deemed primary", "Nursery", "All-through"})
_OBJECTIVES = (
    "Reintegrate into mainstream lessons full time by the end of term.",
    "Stabilise attendance and re-engage with the curriculum.",
    "Prepare for a transition to a new school.",
)
_ARRANGEMENTS = ("directed_off_site", "la_arranged", "dual_registration")
_TIERS = ("targeted", "time_limited", "transitional")
_UNEXPLAINED = (
    ("home_education", "home_education"),
    ("moved_away", "moved_away"),
    ("absent_20_days", "unknown"),
)
_SORT = orjson.OPT_SORT_KEYS
# Days are numbered from WINDOW_START; their ISO text and academic year are looked up, not computed.
_SPAN = (WINDOW_END - WINDOW_START).days
_ISO = [(WINDOW_START + dt.timedelta(days=n)).isoformat() for n in range(_SPAN + 400)]
_YEAR = [academic_year(WINDOW_START + dt.timedelta(days=n)) for n in range(_SPAN + 400)]
_REGULATION_2024 = (REGULATION_2024 - WINDOW_START).days


@dataclass(frozen=True)
class BenchSchool:
    urn: str
    laestab: str
    primary: bool  # takes pupils in reception to Year 6 (else Years 7 to 13)
    weight: float  # relative roll size


@dataclass(frozen=True)
class Schools:
    extract: GiasExtract
    open: tuple[BenchSchool, ...]

    def write(self, directory: Path) -> tuple[Path, Path]:
        """The GIAS files (establishments, links) for `rollwatch schools import`."""
        return self.extract.write(directory)

    @property
    def urns(self) -> list[str]:
        return [school.urn for school in self.open]


def bench_schools(count: int = 1000, seed: int = 1) -> Schools:
    """A synthetic register with at least `count` open schools that take pupils, and those."""
    rows = int(count * 1.45) + 20
    while True:
        extract = synthetic_extract(rows, seed)
        usable = [
            s
            for s in extract.schools
            if s.is_open and s.laestab is not None and not s.is_alternative_provision
        ]
        if len(usable) >= count:
            break
        rows = int(rows * 1.2)
    rng = random.Random(seed)
    chosen = tuple(
        BenchSchool(
            urn=s.urn,
            laestab=s.laestab or "",
            primary=s.phase in _PRIMARY_PHASES,
            # Rolls are uneven: a few large schools, many small ones.
            weight=rng.lognormvariate(0, 0.6) * (1.0 if s.phase in _PRIMARY_PHASES else 3.0),
        )
        for s in usable[:count]
    )
    return Schools(extract, chosen)


def upn_for(index: int) -> str:
    """A distinct permanent UPN for each pupil index (check letter: docs/domain.md, "Identifiers")."""
    la = 801 + index // 10_000_000
    body = f"{la:03d}{(index // 1000) % 10_000:04d}{18 + (index // 10_000_000) % 10:02d}{index % 1000:03d}"
    return upn_check_letter(body) + body


def temporary_upn_for(index: int) -> str:
    """A distinct temporary UPN (ends in a letter) for each pupil index."""
    body = f"{index % 100_000_000_000:011d}{CHECK_LETTERS[index % 23]}"
    return upn_check_letter(body) + body


class _Picker:
    """Weighted choice of a school of one phase, O(log n)."""

    def __init__(self, schools: list[BenchSchool]) -> None:
        self.schools = schools
        self.cumulative = list(itertools.accumulate(s.weight for s in schools))

    def pick(self, rng: random.Random, avoid: BenchSchool | None = None) -> BenchSchool:
        total = self.cumulative[-1]
        last = len(self.schools) - 1
        for _ in range(4):
            school = self.schools[min(bisect.bisect(self.cumulative, rng.random() * total), last)]
            if school is not avoid:
                return school
        return school


class Workload:
    """Every pupil's events, a function of (seed, pupil index) alone: any process can make the
    same events, or just a pupil's UPN, without the others."""

    def __init__(self, schools: Schools, seed: int = 1) -> None:
        self.seed = seed
        primary = [s for s in schools.open if s.primary]
        secondary = [s for s in schools.open if not s.primary]
        self._primary = _Picker(primary or list(schools.open))
        self._secondary = _Picker(secondary or list(schools.open))
        self.schools = schools

    def upn(self, pupil: int) -> str:
        return upn_for(pupil)

    def events(self, count: int, first_pupil: int = 0) -> Iterator[tuple[bytes, bytes]]:
        """(key, canonical event) pairs, pupil after pupil, until `count` events; the key is the
        UPN, as the product keys `pupil-events`."""
        made = 0
        for pupil in itertools.count(first_pupil):
            for upn, event in self.pupil_events(pupil):
                if made == count:
                    return
                yield upn.encode(), event
                made += 1

    def pupils_for(self, count: int, first_pupil: int = 0) -> int:
        """How many pupils `events(count)` covers."""
        made = 0
        for pupil in itertools.count(first_pupil):
            made += len(self.pupil_events(pupil))
            if made >= count:
                return pupil - first_pupil + 1
        raise AssertionError("unreachable")

    def pupil_events(self, pupil: int) -> list[tuple[str, bytes]]:
        """One pupil's events in the order they happened: (UPN the event is filed under, bytes)."""
        rng = random.Random(self.seed * 1_000_003 + pupil)
        rand = rng.random
        upn = upn_for(pupil)
        # A pupil joins at some point of the window, in reception to Year 11. Days are numbers
        # from WINDOW_START (see _ISO, _YEAR).
        start = int(rand() * (_SPAN - 30))
        entry_year = int(rand() * 12)
        first_year = _YEAR[start]
        born = dt.date(first_year - entry_year - 5, 9, 1) + dt.timedelta(days=int(rand() * 365))
        sen = "N" if (r := rand()) < 0.83 else ("K" if r < 0.96 else "E")
        pupil_part: dict[str, Any] = {"date_of_birth": born.isoformat(), "sen_provision": sen}
        if rand() < 0.25:
            pupil_part["fsm_eligible"] = True
        wanted = 6 + int(rand() * 13)
        temporary = temporary_upn_for(pupil) if rand() < 0.01 else None

        out: list[tuple[str, bytes]] = []
        day = start
        school = self._school(rng, entry_year, None)
        current_upn = temporary or upn
        last_id: str | None = None
        getrandbits = rng.getrandbits

        def emit(kind: str, on: int, at: BenchSchool, data: dict[str, Any], **extra: Any) -> str | None:
            nonlocal last_id
            if on > _SPAN:
                return None
            h = f"{getrandbits(128):032x}"
            event_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            minute = 540 + int(rand() * 480)
            iso = _ISO[on]
            event = {
                "event_id": event_id,
                "type": kind,
                "schema_version": 1,
                "upn": current_upn,
                "school_urn": at.urn,
                "occurred_on": iso,
                "recorded_at": f"{iso}T{minute // 60:02d}:{minute % 60:02d}:00Z",
                "pupil": {**pupil_part, "year_group": entry_year + _YEAR[on] - first_year},
                "data": data,
                **extra,
            }
            out.append((current_upn, orjson.dumps(event, option=_SORT)))
            last_id = event_id
            return event_id

        def days(low: int, high: int) -> int:
            return low + int(rand() * (high - low + 1))

        enrolled: dict[str, Any] = {"enrolment_status": "single", "managed_move": False}
        if rand() < 0.5:
            enrolled["previous_school"] = self._school(rng, entry_year, school).laestab
        enrolled["la_notified_on"] = _ISO[start + days(0, 6)]
        emit("pupil.enrolled", start, school, enrolled)

        while len(out) < wanted:
            day += days(10, 200)
            if day > _SPAN:
                break
            year_group = entry_year + _YEAR[day] - first_year
            if year_group > 13:
                break
            roll = rand()
            if roll < 0.45:
                reasons = rng.sample(_REASONS, (1, 1, 1, 2, 3)[int(rand() * 5)])
                emit(
                    "pupil.suspended",
                    day,
                    school,
                    {"start_on": _ISO[day], "sessions": days(1, 10), "reasons": reasons},
                )
            elif roll < 0.70 or (temporary is not None and current_upn == temporary):
                # A move: deleted here, enrolled at the next school a few days later.
                following = self._school(rng, year_group, school)
                emit("pupil.deleted", day, school, self._deletion(day, "other_school", "school", following))
                joined = day + days(1, 20)
                data = {
                    "enrolment_status": "single",
                    "previous_school": school.laestab,
                    "la_notified_on": _ISO[joined + days(0, 8)],
                    "managed_move": rand() < 0.05,
                }
                extra = {}
                if temporary is not None and current_upn == temporary:
                    current_upn = upn  # the permanent UPN replaces the temporary one
                    extra["former_upn"] = temporary
                school = following
                day = joined
                emit("pupil.enrolled", joined, school, data, **extra)
            elif roll < 0.82:
                referred = emit("pupil.ap_referred", day, school, self._referral(rng, day))
                ended = day + days(20, 120)
                if referred is not None:
                    outcome = ("returned", "returned", "returned", "other")[int(rand() * 4)]
                    day = ended
                    emit(
                        "pupil.ap_ended",
                        ended,
                        school,
                        {"referral_event_id": referred, "ended_on": _ISO[ended], "outcome": outcome},
                    )
            elif roll < 0.90:
                # Off roll without a known next school: home education, moved away or missing.
                ground, kind = _UNEXPLAINED[int(rand() * len(_UNEXPLAINED))]
                emit("pupil.deleted", day, school, self._deletion(day, ground, kind, None))
                if rand() < 0.3:
                    break
                day += days(10, 90)
                if day > _SPAN or entry_year + _YEAR[day] - first_year > 13:
                    break
                school = self._school(rng, entry_year + _YEAR[day] - first_year, school)
                emit(
                    "pupil.enrolled",
                    day,
                    school,
                    {
                        "enrolment_status": "single",
                        "managed_move": False,
                        "la_notified_on": _ISO[day + days(0, 8)],
                    },
                )
            elif roll < 0.92:
                emit(
                    "pupil.permanently_excluded",
                    day,
                    school,
                    {
                        "reasons": [_REASONS[int(rand() * len(_REASONS))]],
                        "review": "pending" if rand() < 0.5 else "reinstated",
                    },
                )
            elif roll < 0.93 and last_id is not None:
                emit(
                    "event.retracted",
                    day,
                    school,
                    {"retracts": last_id, "reason": "Sent in error; the school's record was corrected."},
                )
            else:
                emit(
                    "pupil.suspended",
                    day,
                    school,
                    {"start_on": _ISO[day], "sessions": days(1, 4), "reasons": ["PP"]},
                )
        return out

    def _school(self, rng: random.Random, year_group: int, avoid: BenchSchool | None) -> BenchSchool:
        picker = self._primary if year_group <= 6 else self._secondary
        return picker.pick(rng, avoid)

    @staticmethod
    def _deletion(day: int, ground: str, kind: str, to: BenchSchool | None) -> dict[str, Any]:
        destination: dict[str, Any] = {"kind": kind}
        data: dict[str, Any] = {
            "ground": ground,
            "regulation": "2024" if day >= _REGULATION_2024 else "2006",
            "destination": destination,
            "la_notified_on": _ISO[day],
        }
        if to is not None:
            destination["laestab"] = to.laestab
            data["ctf_destination"] = to.laestab
        elif kind == "unknown":
            data["ctf_destination"] = "XXXXXXX"
        return data

    def _referral(self, rng: random.Random, day: int) -> dict[str, Any]:
        provider = self._secondary.pick(rng)
        rand = rng.random
        return {
            "provider": {"urn": provider.urn},
            "arrangement": _ARRANGEMENTS[int(rand() * 3)],
            "tier": _TIERS[int(rand() * 3)],
            "start_on": _ISO[day],
            "review_by": _ISO[day + 14 + int(rand() * 17)],
            "planned_end_on": _ISO[day + 40 + int(rand() * 81)],
            "objective": _OBJECTIVES[int(rand() * len(_OBJECTIVES))],
        }
