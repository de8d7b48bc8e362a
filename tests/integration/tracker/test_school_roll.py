"""A school's roll on given days, as the school-level alert rule reads it from the ledger
(`services.tracker.reads.school_rolls_on`), on the fixture ledger of conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

from services.tracker.reads import rolls_on, school_rolls_on
from tests.integration.tracker.conftest import Ledger

pytestmark = pytest.mark.clickhouse

D = dt.date.fromisoformat


def test_the_roll_of_each_day_whenever_it_is_read(ledger: Ledger) -> None:
    """Millhurst (100050): three pupils joined on 3 Sep 2025 (SEN support, an EHC plan, none); the
    first left on 20 Jan, the second on 10 Feb; the third's deletion on 5 Mar was retracted."""
    days = [D("2025-09-02"), D("2026-01-19"), D("2026-01-20"), D("2026-02-10"), D("2026-03-10")]
    rolls = school_rolls_on(ledger.world.clients, {"100050": days})["100050"]
    assert rolls == {
        D("2025-09-02"): (0, 0),
        D("2026-01-19"): (3, 2),
        D("2026-01-20"): (2, 1),
        D("2026-02-10"): (1, 0),
        D("2026-03-10"): (1, 0),  # a retracted deletion does not take the pupil off
    }


def test_several_schools_in_one_read_each_on_its_own_days(ledger: Ledger) -> None:
    """Millhurst as above and Hazelborough Road (100003: one pupil from 3 Sep, the mover from 21 Jan), with
    a school that has no rows: each counted on its own days only, as if read alone."""
    clients = ledger.world.clients
    days = {
        "100050": [D("2026-01-19"), D("2026-02-10")],
        "100003": [D("2025-09-02"), D("2026-01-20"), D("2026-01-21")],
        "999999": [D("2026-01-19")],
    }
    rolls = school_rolls_on(clients, days)
    assert rolls == {urn: school_rolls_on(clients, {urn: on})[urn] for urn, on in days.items()}
    assert rolls["100050"] == {D("2026-01-19"): (3, 2), D("2026-02-10"): (1, 0)}
    assert [roll for roll, _ in rolls["100003"].values()] == [0, 1, 2]
    assert rolls["999999"] == {D("2026-01-19"): (0, 0)}
    assert school_rolls_on(clients, {}) == {}


def test_roll_checks_of_several_schools_in_one_read(ledger: Ledger) -> None:
    """The rolls a roll check is judged against (`rolls_on`: the roll on a day as recorded by a
    time), for two schools in one read: as if each school were read alone, and a check whose time
    is before anything was recorded finds nobody."""
    clients = ledger.world.clients
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    before = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    checks = {
        "100050": [(D("2026-01-19"), later), (D("2026-02-10"), later), (D("2026-02-10"), before)],
        "100003": [(D("2026-01-20"), later), (D("2026-01-21"), later)],
    }
    rolls = rolls_on(clients, checks)
    assert rolls == {"100050": [3, 1, 0], "100003": [1, 2]}
    assert rolls == {urn: rolls_on(clients, {urn: of_school})[urn] for urn, of_school in checks.items()}
    assert rolls_on(clients, {}) == {}
