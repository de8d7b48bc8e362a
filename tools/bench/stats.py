"""The arithmetic of the figures: percentiles, rates and ratios. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) by linear interpolation between closest ranks (the
    method of numpy's default and of Excel's PERCENTILE.INC)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rate(count: int, seconds: float) -> float:
    """Events per second."""
    if seconds <= 0:
        raise ValueError("the duration must be positive")
    return count / seconds


def ratio(measured: float | None, baseline: float | None) -> float | None:
    """measured / baseline; None when either is missing or the baseline is zero."""
    if measured is None or baseline is None or baseline == 0:
        return None
    return measured / baseline
