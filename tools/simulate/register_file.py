"""The schools register file of a simulation, in the format Get Information About Schools
publishes (docs/operations.md, "Schools register"): CSV, every field quoted, Windows-1252, CRLF line ends,
dates as DD-MM-YYYY, one row per school. `rollwatch schools import FILE` reads it.

Self-contained on purpose: services/schools/ has the product's GIAS reader and writer; this is the
simulator's small writer (and a reader for its tests), easy to swap for theirs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from schemas.codelists import local_authorities
from tools.simulate.population import School

COLUMNS: Final = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "PhaseOfEducation (name)",
    "EstablishmentStatus (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "OfficialSixthForm (name)",
    "OpenDate",
    "CloseDate",
    "UKPRN",
)
ENCODING: Final = "cp1252"


def register_row(school: School) -> dict[str, str]:
    la = local_authorities()[school.la_code]
    return {
        "URN": school.urn,
        "LA (code)": school.la_code,
        "LA (name)": la.name,
        "EstablishmentNumber": school.estab,
        "EstablishmentName": school.name,
        "TypeOfEstablishment (name)": school.type_name,
        "EstablishmentTypeGroup (name)": school.type_group,
        "PhaseOfEducation (name)": school.phase_name,
        "EstablishmentStatus (name)": "Open",
        "StatutoryLowAge": str(school.low_age),
        "StatutoryHighAge": str(school.high_age),
        "OfficialSixthForm (name)": _sixth_form(school),
        "OpenDate": school.open_date.strftime("%d-%m-%Y"),
        "CloseDate": "",
        "UKPRN": school.ukprn,
    }


def _sixth_form(school: School) -> str:
    """GIAS's wording: secondary schools have a sixth form or not; others, not applicable."""
    if school.phase != "secondary":
        return "Not applicable"
    return "Has a sixth form" if school.max_year > 11 else "Does not have a sixth form"


def write_register(path: Path, schools: Iterable[School]) -> int:
    """Write the register; return the number of schools."""
    count = 0
    with path.open("w", encoding=ENCODING, errors="replace", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writeheader()
        for school in schools:
            writer.writerow(register_row(school))
            count += 1
    return count


def read_register(path: Path) -> list[dict[str, str]]:
    with path.open(encoding=ENCODING, newline="") as handle:
        return list(csv.DictReader(handle))
