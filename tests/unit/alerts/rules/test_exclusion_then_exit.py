from __future__ import annotations

import pytest

from services.alerts.rules import exclusion_then_exit

from ..factories import OTHER_SCHOOL, calendar, deletion, exclusion, params, state, suspension

CAL = calendar()
P = params()


def suspended(**kw: object) -> object:
    kw.setdefault("event_id", "sus")
    kw.setdefault("occurred_on", "2025-11-03")
    return suspension(**kw)


def leaves(**kw: object) -> object:
    kw.setdefault("event_id", "del")
    kw.setdefault("ground", "home_education")
    kw.setdefault("destination_kind", "home_education")
    return deletion(**kw)


def run(*facts: object, p: object = P) -> list[object]:
    s = state(*facts)
    return exclusion_then_exit.evaluate(s, s.facts[-1], CAL, p)


@pytest.mark.parametrize(
    ("deleted_on", "expected"),
    [
        ("2025-11-03", True),  # the same day: 0 school days
        ("2025-12-15", True),  # the 30th school day after Mon 3 Nov
        ("2025-12-16", False),  # the 31st
        ("2025-10-31", False),  # before the suspension
    ],
)
def test_within_thirty_school_days(deleted_on: str, expected: bool) -> None:
    assert bool(run(suspended(), leaves(occurred_on=deleted_on))) is expected


def test_wording_and_evidence() -> None:
    (alert,) = run(suspended(), leaves(occurred_on="2025-11-17"))
    assert alert.reason.startswith(
        "Taken off roll at school 100000 on 17 Nov 2025 for home education; "
        "10 school days after a suspension from 3 Nov 2025."
    )
    assert alert.evidence == ("sus", "del") and alert.key_event_id == "del"


def test_a_permanent_exclusion_then_another_ground() -> None:
    (alert,) = run(exclusion(event_id="pex", occurred_on="2025-11-03"), leaves(occurred_on="2025-11-10"))
    assert "after a permanent exclusion on 3 Nov 2025" in alert.reason


def test_deletion_for_the_exclusion_itself_is_exempt() -> None:
    assert (
        run(
            exclusion(occurred_on="2025-11-03"),
            leaves(ground="permanently_excluded", occurred_on="2025-12-01"),
        )
        == []
    )


def test_only_the_deleting_schools_exclusions_by_default() -> None:
    elsewhere = suspended(school_urn=OTHER_SCHOOL)
    assert run(elsewhere, leaves(occurred_on="2025-11-10")) == []
    assert run(
        elsewhere, leaves(occurred_on="2025-11-10"), p=params(exclusion_then_exit={"same_school_only": False})
    )


def test_several_exclusions_are_all_evidence() -> None:
    (alert,) = run(
        suspended(event_id="s2", occurred_on="2025-11-20"),
        suspended(event_id="s1", occurred_on="2025-11-05"),
        leaves(occurred_on="2025-11-24"),
    )
    assert alert.evidence == ("s1", "s2", "del")
    assert (
        "2 school days after a suspension from 20 Nov 2025; 1 other exclusion in the 30 school days before"
        in (alert.reason)
    )


def test_a_suspension_reaching_the_ledger_after_the_deletion() -> None:
    deleted = leaves(occurred_on="2025-11-17")
    by_deletion = run(suspended(), deleted)
    by_suspension = run(deleted, suspended())
    assert [a.fingerprint for a in by_suspension] == [a.fingerprint for a in by_deletion]
    assert run(deleted, suspended(occurred_on="2025-11-18")) == []  # after the deletion
