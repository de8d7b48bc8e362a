"""The access log's journal (rollwatch/core/sealed_journal.py): a read is answered once its entry is
synced to the journal; a process that dies before the journal drained into the table leaves it,
and the next process on the ledger inserts what the table lacks, once, with its seal chain whole.

chDB hosts one engine per folder and process, so the dead process is played in this one: a journal
whose drain never runs, whose file is then let go as the kernel lets go of a killed process's."""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY

from rollwatch.core import sealed_journal
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.sealed_journal import SealedJournal
from rollwatch.core.sealed_log import SealedWriter, verify_table
from rollwatch.core.settings import Settings
from services.tracker import access_log
from services.tracker.access_log import (
    ACCESS_LOG,
    flush_access_log,
    open_access_log,
    read_access_log,
    start_access_record,
)

pytestmark = pytest.mark.clickhouse

NOW = dt.datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=dt.UTC)
AUDITOR = KeyRecord(key_id="a" * 12, role="auditor", key_hash="0" * 64, created_at=NOW)


def _entry(subject: str) -> list[object]:
    return [NOW, AUDITOR.key_id, AUDITOR.role, "", "pupil_history", subject, "checking the journal", 3]


@pytest.fixture
def clients(migrated_ledger_settings: Settings) -> Iterator[ClientPerThread]:
    pool = ClientPerThread(migrated_ledger_settings)
    yield pool
    pool.close()


def _stored(clients: ClientPerThread) -> list[tuple[str, int, str]]:
    rows = clients.get().query(f"SELECT subject, chain_seq, chain_id FROM {ACCESS_LOG} ORDER BY chain_seq")
    return [(str(subject), int(seq), str(chain)) for subject, seq, chain in rows.result_rows]


def _pending_rows() -> float:
    value = REGISTRY.get_sample_value("rollwatch_audit_journal_pending_rows", {"table": ACCESS_LOG})
    return value or 0.0


