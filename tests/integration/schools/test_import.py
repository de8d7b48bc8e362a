"""Importing GIAS files into the real ClickHouse engine: versions, the report, idempotence, and a
failed import leaving the register as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import ClientPerThread, connect
from rollwatch.core.settings import Settings
from services.schools.gias_file import GiasFileError
from services.schools.importer import ImportFailed, import_register
from services.schools.register import SchoolsRegister
from services.schools.register_store import RegisterStore
from tests.support.gias import FEBRUARY, FEBRUARY_LINKS, JANUARY, JANUARY_LINKS, fixture_extracts, rewrite
from tools.gias_fixture import next_extract

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def client(migrated_ledger_settings: Settings) -> Client:
    return connect(migrated_ledger_settings)


@pytest.fixture
def clients(migrated_ledger_settings: Settings, client: Client) -> ClientPerThread:
    return ClientPerThread(migrated_ledger_settings)


def test_a_first_import_adds_every_school_and_round_trips(client: Client, clients: ClientPerThread) -> None:
    report = import_register(client, JANUARY, JANUARY_LINKS)
    january, _ = fixture_extracts()
    assert (report.version, report.previous_version) == (1, None)
    assert report.establishments == 40 and report.links == len(january.links)
    assert report.added == tuple(sorted(s.urn for s in january.schools))
    assert report.changed == report.closed == report.removed == ()
    assert "First import: 40 establishments added." in report.summary()
    loaded = SchoolsRegister.load(clients)
    from_files = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
    assert loaded.version == 1 and loaded.imported_at is not None
    assert loaded.schools() == from_files.schools()
    assert {k for s in loaded.schools() for k in loaded.links_of(s.urn)} == set(january.links)


def test_the_next_extract_reports_what_was_added_changed_and_closed(client: Client) -> None:
    import_register(client, JANUARY, JANUARY_LINKS)
    january, _ = fixture_extracts()
    _, expected = next_extract(january, step_seed=1)
    report = import_register(client, FEBRUARY, FEBRUARY_LINKS)
    assert (report.version, report.previous_version) == (2, 1)
    assert set(report.added) == expected.added
    assert set(report.changed) == expected.changed
    assert set(report.closed) == expected.closed
    assert report.removed == ()
    assert report.diff.links_added == 2  # the conversion, both ways
    assert report.diff.unchanged == 40 - len(expected.changed)
    record = RegisterStore(client).current()
    assert record is not None
    assert (record.version, record.added, record.changed, record.closed) == (
        2, len(expected.added), len(expected.changed), len(expected.closed),
    )  # fmt: skip


def test_re_importing_the_same_file_changes_nothing(client: Client, clients: ClientPerThread) -> None:
    first = import_register(client, JANUARY, JANUARY_LINKS)
    before = SchoolsRegister.load(clients)
    again = import_register(client, JANUARY, JANUARY_LINKS)
    assert again.version == first.version + 1
    assert again.added == again.changed == again.closed == again.removed == ()
    assert again.diff.links_added == again.diff.links_removed == 0
    assert again.sha256 == first.sha256
    assert f"No change since version {first.version}." in again.summary()
    after = SchoolsRegister.load(clients)
    assert after.schools() == before.schools()


def test_without_a_links_file_the_links_are_carried_over(client: Client, clients: ClientPerThread) -> None:
    import_register(client, JANUARY, JANUARY_LINKS)
    report = import_register(client, FEBRUARY)
    assert report.links_source == "carried over from version 1"
    assert report.diff.links_added == report.diff.links_removed == 0
    register = SchoolsRegister.load(clients)
    chain_start = next(s.urn for s in register.schools() if len(register.successors_of(s.urn)) == 2)
    assert len(register.successors_of(chain_start)) == 2


def test_a_first_import_without_links_has_none(client: Client) -> None:
    report = import_register(client, JANUARY)
    assert report.links_source == "none" and report.links == 0


def test_a_bad_file_leaves_the_previous_version_current(
    client: Client, clients: ClientPerThread, tmp_path: Path
) -> None:
    import_register(client, JANUARY, JANUARY_LINKS)
    before = SchoolsRegister.load(clients)
    # The duplicate comes after two batches were already written under the new version.
    spoiled = rewrite(FEBRUARY, tmp_path / "edubasealldata20250203.csv", lambda lines: [*lines, lines[1]])
    with pytest.raises(ImportFailed) as caught:
        import_register(client, spoiled, FEBRUARY_LINKS, batch_rows=10)
    failure = caught.value
    assert isinstance(failure.cause, GiasFileError)
    assert failure.cause.column == "URN" and "appears twice" in str(failure.cause)
    assert (failure.attempted_version, failure.current_version) == (2, 1)
    store = RegisterStore(client)
    current = store.current()
    assert current is not None and current.version == 1
    assert store.counts(2)[0] >= 20  # rows were written, and are never read
    assert SchoolsRegister.load(clients).schools() == before.schools()
    [failed, completed] = store.imports()
    assert (failed.version, failed.status, completed.status) == (2, "failed", "completed")
    assert "appears twice" in failed.error
    # the next good import skips the failed version and compares with the last completed one
    report = import_register(client, FEBRUARY, FEBRUARY_LINKS)
    assert (report.version, report.previous_version) == (3, 1)
    assert report.added and report.closed


@pytest.mark.parametrize("spoil", ["missing", "no URN column", "zip"])
def test_a_file_refused_at_once_writes_nothing(client: Client, tmp_path: Path, spoil: str) -> None:
    import_register(client, JANUARY, JANUARY_LINKS)
    if spoil == "missing":
        path = tmp_path / "nowhere.csv"
    elif spoil == "zip":
        path = tmp_path / "Results.zip"
        path.write_bytes(b"PK\x03\x04" + JANUARY.read_bytes())
    else:
        path = rewrite(JANUARY, tmp_path / "x.csv", lambda lines: [lines[0].replace('"URN"', '"Urn"')])
    with pytest.raises(ImportFailed) as caught:
        import_register(client, JANUARY, path)  # the links file is checked before anything is written
    assert caught.value.attempted_version is None and caught.value.current_version == 1
    with pytest.raises(ImportFailed):
        import_register(client, path, JANUARY_LINKS)
    store = RegisterStore(client)
    assert [r.status for r in store.imports()] == ["completed"]
    assert store.next_version() == 2


def test_a_file_missing_schools_is_imported_with_a_warning(client: Client, tmp_path: Path) -> None:
    import_register(client, JANUARY, JANUARY_LINKS)
    smaller = rewrite(JANUARY, tmp_path / "edubasealldata20250106.csv", lambda lines: lines[:-5])
    report = import_register(client, smaller, JANUARY_LINKS)
    assert len(report.removed) == 5
    assert any("are not in this file" in w for w in report.warnings)


def test_a_links_file_of_another_date_is_noted(client: Client) -> None:
    report = import_register(client, JANUARY, FEBRUARY_LINKS)
    assert any("links file is dated 20250203" in w for w in report.warnings)
    assert any("not in the establishment file" in w for w in report.warnings)


def test_refresh_picks_up_a_newer_import(client: Client, clients: ClientPerThread) -> None:
    register = SchoolsRegister.load(clients)
    assert register.version is None and len(register) == 0
    import_register(client, JANUARY, JANUARY_LINKS)
    assert register.refresh() is True
    assert register.version == 1 and len(register) == 40
    assert register.refresh() is False
    report = import_register(client, FEBRUARY, FEBRUARY_LINKS)
    assert register.refresh() is True
    assert all(urn in register for urn in report.added)
    assert all(register[urn].is_closed for urn in report.closed)
