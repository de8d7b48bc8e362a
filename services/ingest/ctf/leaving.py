"""What a CTF says about why a pupil left: `SchoolHistory/School/RemovalGrounds` and
`LeavingReason` of the spell at the sending school, read as a deletion ground and compared with
the ground the import uses (the caller's, or the one a CTF to a school implies). A mismatch is a
warning on the pupil, never a refusal: the caller knows why the pupil left, the file may be
stale (`ctf_values.json`, "notes").

Forms understood, case and spaces aside: a regulation reference, `9(1)(f)` or `reg 9(1)(f)`
(SI 2024/208) and `8(1)(d)` (SI 2006/1751); a bare ground letter, `f`, read under the regulations
in force on the leaving date; a Rollwatch ground code, `home_education`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from schemas import Problem
from schemas.codelists import deletion_grounds, regulation_2006_grounds, regulation_2024_in_force
from services.ingest.ctf.reader import SchoolSpell
from services.ingest.ctf.values import echo_code

_REFERENCE: Final = re.compile(
    r"^(?:reg(?:ulation)?\.?\s*)?(?P<reg>[89])\s*\(?1\)?\s*\(?(?P<letter>[a-o])\)?$"
)
_LETTER: Final = re.compile(r"^\(?(?P<letter>[a-o])\)?$")
FIELDS: Final = (("RemovalGrounds", "removal_grounds"), ("LeavingReason", "leaving_reason"))


def _by_letter_2024() -> dict[str, str]:
    return {g.letter: code for code, g in deletion_grounds().items() if g.paragraph == "9(1)" and g.letter}


def _by_letter_2006() -> dict[str, frozenset[str]]:
    return {g.letter: g.maps_to for g in regulation_2006_grounds()}


def grounds_for(value: str, on: dt.date | None) -> frozenset[str] | None:
    """The ground codes a CTF value can mean (several for a 2006 ground that the 2024
    regulations split), or None when the value is in no form understood."""
    text = value.strip().lower()
    if text in deletion_grounds():
        return frozenset({text})
    match = _REFERENCE.match(text)
    regulation: str | None = None
    if match:
        regulation = "2024" if match["reg"] == "9" else "2006"
    else:
        match = _LETTER.match(text)
        if match and on is not None:
            regulation = "2024" if on >= regulation_2024_in_force() else "2006"
    if match is None or regulation is None:
        return None
    letter = match["letter"]
    if regulation == "2024":
        code = _by_letter_2024().get(letter)
        return frozenset({code}) if code else None
    return _by_letter_2006().get(letter) or None


def ground_notes(
    spell: SchoolSpell | None, ground: str, caller_gave: bool, on: dt.date | None
) -> list[Problem]:
    """Warnings about the spell's leaving reasons against the import's ground."""
    if spell is None:
        return []
    notes = []
    whose = "the ground given" if caller_gave else "the ground the CTF's destination implies"
    for element, attribute in FIELDS:
        value = getattr(spell, attribute)
        if value is None:
            continue
        meant = grounds_for(value, on)
        if meant is None:
            notes.append(
                Problem(
                    "data.ground",
                    "ctf_leaving_reason_unread",
                    f"SchoolHistory/School/{element}{echo_code(value, 8)} is not a deletion ground Rollwatch "
                    "can read (a regulation reference such as 9(1)(f), a ground letter or a ground code); "
                    "not compared",
                )
            )
        elif ground not in meant:
            notes.append(
                Problem(
                    "data.ground",
                    "ctf_ground_mismatch",
                    f"SchoolHistory/School/{element} means {' or '.join(sorted(meant))}, but {whose} is "
                    f"'{ground}': check which is right",
                )
            )
    return notes
