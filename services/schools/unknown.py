"""The one rule every door applies: an event must come from a school the register knows."""

from __future__ import annotations

from schemas import Problem
from services.schools.register import SchoolsRegister


def unregistered_school(urn: str, schools: SchoolsRegister) -> Problem | None:
    if urn in schools:
        return None
    if len(schools) == 0:
        message = (
            "no schools register has been imported yet (rollwatch schools import FILE), so no URN is known"
        )
    else:
        message = f"school_urn {urn} is not in the schools register"
    return Problem("school_urn", "school_unknown", message)
