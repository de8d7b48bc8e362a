"""The calendar and thresholds in force for one LA, loaded once and kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from services.alerts.calendar import SchoolCalendar, load_calendar
from services.alerts.parameters import RuleParameters, load_parameters


@dataclass(frozen=True, slots=True)
class LARules:
    la_code: str
    calendar: SchoolCalendar
    parameters: RuleParameters


def load_la_rules(
    la_code: str, calendar_dirs: Iterable[Path] = (), parameter_dirs: Iterable[Path] = ()
) -> LARules:
    """The LA's own term dates and rule overrides where it has them, the defaults elsewhere.
    Cached per argument set: restart, or call `forget_la_rules()`, to pick up edited files."""
    return _load(la_code, tuple(calendar_dirs), tuple(parameter_dirs))


@lru_cache(maxsize=256)
def _load(la_code: str, calendar_dirs: tuple[Path, ...], parameter_dirs: tuple[Path, ...]) -> LARules:
    return LARules(la_code, load_calendar(la_code, calendar_dirs), load_parameters(la_code, parameter_dirs))


def forget_la_rules() -> None:
    """Drop the cached calendars and thresholds."""
    _load.cache_clear()
