from __future__ import annotations

import datetime as dt

import pytest

from services.alerts.rules import ehe_without_consent as rule

from ..factories import calendar, deletion, params, state

CAL = calendar()
IN_FORCE = params(ehe_without_consent={"in_force_from": dt.date(2026, 9, 1)})


def home_education(**kw: object) -> object:
    kw.setdefault("ground", "home_education")
    kw.setdefault("destination_kind", "home_education")
    kw.setdefault("destination_laestab", None)
    kw.setdefault("occurred_on", "2026-09-14")
    kw.setdefault("s47_enquiries", True)
    return deletion(**kw)


def run(fact: object, p: object = IN_FORCE) -> list[object]:
    return rule.evaluate(state(fact), fact, CAL, p)


def test_not_in_force_by_default() -> None:
    assert run(home_education(), params()) == []


@pytest.mark.parametrize(("occurred_on", "raised"), [("2026-08-31", False), ("2026-09-01", True)])
def test_from_the_commencement_date(occurred_on: str, raised: bool) -> None:
    assert bool(run(home_education(occurred_on=occurred_on))) is raised


@pytest.mark.parametrize(
    ("flags", "raised"),
    [
        ({"s47_enquiries": True}, True),
        ({"s47_enquiries": None, "placed_by_la": True, "school_is_special": True}, True),
        ({"s47_enquiries": None, "placed_by_la": True, "school_is_special": False}, False),  # mainstream
        (
            {"s47_enquiries": None, "placed_by_la": False, "school_is_special": True},
            False,
        ),  # the parents' choice
        ({"s47_enquiries": False}, False),
    ],
)
def test_only_a_relevant_child(flags: dict[str, object], raised: bool) -> None:
    assert bool(run(home_education(**flags))) is raised


@pytest.mark.parametrize(("consent", "raised"), [(None, True), ("2026-09-14", False), ("2026-09-15", True)])
def test_the_las_consent_no_later_than_the_withdrawal(consent: str | None, raised: bool) -> None:
    found = run(home_education(la_consent_on=consent))
    assert bool(found) is raised
    if found:
        (alert,) = found
        assert alert.severity == "high" and alert.statutory_reference.startswith("s434A Education Act 1996")
        assert "subject to s47 Children Act 1989 enquiries" in alert.reason


def test_other_grounds_are_not_withdrawals_for_home_education() -> None:
    assert run(home_education(ground="moved_away", destination_kind="moved_away")) == []
