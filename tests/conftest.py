"""Test wiring shared by the whole suite.

Unit tests need neither Kafka nor ClickHouse. A test that needs one says so with a marker
(`@pytest.mark.kafka`, `@pytest.mark.clickhouse`); a test that touches either without its marker
fails loudly, so the unit/integration split cannot rot (the Snuba way)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest
from hypothesis import settings as hypothesis_settings

from rollwatch.core.clickhouse import drop_database
from rollwatch.core.settings import Settings
from tests.support.brokers import KafkaForTests, start_kafka_for_tests
from tests.support.ledger_template import LedgerTemplate

# Property tests check what holds, not how fast: on a loaded 2-core CI machine one example can
# take longer than Hypothesis's 200 ms deadline and fail the run at random.
hypothesis_settings.register_profile("rollwatch", deadline=None)
hypothesis_settings.load_profile("rollwatch")

_kafka_ports: set[int] = {9092}


@pytest.fixture(scope="session")
def _kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaForTests]:
    with start_kafka_for_tests(tmp_path_factory.mktemp("kafka")) as broker:
        _kafka_ports.add(broker.port)
        yield broker


@pytest.fixture
def kafka(request: pytest.FixtureRequest, _kafka_broker: KafkaForTests) -> KafkaForTests:
    """The real broker for this test session; the test must be marked `kafka`."""
    _require_marker(request, "kafka")
    return _kafka_broker


@pytest.fixture(scope="session")
def _ledger_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # chDB hosts one engine folder per process, so the session shares one folder and each test
    # gets a database of its own.
    return tmp_path_factory.mktemp("rollwatch")


@pytest.fixture
def ledger_settings(request: pytest.FixtureRequest, _ledger_folder: Path) -> Iterator[Settings]:
    """Settings on a fresh, empty ledger database, dropped after the test (the fixtures that use it
    close their clients first); the test must be marked `clickhouse`."""
    _require_marker(request, "clickhouse")
    settings = _ledger_settings(_ledger_folder, "test")
    yield settings
    # Left behind, the databases pile up in the session's one folder, and each new one takes
    # longer to migrate (about 1.5 s in an empty folder, 5-8 s next to 50 others).
    drop_database(settings)


@pytest.fixture(scope="session")
def _ledger_template(_ledger_folder: Path) -> Iterator[LedgerTemplate]:
    settings = _ledger_settings(_ledger_folder, "template")
    yield LedgerTemplate.migrated(settings)
    drop_database(settings)


@pytest.fixture
def migrated_ledger_settings(ledger_settings: Settings, _ledger_template: LedgerTemplate) -> Settings:
    """`ledger_settings` on a database with every migration applied: a copy of the session's
    migrated template (tests/support/ledger_template.py), cheaper than migrating afresh."""
    _ledger_template.copy_into(ledger_settings).close()
    return ledger_settings


# The slowest folders first. `make test` runs two xdist workers, a file at a time in this order
# (`--no-loadscope-reorder`): a long fault test started last would leave the other worker idle for
# its whole length.
_SLOW_FIRST = ("tests/faults/", "tests/cluster/", "tests/e2e/", "tests/browser/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, folder in enumerate(_SLOW_FIRST) if item.nodeid.startswith(folder)), len(_SLOW_FIRST)
        )

    items.sort(key=rank)  # stable: each file's tests stay together and in order


def _ledger_settings(folder: Path, prefix: str) -> Settings:
    return Settings(
        data_dir=folder,
        clickhouse_url=os.environ.get("ROLLWATCH_CLICKHOUSE_URL") or None,
        clickhouse_database=f"{prefix}_{uuid.uuid4().hex[:12]}",
    )


def _require_marker(request: pytest.FixtureRequest, marker: str) -> None:
    if request.node.get_closest_marker(marker) is None:
        pytest.fail(f"{request.node.nodeid} uses {marker} without @pytest.mark.{marker}", pytrace=False)


@pytest.fixture(autouse=True)
def _refuse_unmarked_services(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("clickhouse") is None:

        def refuse_clickhouse(*args: object, **kwargs: object) -> None:
            pytest.fail("this test opens ClickHouse but is not marked @pytest.mark.clickhouse", pytrace=False)

        monkeypatch.setattr(clickhouse_connect, "get_client", refuse_clickhouse)
    if request.node.get_closest_marker("kafka") is None:
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def guard(address: object) -> None:
            if isinstance(address, tuple) and len(address) >= 2 and address[1] in _kafka_ports:
                pytest.fail(f"this test connects to Kafka {address} but is not marked @pytest.mark.kafka")

        def connect(self: socket.socket, address: object) -> None:
            guard(address)
            real_connect(self, address)  # type: ignore[arg-type]

        def connect_ex(self: socket.socket, address: object) -> int:
            guard(address)
            return real_connect_ex(self, address)  # type: ignore[arg-type]

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
