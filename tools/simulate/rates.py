"""The background's rates (per pupil per school year, by phase) and the random counts drawn from
them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

from tools.simulate.population import Phase


@dataclass(frozen=True)
class BackgroundRates:
    """Per pupil per school year, by phase (primary, secondary, special, ap)."""

    house_move: tuple[float, float, float, float] = (0.020, 0.015, 0.005, 0.0)
    # Of house moves inside the LA: the old school does not know the new school yet.
    destination_unknown_share: float = 0.15
    move_out_of_la: tuple[float, float, float, float] = (0.010, 0.008, 0.003, 0.0)
    abroad: tuple[float, float, float, float] = (0.003, 0.003, 0.001, 0.0)
    transfer: tuple[float, float, float, float] = (0.006, 0.006, 0.0, 0.0)
    independent: tuple[float, float, float, float] = (0.003, 0.003, 0.0, 0.0)
    home_education: tuple[float, float, float, float] = (0.008, 0.022, 0.010, 0.02)
    managed_move: tuple[float, float, float, float] = (0.0, 0.0015, 0.0, 0.0)
    # Per 100 pupils (docs/domain.md: 11.3 suspensions, 0.13 permanent exclusions per 100 a year).
    suspensions: tuple[float, float, float, float] = (1.8, 22.0, 12.0, 40.0)
    exclusions: tuple[float, float, float, float] = (0.03, 0.30, 0.05, 0.0)
    exclusion_reinstated_share: float = 0.05
    ap_directed: tuple[float, float, float, float] = (0.0, 0.004, 0.0, 0.0)
    ap_commissioned: tuple[float, float, float, float] = (0.0005, 0.003, 0.0, 0.0)
    ap_dual: tuple[float, float, float, float] = (0.0005, 0.003, 0.0, 0.0)
    # Newcomers from outside the LA or abroad, to balance moves out.
    arrivals: tuple[float, float, float, float] = (0.013, 0.011, 0.004, 0.0)
    # Year 11s of a school with a sixth form who stay on.
    stay_on: float = 0.55


_PHASE_INDEX: Final[dict[Phase, int]] = {"primary": 0, "secondary": 1, "special": 2, "ap": 3}


def rate(table: tuple[float, float, float, float], phase: Phase) -> float:
    return table[_PHASE_INDEX[phase]]


def poisson(mean: float, rng: random.Random) -> int:
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def stochastic_round(value: float, rng: random.Random) -> int:
    whole = int(value)
    return whole + (rng.random() < value - whole)