def _dead_journal(clients: ClientPerThread) -> tuple[SealedJournal, SealedWriter]:
    """A journal of another process's chain, whose drain has stopped: what it appends stays in the file."""
    writer = SealedWriter(ACCESS_LOG, access_log._COLUMNS)
    journal = SealedJournal(writer, clients, clients.settings.audit_journal_dir)
    journal.close()  # the drain stops; the file is reopened below to go on appending
    journal._fd = os.open(journal._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    fcntl.flock(journal._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while its process lives
    journal._stopped = True
    return journal, writer


def test_entries_a_killed_process_left_in_its_journal_reach_the_table_once(clients: ClientPerThread) -> None:
    dead, writer = _dead_journal(clients)
    dead.append([_entry("A000000000001"), _entry("A000000000002")])
    dead.append([_entry("A000000000003")])
    # The first append's insert landed before the process died; the second never did.
    landed = [row for row in dead._pending if row[5] == "A000000000001"]
    writer.insert(clients.get(), landed)
    path = dead._path
    with open(path, "ab") as torn:  # a write the crash cut short: never synced, never answered
        torn.write(b'["' + writer.chain_id.encode() + b'", 4, "00')
    os.close(dead._fd)  # the kernel releases a killed process's lock
    assert path.exists()

    survivor = ClientPerThread(clients.settings)
    try:
        open_access_log(survivor)  # at start, before any read
        stored = _stored(clients)
        assert [(subject, seq) for subject, seq, _ in stored] == [
            ("A000000000001", 1),
            ("A000000000002", 2),
            ("A000000000003", 3),
        ]
        assert {chain for _, _, chain in stored} == {writer.chain_id}
        assert not path.exists()
        report = verify_table(clients.get(), ACCESS_LOG, {writer.chain_id: (3, dead._pending[-1][-2])})
        assert report.rows == 3 and report.first_break is None, report
        # Recovered once: a later process finds nothing more to do.
        again = SealedJournal(SealedWriter(ACCESS_LOG, access_log._COLUMNS), clients, path.parent)
        again.close()
        assert len(_stored(clients)) == 3
    finally:
        survivor.close()


def test_a_live_process_journal_is_left_to_it(clients: ClientPerThread) -> None:
    live, _ = _dead_journal(clients)
    live.append([_entry("A000000000004")])  # its process is alive: it holds the file's lock
    other = SealedJournal(SealedWriter(ACCESS_LOG, access_log._COLUMNS), clients, live._path.parent)
    try:
        assert live._path.exists()
        assert _stored(clients) == []
    finally:
        other.close()
        os.close(live._fd)


def test_an_answered_read_is_listed_at_once(clients: ClientPerThread) -> None:
    start_access_record(clients, AUDITOR, "pupil_history", "A000000000005", "checking the journal", 3).wait()
    since = NOW - dt.timedelta(days=1)
    listed = read_access_log(clients, since, dt.datetime.now(dt.UTC), "A000000000005", 10)
    assert [entry["subject"] for entry in listed] == ["A000000000005"]


def test_a_write_that_fails_leaves_no_part_of_it_and_no_gap_in_the_chain(
    clients: ClientPerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = SealedWriter(ACCESS_LOG, access_log._COLUMNS)
    journal = SealedJournal(writer, clients, clients.settings.audit_journal_dir)
    pending_before = _pending_rows()
    try:
        journal.append([_entry("A000000000006")])
        real_write = os.write

        def disk_full(fd: int, data: bytes) -> int:
            real_write(fd, data[:10])  # part of it reached the file
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", disk_full)
        with pytest.raises(OSError):
            journal.append([_entry("A000000000007")])
        monkeypatch.undo()
        journal.append([_entry("A000000000008")])
        assert journal.flush(timeout=30)
        assert _pending_rows() == pending_before  # the backlog metric: both drained, none counted twice
    finally:
        journal.close()
    stored = _stored(clients)
    assert [(subject, seq) for subject, seq, _ in stored] == [("A000000000006", 1), ("A000000000008", 2)]
    assert verify_table(clients.get(), ACCESS_LOG, {}).first_break is None


def test_an_answered_read_is_on_disk_before_the_table_has_it(
    clients: ClientPerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sealed_journal, "LINGER_S", 30.0)  # the drain waits for company
    start_access_record(clients, AUDITOR, "pupil_history", "A000000000009", "checking the journal", 1).wait()
    assert _stored(clients) == []
    journal_text = b"".join(path.read_bytes() for path in clients.settings.audit_journal_dir.glob("*.jsonl"))
    assert b"A000000000009" in journal_text
    flush_access_log(clients)  # a reader of the table does not wait for the linger
    assert [subject for subject, _, _ in _stored(clients)] == ["A000000000009"]


def test_concurrent_reads_each_store_their_entry_once_in_their_own_threads(
    clients: ClientPerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No entry crosses to another thread (none is started), every one is stored before its read
    goes on, once, and the chain stays whole however the reads overlap."""
    started: list[str] = []
    start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    open_access_log(clients)  # the journal's drain thread starts here, not in a read
    subjects = [f"A{n:012d}" for n in range(40)]

    def read(subject: str) -> bool:
        record = start_access_record(clients, AUDITOR, "pupil_history", subject, "checking the journal", 1)
        stored = record.written.done()  # before anything is answered
        record.wait()
        return stored

    monkeypatch.setattr(threading.Thread, "start", counted)
    with ThreadPoolExecutor(max_workers=8) as pool:  # its workers start before the patch is undone
        stored_at_return = list(pool.map(read, subjects))
    monkeypatch.undo()
    assert all(stored_at_return)
    assert not [name for name in started if not name.startswith("ThreadPoolExecutor")]
    flush_access_log(clients)
    stored = _stored(clients)
    assert sorted(subject for subject, _, _ in stored) == subjects
    assert [seq for _, seq, _ in stored] == list(range(1, len(subjects) + 1))
    assert verify_table(clients.get(), ACCESS_LOG, {}).first_break is None


def test_a_read_waiting_too_long_for_the_write_under_way_fails_and_its_entry_is_kept(
    clients: ClientPerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_log, "WRITE_TIMEOUT_S", 0.1)
    writing = access_log._WRITER._writing
    with writing, pytest.raises(TimeoutError):  # the write under way stuck on a hung disk
        start_access_record(clients, AUDITOR, "pupil_history", "A000000000010", "checking the journal", 1)
    # The short timeout was for the wait above; the next write and the flush get the usual one (the
    # flush's insert took over 0.1 s on a loaded machine: a fresh clone's run failed on it).
    monkeypatch.undo()
    start_access_record(clients, AUDITOR, "pupil_history", "A000000000011", "checking the journal", 1).wait()
    flush_access_log(clients)
    # The unanswered read's entry went with the next write: logged and not answered, never the reverse.
    assert [subject for subject, _, _ in _stored(clients)] == ["A000000000010", "A000000000011"]
