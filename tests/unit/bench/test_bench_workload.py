"""The bench's workload must be valid events, in the very bytes validation gives back."""

import collections

import orjson

from schemas import canonical_bytes, validate_event
from schemas.identifiers import is_temporary_upn, is_valid_upn
from tools.bench.workload import REPORT_YEAR, Workload, bench_schools, temporary_upn_for, upn_for


def test_events_are_valid_canonical_and_plausible() -> None:
    schools = bench_schools(200, seed=3)
    workload = Workload(schools, seed=3)
    events = list(workload.events(6_000))
    assert len(events) == 6_000
    kinds: collections.Counter[str] = collections.Counter()
    urns = set(schools.urns)
    for key, raw in events:
        validated = validate_event(raw)
        assert canonical_bytes(validated.event) == raw
        assert validated.warnings == []
        assert key == validated.event.upn.encode()
        assert validated.event.school_urn in urns
        kinds[validated.event.type] += 1
    assert set(kinds) == {
        "pupil.enrolled", "pupil.deleted", "pupil.suspended", "pupil.ap_referred", "pupil.ap_ended",
        "pupil.permanently_excluded", "event.retracted",
    }  # fmt: skip


def test_pupils_have_about_ten_events_in_date_order_and_the_report_year_is_covered() -> None:
    workload = Workload(bench_schools(200, seed=1), seed=1)
    pupils = [workload.pupil_events(p) for p in range(500)]
    mean = sum(len(events) for events in pupils) / len(pupils)
    assert 7 <= mean <= 12
    start, end = REPORT_YEAR
    in_year = 0
    for events in pupils:
        days = [orjson.loads(raw)["occurred_on"] for _, raw in events]
        assert days == sorted(days)
        in_year += sum(start.isoformat() <= day <= end.isoformat() for day in days)
    assert in_year > 0.08 * sum(len(events) for events in pupils)


def test_same_seed_same_events() -> None:
    schools = bench_schools(100, seed=5)
    assert Workload(schools, 5).pupil_events(42) == Workload(schools, 5).pupil_events(42)
    assert Workload(schools, 5).pupil_events(42) != Workload(schools, 6).pupil_events(42)


def test_upns_are_valid_and_distinct() -> None:
    upns = {upn_for(n) for n in range(0, 30_000_000, 7919)}
    assert len(upns) == len(range(0, 30_000_000, 7919))
    assert all(is_valid_upn(upn) and not is_temporary_upn(upn) for upn in upns)
    temporary = temporary_upn_for(12345)
    assert is_valid_upn(temporary) and is_temporary_upn(temporary)


def test_schools_are_open_with_a_laestab_and_mostly_primary() -> None:
    schools = bench_schools(1000, seed=1)
    assert len(schools.open) == 1000
    assert len(set(schools.urns)) == 1000
    assert all(len(s.laestab) == 7 for s in schools.open)
    primary = sum(s.primary for s in schools.open)
    assert 0.4 < primary / 1000 < 0.8
