"""The pupil snapshot of a CTF event: date of birth, year group, SEN provision, FSM eligibility
and looked-after status, each read from the file as it stood on the event's date, with a problem
for what stops the event and a note for what was assumed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from schemas import Problem
from services.ingest.ctf.reader import CtfPupil, FsmSpell, SenRecord
from services.ingest.ctf.values import ctf_date, echo_code

# NCyearActual (CBDS national curriculum year) -> the contract's year_group.
_YEAR_GROUPS: Final = {"N1": -2, "N2": -1, "R": 0} | {str(n): n for n in range(1, 15)}
# SEN provision: current codes pass; pre-2015 codes map to their successors (ctf_values.json).
_SEN_CURRENT: Final = frozenset({"E", "K", "N"})


@cache
def _sen_legacy() -> Mapping[str, str]:
    text = resources.files("services.ingest.ctf").joinpath("ctf_values.json").read_text(encoding="utf-8")
    mapping: dict[str, str] = json.loads(text)["sen_provision_before_2015"]
    return mapping


_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


def pupil_snapshot(
    pupil: CtfPupil, on: dt.date | None, problems: list[Problem], notes: list[Problem]
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    if pupil.date_of_birth is None:
        problems.append(Problem("pupil.date_of_birth", "missing", "the Pupil has no DOB"))
    else:
        snapshot["date_of_birth"] = pupil.date_of_birth
    year_group = _year_group(pupil.year_group, problems)
    if year_group is not None:
        snapshot["year_group"] = year_group
    sen = _sen_provision(pupil.sen, on, problems, notes)
    if sen is not None:
        snapshot["sen_provision"] = sen
    if pupil.fsm is not None:
        fsm = _fsm_eligible(pupil.fsm, on, notes)
        if fsm is not None:
            snapshot["fsm_eligible"] = fsm
    if pupil.in_care is not None:
        flag = pupil.in_care.lower()
        if flag in _TRUE | _FALSE:
            snapshot["looked_after"] = flag in _TRUE
        else:
            notes.append(
                Problem(
                    "pupil.looked_after",
                    "ctf_value_ignored",
                    "LookedAfter/InCare is not true or false; looked_after is left out",
                )
            )
    return snapshot


def _year_group(value: str | None, problems: list[Problem]) -> int | None:
    if value is None:
        problems.append(Problem("pupil.year_group", "missing", "the Pupil has no BasicDetails/NCyearActual"))
        return None
    year = _YEAR_GROUPS.get(value.upper().lstrip("0") or "0")
    if year is None:
        problems.append(
            Problem(
                "pupil.year_group",
                "ctf_year_group_unmapped",
                f"NCyearActual{echo_code(value)} has no year group in the contract (N1, N2, R and 1-14 "
                "do; E1, E2 and X do not)",
            )
        )
    return year


def _sen_provision(
    records: Iterable[SenRecord], on: dt.date | None, problems: list[Problem], notes: list[Problem]
) -> str | None:
    with_code = [r for r in records if r.provision is not None]
    if not with_code:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_assumed",
                "the CTF has no SENhistory/SEN/SENprovision; recorded as N (no special educational need)",
            )
        )
        return "N"
    current = [r for r in with_code if _current(ctf_date(r.start), ctf_date(r.end), on)]
    if not current:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_ended",
                "every SEN record had ended by occurred_on; recorded as N",
            )
        )
        return "N"
    latest = max(current, key=lambda r: ctf_date(r.start) or dt.date.min)
    code = str(latest.provision).upper()
    if code in _SEN_CURRENT:
        return code
    legacy = _sen_legacy()
    if code in legacy:
        notes.append(
            Problem(
                "pupil.sen_provision",
                "sen_provision_legacy_code",
                f"SENprovision '{code}' is a code from before September 2015; recorded as {legacy[code]}, "
                "an approximate mapping (not every statement became an EHC plan, nor School Action SEN "
                "support): check the pupil's current provision",
            )
        )
        return legacy[code]
    problems.append(
        Problem(
            "pupil.sen_provision",
            "ctf_sen_provision_unknown",
            f"SENprovision{echo_code(code)} is not E, K or N (nor a pre-2015 S, A or P)",
        )
    )
    return None


def _fsm_eligible(spells: Iterable[FsmSpell], on: dt.date | None, notes: list[Problem]) -> bool | None:
    parsed: list[tuple[dt.date | None, dt.date | None]] = []
    for spell in spells:
        start, end = ctf_date(spell.start), ctf_date(spell.end)
        if (spell.start is not None and start is None) or (spell.end is not None and end is None):
            notes.append(
                Problem(
                    "pupil.fsm_eligible",
                    "ctf_value_ignored",
                    "an FSMinstance date is not YYYY-MM-DD; fsm_eligible is left out",
                )
            )
            return None
        parsed.append((start, end))
    return any(start is not None and _current(start, end, on) for start, end in parsed)


def _current(start: dt.date | None, end: dt.date | None, on: dt.date | None) -> bool:
    """A record is current on `on` if it started by then and had not ended before it; with no
    date to compare against, any record without an end is current."""
    if on is None:
        return end is None
    return (start is None or start <= on) and (end is None or end >= on)
