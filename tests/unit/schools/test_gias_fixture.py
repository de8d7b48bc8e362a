"""The synthetic GIAS files: the published layout, deterministic by seed, and next month's changes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from services.schools.gias_csv import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from tests.support.gias import FEBRUARY, FEBRUARY_LINKS, FIXTURES, JANUARY, JANUARY_LINKS
from tools.gias_fixture import COLUMNS, LINK_COLUMNS, main, next_extract, synthetic_extract


def test_the_checked_in_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    main(
        [str(tmp_path), "--schools", "40", "--seed", "1", "--la", "201", "--la", "330", "--la", "886",
         "--conversion-share", "0.5", "--next", "1"]
    )  # fmt: skip
    for fixture in (JANUARY, JANUARY_LINKS, FEBRUARY, FEBRUARY_LINKS):
        assert (tmp_path / fixture.name).read_bytes() == fixture.read_bytes(), (
            f"{fixture.name} differs from the generator's output: regenerate tests/fixtures/gias "
            f"(see {FIXTURES / 'README.md'})"
        )


def test_the_header_is_the_published_one_in_order() -> None:
    assert len(COLUMNS) == len(set(COLUMNS)) == 135
    assert COLUMNS[:5] == ("URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName")
    assert COLUMNS[-1] == "AccreditationExpiryDate"
    assert set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) <= set(COLUMNS)
    header = JANUARY.read_bytes().split(b"\r\n", 1)[0].decode("cp1252")
    assert header == ",".join(f'"{c}"' for c in COLUMNS)
    links_header = JANUARY_LINKS.read_bytes().split(b"\r\n", 1)[0].decode()
    assert links_header == ",".join(f'"{c}"' for c in LINK_COLUMNS)


def test_fields_are_quoted_except_numbers_as_gias_writes_them() -> None:
    line = JANUARY.read_bytes().split(b"\r\n")[1].decode("cp1252")
    urn, la_code = line.split(",")[:2]
    assert urn.isdigit() and la_code.startswith('"')
    rows = list(csv.reader(io.StringIO(JANUARY.read_bytes().decode("cp1252"), newline="")))
    assert {len(r) for r in rows} == {135}


def test_same_seed_same_bytes_other_seed_other_schools(tmp_path: Path) -> None:
    a = synthetic_extract(300, seed=5).write(tmp_path / "a")
    b = synthetic_extract(300, seed=5).write(tmp_path / "b")
    c = synthetic_extract(300, seed=6).write(tmp_path / "c")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()
    assert a[0].name == "edubasealldata20250106.csv" and a[1].name == "links_edubasealldata20250106.csv"


def test_an_extract_has_the_asked_size_and_its_variety() -> None:
    extract = synthetic_extract(2000, seed=3)
    schools = extract.schools
    assert len(schools) == len({s.urn for s in schools}) == 2000
    statuses = {s.status for s in schools}
    assert {"Open", "Closed"} <= statuses
    assert 0.15 < sum(s.is_closed for s in schools) / len(schools) < 0.45
    assert any(s.is_alternative_provision for s in schools)
    assert sum(k.link_type == "Successor" for k in extract.links) >= 50
    # every link has its mirror row, as in the published file
    pairs = {(k.urn, k.link_urn) for k in extract.links}
    assert all((b, a) in pairs for a, b in pairs)
    # a converted school closed the day before its academy opened
    by_urn = {s.urn: s for s in schools}
    for link in extract.links:
        if link.link_type == "Successor":
            before, after = by_urn[link.urn], by_urn[link.link_urn]
            assert before.is_closed and before.closed_on and after.opened_on
            assert (after.opened_on - before.closed_on).days == 1


def test_next_extract_changes_only_what_it_says(tmp_path: Path) -> None:
    january = synthetic_extract(1000, seed=9)
    february, changes = next_extract(january, step_seed=1)
    old = {s.urn: s for s in january.schools}
    new = {s.urn: s for s in february.schools}
    assert set(new) - set(old) == changes.added
    assert {u for u in old if old[u] != new[u]} == changes.changed
    assert {u for u in changes.closed if old[u].is_open and new[u].is_closed} == changes.closed
    assert changes.closed and changes.added and changes.changed - changes.closed
    converted = [u for u in changes.closed if any(k.urn == u for k in february.links if k.urn == u)]
    assert converted, "some of the closures are academy conversions, with links"
    # unchanged schools are written byte for byte as before
    jan_lines = set(january.write(tmp_path / "jan")[0].read_bytes().split(b"\r\n"))
    feb_lines = february.write(tmp_path / "feb")[0].read_bytes().split(b"\r\n")
    touched = changes.added | changes.changed
    unchanged = [line for line in feb_lines[1:-1] if line.split(b",")[0].decode() not in touched]
    assert unchanged and all(line in jan_lines for line in unchanged)
