"""Stores that look a whole batch up by id before writing it: a batch longer than ClickHouse's
default limit on a query's text (256 KiB, some 6,000 UUIDs) must still write, and a resend of it
must still be found (a national replay held the tracker for good on its roll checks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.alerts.lifecycle import Alert
from services.alerts.store import AlertStore
from services.tracker.ledger_writer import Received
from services.tracker.roll_checks import RollCheckWriter
from tests.support.events import upn_for
from tests.support.scenarios import roll_check

pytestmark = pytest.mark.clickhouse

LONGER_THAN_THE_DEFAULT = 8_000
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def clients(ledger_settings: Settings) -> Iterator[ClientPerThread]:
    pool = ClientPerThread(ledger_settings)
    migrate(pool.get())
    yield pool
    pool.close()


def test_a_batch_of_roll_checks_longer_than_a_default_query_writes_and_its_resend_is_found(
    clients: ClientPerThread,
) -> None:
    checks = [parse_event(roll_check("100046", DAY, n)) for n in range(LONGER_THAN_THE_DEFAULT)]
    batch = [Received(c, canonical_bytes(c), 0, n) for n, c in enumerate(checks)]
    writer = RollCheckWriter(clients)
    assert writer.write(batch).written == LONGER_THAN_THE_DEFAULT
    again = writer.write(batch)
    assert (again.written, again.duplicates) == (0, LONGER_THAN_THE_DEFAULT)


def test_a_tick_stepping_more_alerts_than_a_default_query_names_is_stored_once(
    clients: ClientPerThread,
) -> None:
    at = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
    first = Alert(
        alert_id="", fingerprint="", rule="no_destination", severity="high", la_code="886",
        school_urn="100046", upn=upn_for(886, 2100, 19, 1), evidence=(str(uuid.uuid4()),),
        reason="A prompt for enquiry.", statutory_reference="reg 13", as_of=DAY, key_event_id=None,
        due_on=DAY + dt.timedelta(days=10), status="open", opened_at=at, updated_at=at, seq=1,
        transition="opened", parameters_version="test",
    )  # fmt: skip
    steps = [
        dataclasses.replace(first, alert_id=uuid.uuid4().hex, fingerprint=f"{n:032x}")
        for n in range(LONGER_THAN_THE_DEFAULT)
    ]
    store = AlertStore(clients)
    store.append(steps)
    store.append(steps)  # a replayed batch after a restart
    alerts, _ = store.load()
    assert len(alerts) == LONGER_THAN_THE_DEFAULT
