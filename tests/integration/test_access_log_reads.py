"""The access log read with the auditors' filters (the console's access log page): by subject or a
pupil's several UPNs, by reader, by words of the purpose, newest first; in the real engine."""

from __future__ import annotations

import datetime as dt

import pytest

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from services.tracker.access_log import read_access_log, record_access

pytestmark = pytest.mark.clickhouse

NOW = dt.datetime.now(dt.UTC)


def _key(key_id: str) -> KeyRecord:
    return KeyRecord(key_id=key_id, role="auditor", key_hash="0" * 64, created_at=NOW)


def test_the_access_log_filters_by_subject_reader_and_purpose(migrated_ledger_settings: Settings) -> None:
    clients = ClientPerThread(migrated_ledger_settings)
    ada, bob = _key("a" * 12), _key("b" * 12)
    record_access(clients, ada, "pupil_history", "T000000000001", "Audit of records", 2)
    record_access(clients, ada, "pupil_history", "P000000000002", "Subject access request", 3)
    record_access(clients, bob, "school_movements", "100046", "audit of a school", 40)
    window = (NOW - dt.timedelta(minutes=5), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))

    def subjects(**filters: object) -> list[object]:
        return [e["subject"] for e in read_access_log(clients, *window, None, 100, **filters)]  # type: ignore[arg-type]

    assert subjects() == ["T000000000001", "P000000000002", "100046"]
    assert subjects(newest_first=True) == ["100046", "P000000000002", "T000000000001"]
    assert subjects(subjects=["T000000000001", "P000000000002"]) == ["T000000000001", "P000000000002"]
    assert subjects(key_id="b" * 12) == ["100046"]
    assert subjects(purpose="AUDIT") == ["T000000000001", "100046"]
    assert subjects(purpose="audit", key_id="a" * 12) == ["T000000000001"]
    clients.close()
