"""`SchoolsRegister` lookups, built in memory (the ClickHouse round trip is an integration test)."""

from __future__ import annotations

import pytest

from services.schools.model import School, SchoolLink, is_alternative_provision, link_direction
from services.schools.register import SchoolsRegister
from tests.support.gias import JANUARY, JANUARY_LINKS, fixture_extracts


def _school(urn: str, la: str = "201", status: str = "Open", number: str = "2001", **kw: str) -> School:
    return School(
        urn=urn,
        name=kw.get("name", f"School {urn}"),
        la_code=la,
        la_name=f"LA {la}",
        establishment_number=number,
        type_name=kw.get("type_name", "Community school"),
        type_group=kw.get("type_group", "Local authority maintained schools"),
        status=status,
        phase="Primary",
    )


@pytest.fixture(scope="module")
def register() -> SchoolsRegister:
    return SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)


def test_every_school_of_the_file_is_known_by_urn(register: SchoolsRegister) -> None:
    january, _ = fixture_extracts()
    assert len(register) == 40
    for school in january.schools:
        assert school.urn in register
        assert register.get(school.urn) == school
        assert register.la_of(school.urn) == school.la_code
    assert "999999" not in register
    assert register.get("999999") is None and register.la_of("999999") is None
    assert register.version is None  # not from an import


def test_la_names_codes_and_laestab(register: SchoolsRegister) -> None:
    assert register.la_codes() == ("201", "330", "886")
    assert register.la_name("330") == "Birmingham"
    school = next(s for s in register.schools() if s.laestab and s.is_open)
    assert register.by_laestab(school.laestab or "") == school


def test_an_open_school_wins_a_reused_laestab() -> None:
    register = SchoolsRegister.from_records(
        [_school("100001", status="Closed"), _school("100002"), _school("100003", status="Closed")]
    )
    found = register.by_laestab("2012001")
    assert found is not None and found.urn == "100002"


def test_alternative_provision_is_recognised_from_the_type(register: SchoolsRegister) -> None:
    ap = {s.type_name for s in register.schools() if s.is_alternative_provision}
    assert ap == {
        "Pupil referral unit",
        "Academy alternative provision converter",
        "Academy alternative provision sponsor led",
        "Free schools alternative provision",
    }
    assert is_alternative_provision("Alternative provision academy (new type)", "Academies")
    assert not is_alternative_provision("Community special school", "Special schools")


def test_successors_follow_conversions_transitively(register: SchoolsRegister) -> None:
    chains = [s.urn for s in register.schools() if len(register.successors_of(s.urn)) == 2]
    assert chains, "the fixture has a re-brokered academy"
    first = chains[0]
    academy, rebrokered = register.successors_of(first)
    assert register.successors_of(academy) == (rebrokered,)
    assert register.predecessors_of(rebrokered) == (academy, first)
    assert register.is_successor(rebrokered, of=first)
    assert register.is_successor(academy, of=first)
    assert not register.is_successor(first, of=rebrokered)
    assert not register.is_successor(first, of=first)
    assert register[first].is_closed and register[rebrokered].is_open


def test_an_amalgamation_has_two_predecessors(register: SchoolsRegister) -> None:
    merged = [s for s in register.schools() if len(register.predecessors_of(s.urn)) == 2]
    assert any("amalgamated" in k.link_type for s in merged for k in register.links_of(s.urn))


def test_links_that_are_neither_predecessor_nor_successor_are_kept_but_not_followed(
    register: SchoolsRegister,
) -> None:
    sixth_form = [k for s in register.schools() for k in register.links_of(s.urn) if k.direction is None]
    assert sixth_form
    link = sixth_form[0]
    assert link.link_urn not in register.successors_of(link.urn)


def test_circular_links_end() -> None:
    register = SchoolsRegister.from_records(
        [_school("100001"), _school("100002")],
        [SchoolLink("100001", "100002", "Successor"), SchoolLink("100002", "100001", "Successor")],
    )
    assert register.successors_of("100001") == ("100002",)
    assert register.is_successor("100001", of="100002")


def test_paging_by_la_in_urn_order(register: SchoolsRegister) -> None:
    urns = [s.urn for s in register.schools("201")]
    assert urns == sorted(urns) and register.count("201") == len(urns)
    pages: list[str] = []
    after = None
    while True:
        page = register.schools("201", after=after, limit=3)
        if not page:
            break
        pages.extend(s.urn for s in page)
        after = page[-1].urn
    assert pages == urns
    assert register.schools("999") == [] and register.count("999") == 0
    assert register.count() == 40


@pytest.mark.parametrize(
    ("link_type", "direction"),
    [
        ("Successor", "successor"),
        ("Successor - amalgamated", "successor"),
        ("Successor - merged", "successor"),
        ("Successor - Split School", "successor"),
        ("Predecessor", "predecessor"),
        ("Predecessor - amalgamated", "predecessor"),
        ("Predecessor - merged", "predecessor"),
        ("Predecessor - Split School", "predecessor"),
        ("Sixth Form Centre Link", None),
        ("Result of Amalgamation", None),
        ("Merged - expansion of school capacity", None),
        ("Other", None),
    ],
)
def test_gias_link_types(link_type: str, direction: str | None) -> None:
    assert link_direction(link_type) == direction


def test_an_empty_register_knows_nothing() -> None:
    register = SchoolsRegister()
    assert len(register) == 0 and register.version is None
    assert register.successors_of("100000") == () and not register.refresh()


def test_the_register_tables_are_append_only() -> None:
    from pathlib import Path

    import services.schools.register_store as store_module
    from rollwatch.core.migrate import available

    [migration] = [m for m in available() if m.version == 5]
    code = migration.sql.upper() + Path(store_module.__file__).read_text().upper()
    for forbidden in ("ALTER TABLE", "DELETE FROM", "DROP TABLE", "TRUNCATE", " UPDATE "):
        assert forbidden not in code
