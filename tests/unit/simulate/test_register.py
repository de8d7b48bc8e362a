"""The register file is in the Get Information About Schools format and lists every school the
events name."""

from __future__ import annotations

from pathlib import Path

from tools.simulate.register_file import COLUMNS, read_register, write_register

from .conftest import Run


def test_register_is_quoted_windows_1252_with_the_gias_columns(small_run: Run, tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    count = write_register(path, small_run.simulation.schools)
    raw = path.read_bytes()
    header = raw.split(b"\r\n", 1)[0].decode("cp1252")
    assert header == ",".join(f'"{c}"' for c in COLUMNS)
    rows = read_register(path)
    assert len(rows) == count == len(small_run.simulation.schools)
    for row in rows:
        assert len(row["URN"]) == 6 and row["URN"].isdigit()
        assert row["LA (code)"] == "886" and row["LA (name)"] == "Kent"
        assert len(row["EstablishmentNumber"]) == 4
        assert row["EstablishmentStatus (name)"] == "Open"
        assert row["PhaseOfEducation (name)"] in ("Primary", "Secondary", "Not applicable")
        assert int(row["StatutoryLowAge"]) < int(row["StatutoryHighAge"])
        assert row["UKPRN"].startswith("1") and len(row["UKPRN"]) == 8
    urns = {row["URN"] for row in rows}
    assert {e["school_urn"] for e in small_run.events} <= urns


def test_register_names_survive_windows_1252(small_run: Run, tmp_path: Path) -> None:
    schools = small_run.simulation.schools
    saints = [s for s in schools if "\u2019" in s.name]
    path = tmp_path / "schools.csv"
    write_register(path, schools)
    names = {row["EstablishmentName"] for row in read_register(path)}
    assert names == {s.name for s in schools}
    if saints:
        assert b"\x92" in path.read_bytes()  # the right single quote in Windows-1252
