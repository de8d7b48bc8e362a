"""New pupils: a valid UPN (check letter) from the issuing school, a date of birth that fits the
year group, SEN provision (about 5% EHC plan `E`, 14% SEN support `K`), FSM, looked-after (about
0.7%) and child-in-need (about 3%) flags, and a propensity to be suspended."""

from __future__ import annotations

import datetime as dt
import random
from typing import Final

from schemas.identifiers import upn_check_letter
from tools.simulate.population import Phase, Pupil

# Per phase: (EHC plan, SEN support, FSM, looked after, child in need). Special schools hold
# most EHC plans, so mainstream rates sit below the national 5.3% / 14.2%.
PUPIL_RATES: Final[dict[Phase, tuple[float, float, float, float, float]]] = {
    "primary": (0.037, 0.143, 0.24, 0.005, 0.025),
    "secondary": (0.037, 0.143, 0.23, 0.006, 0.028),
    "special": (0.95, 0.04, 0.42, 0.03, 0.09),
    "ap": (0.20, 0.50, 0.55, 0.06, 0.20),
}


class UpnAllocator:
    """Permanent UPNs: issuing school's LAESTAB, 2-digit year of allocation, 3-digit serial."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, int], int] = {}

    def issue(self, laestab: str, year: int, rng: random.Random) -> str:
        key = (laestab, year % 100)
        serial = self._next.get(key, 1)
        if serial > 999:  # the issuer ran out: borrow a neighbouring establishment number
            bumped = f"{laestab[:3]}{(int(laestab[3:]) + 1 + rng.randrange(8000)) % 10000:04d}"
            return self.issue(bumped, year, rng)
        self._next[key] = serial + 1
        body = f"{laestab}{year % 100:02d}{serial:03d}"
        return upn_check_letter(body) + body


def birth_date_for(year_group: int, academic_start: int, rng: random.Random) -> dt.date:
    """A date of birth for a pupil in `year_group` in the academic year starting `academic_start`:
    aged year_group + 4 on 31 August before it."""
    first = dt.date(academic_start - year_group - 5, 9, 1)
    return first + dt.timedelta(days=rng.randrange(365))


def reception_year(date_of_birth: dt.date) -> int:
    """The academic year (start) in which a child born on this day enters reception."""
    return date_of_birth.year + 4 if date_of_birth.month < 9 else date_of_birth.year + 5


def new_pupil(
    phase: Phase,
    year_group: int,
    academic_start: int,
    issuer_laestab: str,
    rng: random.Random,
    upns: UpnAllocator,
    issued_in: int | None = None,
) -> Pupil:
    ehc, support, fsm, lac, cin = PUPIL_RATES[phase]
    dob = birth_date_for(year_group, academic_start, rng)
    draw = rng.random()
    sen = "E" if draw < ehc else "K" if draw < ehc + support else "N"
    looked_after = rng.random() < lac
    child_in_need = looked_after or rng.random() < cin
    risk = _behaviour_risk(phase, sen, looked_after or child_in_need, rng)
    issued = issued_in if issued_in is not None else reception_year(dob)
    return Pupil(
        upn=upns.issue(issuer_laestab, issued, rng),
        date_of_birth=dob,
        year_group=year_group,
        sen=sen,
        fsm=rng.random() < fsm,
        looked_after=looked_after,
        child_in_need=child_in_need,
        behaviour_risk=risk,
    )


def _behaviour_risk(phase: Phase, sen: str, social_care: bool, rng: random.Random) -> float:
    """Suspensions concentrate: about 4% of pupils carry a non-zero risk, more with SEN support
    or social care involvement; the timeline scales it to the phase's rate."""
    chance = 0.04 * (1.8 if sen == "K" else 1.3 if sen == "E" else 1.0) * (2.0 if social_care else 1.0)
    if phase == "ap":
        chance = 0.5
    if rng.random() >= chance:
        return 0.0
    return rng.expovariate(1.0)
