"""`rollwatch compact` on the real embedded ledger: the tables a pupil's history reads, written in
several batches (a part each), end in one part each, with every row of the history's copy and
each pupil's latest placement; the histories read the same before and after, and `verify` still
proves the ledger and its derived tables. A disk without room for the merge's copy is refused,
naming the table, before anything is merged. The process holding the embedded ledger compacts it
itself at the hour set."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rollwatch.app import cli
from rollwatch.core.settings import Settings
from services.tracker import compaction
from services.tracker.compaction_schedule import COMPACTIONS, LONDON, NightlyCompaction
from services.tracker.tables import HISTORY_ROWS, PLACEMENTS
from services.tracker.verification import verify
from tests.integration.tracker.conftest import Ledger, _story
from tests.support.audit import AuditWorld
from tests.support.secrets import SECRETS

pytestmark = pytest.mark.clickhouse

BATCHES = 3


@pytest.fixture
def ledger(migrated_ledger_settings: Settings) -> Iterator[Ledger]:
    """The audit tests' story, recorded in a few batches, so each table a history reads holds a
    part per batch until the command merges them: the engine's own merges are told to take no
    fewer parts than it will ever have (`OPTIMIZE ... FINAL` takes them all regardless; stopping
    merges would stop it too)."""
    world = AuditWorld(migrated_ledger_settings)
    client = world.clients.get()
    for table in compaction.HISTORY_TABLES:
        client.command(f"ALTER TABLE {table} MODIFY SETTING min_parts_to_merge_at_once = 1000")
    story = Ledger(world)
    events = _story(story)
    for start in range(BATCHES):
        world.record(events[start::BATCHES])
    try:
        yield story
    finally:
        world.close()


def _histories(ledger: Ledger, key: str) -> dict[str, Any]:
    return {
        name: ledger.world.get(f"/v1/pupils/{upn}/history", key, purpose="compaction test").json()
        for name, upn in ledger.upns.items()
    }


def _parts(ledger: Ledger, table: str) -> compaction.Parts:
    return compaction.parts_of(ledger.world.clients.get(), table)


def _run(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return cli.main(["compact", *argv])


def test_each_history_table_ends_in_one_part_with_every_row_and_the_same_answers(
    ledger: Ledger, migrated_ledger_settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    auditor = ledger.world.key("auditor")
    before = {table: _parts(ledger, table) for table in (HISTORY_ROWS, PLACEMENTS)}
    assert all(parts.count == BATCHES for parts in before.values()), before
    histories = _histories(ledger, auditor)

    assert _run(monkeypatch, migrated_ledger_settings, "--json") == 0

    report = {table["table"]: table for table in json.loads(capsys.readouterr().out)}
    assert list(report) == list(compaction.HISTORY_TABLES)
    # Every row of the history's copy; of the placements, each pupil's latest version only (a
    # ReplacingMergeTree: what every reader takes, and what the engine's own merges keep).
    kept = {HISTORY_ROWS: before[HISTORY_ROWS].rows, PLACEMENTS: len(ledger.upns)}
    for table, rows in kept.items():
        assert _parts(ledger, table) == compaction.Parts(1, rows, report[table]["bytes_after"])
        assert report[table]["parts_before"] == BATCHES and report[table]["parts_after"] == 1
        assert report[table]["rows"] == rows
    assert before[PLACEMENTS].rows > len(ledger.upns)  # there were older versions to drop
    assert report["pupil_identity_links"]["parts_before"] == 0  # the story links no UPNs
    assert _histories(ledger, auditor) == histories
    assert verify(ledger.world.clients.get(), SECRETS).ok


def test_a_disk_without_room_for_the_copy_is_refused_before_any_merge(
    ledger: Ledger, migrated_ledger_settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setattr(compaction, "free_bytes", lambda client: 1024)

    assert _run(monkeypatch, migrated_ledger_settings) == 1

    error = capsys.readouterr().err
    assert "pupil_history_rows: the merge needs" in error and "0.0 MiB is free" in error
    assert _parts(ledger, HISTORY_ROWS).count == BATCHES


def test_progress_names_each_table_as_it_goes(
    ledger: Ledger, migrated_ledger_settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert _run(monkeypatch, migrated_ledger_settings) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("pupil_history_rows: merging ") and " parts (" in lines[0]
    assert lines[1].startswith("pupil_history_rows: 1 part (") and lines[1].endswith(" s")
    assert lines[-1].startswith("pupil_identity_links: 0 parts (0 rows")
    assert lines[-1].endswith("nothing to merge")


def test_the_process_holding_the_embedded_ledger_compacts_it_at_the_hour_set(ledger: Ledger) -> None:
    """`rollwatch run` on the embedded ledger (ROLLWATCH_COMPACT_AT, 02:30 London by default): its
    clock here starts two seconds before the hour."""
    at = dt.time(2, 30)

    def _now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    shift = dt.datetime.combine(dt.date(2026, 12, 3), at, tzinfo=LONDON) - dt.timedelta(seconds=2) - _now()
    done_before = COMPACTIONS.labels("done")._value.get()
    nightly = NightlyCompaction(ledger.world.clients, at, now=lambda: _now() + shift)
    nightly.start()
    try:
        deadline = time.monotonic() + 60
        while _parts(ledger, HISTORY_ROWS).count > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        nightly.stop()  # the next night's wait, ended
    assert _parts(ledger, HISTORY_ROWS).count == 1 and _parts(ledger, PLACEMENTS).count == 1
    assert COMPACTIONS.labels("done")._value.get() == done_before + 1
