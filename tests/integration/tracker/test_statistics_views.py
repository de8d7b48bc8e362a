"""The statistics views (migrations 0010 and 0018): rows the ledger had before the migration are
backfilled, every later insert reaches them once (a replayed batch the ledger drops is not counted
again), and the rolls and AP placements read from them agree with the tracker's placements."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import available, migrate
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.reads import school_roll
from services.tracker.school_figures import ap_placements, school_rolls
from services.tracker.tables import REFERENCES, SCHOOL_EVENTS, SCHOOL_ROLLS
from tests.integration.tracker.conftest import Ledger
from tests.support.events import deletion, enrolment, retraction, upn_for

pytestmark = pytest.mark.clickhouse


@pytest.mark.parametrize(("version", "tables"), [(10, (SCHOOL_EVENTS, REFERENCES)), (18, (SCHOOL_ROLLS,))])
def test_the_views_select_is_the_backfills(version: int, tables: tuple[str, ...]) -> None:
    """The view and the backfill of each table are one query, written twice in the migration."""
    [statistics] = [m for m in available() if m.version == version]
    statements = [
        "\n".join(line for line in s.splitlines() if not line.lstrip().startswith("--")).strip()
        for s in statistics.statements()
    ]
    for table in tables:
        [view] = [s for s in statements if f"VIEW IF NOT EXISTS {table}_mv TO {table} AS" in s]
        [backfill] = [s for s in statements if s.startswith(f"INSERT INTO {table}\n")]
        assert re.sub(r"\s+", " ", view.split(" AS\n", 1)[1]) == re.sub(
            r"\s+", " ", backfill.split("\n", 1)[1]
        )


def _count(clients: ClientPerThread, table: str) -> int:
    return int(clients.get().query(f"SELECT count() FROM {table}").result_rows[0][0])


def test_rows_before_the_migration_are_backfilled_and_later_ones_counted_once(
    ledger_settings: Settings,
) -> None:
    clients = ClientPerThread(ledger_settings)
    migrate(clients.get(), up_to=9)
    writer = LedgerWriter(clients)
    upn = upn_for(886, 4000, 24, 1)
    joined = enrolment(upn, school_urn="100050", occurred_on=dt.date(2025, 9, 3))
    left = deletion(upn, school_urn="100050", occurred_on=dt.date(2026, 1, 5), ground="home_education",
                    destination_kind="home_education", sen_provision="E", year_group=10)  # fmt: skip
    batches = [[joined], [left, retraction(left)]]
    received = [
        [
            Received(e, canonical_bytes(e), partition=0, offset=n * 10 + i)
            for i, e in enumerate(map(parse_event, b))
        ]
        for n, b in enumerate(batches)
    ]
    assert writer.write(received[0]).written == 1
    migrate(clients.get())
    assert _count(clients, SCHOOL_EVENTS) == 1  # the backfill
    assert school_rolls(clients, ["100050"])["100050"].total == 1  # the rolls' backfill (0018)
    assert writer.write(received[1]).written == 2
    writer.forget_heads()
    assert writer.write(received[1]).written == 0  # a replay: the ledger drops it, so do the views
    assert _count(clients, SCHOOL_EVENTS) == 3 and _count(clients, REFERENCES) == 1
    assert school_rolls(clients, ["100050"]) == {}  # the deletion reached the rolls' view
    row = (
        clients.get()
        .query(
            f"SELECT ground, destination_kind, year_group, sen_provision FROM {SCHOOL_EVENTS} "
            "WHERE type = 'pupil.deleted'"
        )
        .result_rows
    )
    assert row == [("home_education", "home_education", 10, "E")]
    clients.close()


def test_rolls_agree_with_the_placements_and_ap_placements_are_counted(ledger: Ledger) -> None:
    clients, world = ledger.world.clients, ledger.world
    urns = ["100050", "100054", "100003", "100046", "100012"]
    rolls = school_rolls(clients, urns)
    for urn in urns:
        placed = school_roll(clients, urn)[0]
        assert (rolls[urn].total if urn in rolls else 0) == placed, urn
    assert rolls["100003"].by_sen_provision == {"K": 1, "N": 1} and rolls["100003"].send == 1
    pupil = ledger.upn("in_ap")
    referral = enrolment(pupil, school_urn="100050", occurred_on=dt.date(2026, 1, 5), year_group=9)
    referral.update(type="pupil.ap_referred", data={
        "provider": {"name": "Hillside Centre"}, "arrangement": "la_arranged", "tier": "targeted",
        "start_on": "2026-01-05", "review_by": "2026-02-05", "planned_end_on": "2026-04-01",
        "objective": "Return to full-time lessons.",
    })  # fmt: skip
    world.record(
        [enrolment(pupil, school_urn="100050", occurred_on=dt.date(2025, 9, 3), year_group=9), referral]
    )
    found = ap_placements(clients, ["100050"], dt.date(2026, 2, 6))
    assert (found["100050"].open, found["100050"].review_overdue) == (1, 1)
    assert ap_placements(clients, ["100050"], dt.date(2026, 2, 5))["100050"].review_overdue == 0
    ended = enrolment(pupil, school_urn="100050", occurred_on=dt.date(2026, 3, 1), year_group=9)
    ended.update(type="pupil.ap_ended", data={
        "referral_event_id": referral["event_id"], "ended_on": "2026-03-01", "outcome": "returned",
    })  # fmt: skip
    world.record([ended])
    assert ap_placements(clients, ["100050"], dt.date(2026, 3, 2)) == {}
    world.record([retraction(ended)])  # the end withdrawn: open again
    assert ap_placements(clients, ["100050"], dt.date(2026, 3, 2))["100050"].open == 1
    world.record([retraction(referral)])  # the referral withdrawn: never open
    assert ap_placements(clients, ["100050"], dt.date(2026, 3, 2)) == {}
