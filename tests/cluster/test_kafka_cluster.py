"""The product on a three-node Kafka cluster (`rollwatch kafka start --brokers 3`, replication 3,
min.insync.replicas 2) loses a broker mid-stream, the leader of a `pupil-events` partition among
its roles, and gets it back: the same processes keep serving (no restart), every event answered
202 is in the ledger exactly once, and the alerts are those a clean run raises."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka.admin import KafkaAdminClient

from rollwatch.core.local_kafka_cluster import LocalKafkaCluster
from rollwatch.core.settings import Settings
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.events import deletion, enrolment, upn_for
from tests.support.ports import free_port

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SCHOOL = "100046"  # an open LA 886 school in tests/fixtures/gias
PUPILS = 2400  # an enrolment each: 2,400 events, plus the home-education exits below
EHE_EVERY = 100  # every 100th pupil leaves for home education with an EHC plan: one alert each
BATCH = 100


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalKafkaCluster]:
    cluster = LocalKafkaCluster(
        host="127.0.0.1",
        broker_ports=[free_port() for _ in range(3)],
        controller_ports=[free_port() for _ in range(3)],
        data_dir=tmp_path / "kafka",
        cache_dir=Settings().kafka_cache_dir,
    )
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def product(cluster: LocalKafkaCluster, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(cluster.bootstrap, tmp_path / "product", alert_tick_seconds="0.5") as running:
        yield running


def _events() -> tuple[list[dict[str, Any]], set[str]]:
    """Enrolments, with a home-education exit of a pupil with an EHC plan after every 100th."""
    events, alerted = [], set()
    for n in range(PUPILS):
        upn = upn_for(886, 3000 + n // 1000, 20, n % 1000)
        events.append(enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3), sen_provision="E"))
        if n % EHE_EVERY == 0:
            exit_ = deletion(
                upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), ground="home_education",
                destination_kind="home_education", sen_provision="E", year_group=6,
            )  # fmt: skip
            events.append(exit_)
            alerted.add(exit_["event_id"])
    return events, alerted


def _post_until_accepted(product: RunningProduct, key: str, batch: list[dict[str, Any]]) -> int:
    """Posts as a school's system does: a 503 (the broker cannot acknowledge) is retried after
    Retry-After. Returns how many answers were 503."""
    refused = 0
    deadline = time.monotonic() + 90
    while True:
        response = httpx.post(
            f"{product.url}/v1/events",
            json={"events": batch},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        if response.status_code == 202:
            assert response.json()["rejected"] == [], response.text
            return refused
        assert response.status_code == 503 and time.monotonic() < deadline, response.text
        refused += 1
        time.sleep(min(float(response.headers.get("retry-after", "1")), 2.0))


def _leader_of_pupil_events(cluster: LocalKafkaCluster, product: RunningProduct) -> int:
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    try:
        [topic] = admin.describe_topics([f"{product.namespace}pupil-events"])
    finally:
        admin.close()
    partitions = {p["partition_index"]: p for p in topic["partitions"]}
    assert all(len(p["replica_nodes"]) == 3 for p in partitions.values())
    leader: int = partitions[0]["leader_id"]
    return leader


def test_a_broker_stops_mid_stream_and_nothing_is_lost_or_doubled(
    cluster: LocalKafkaCluster, product: RunningProduct
) -> None:
    assert product.process is not None
    pid = product.process.pid
    school = product.new_key("school", urns=(SCHOOL,))
    officer = product.new_key("la_officer", la_code="886")
    events, alerted = _events()
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    third = len(batches) // 3

    for batch in batches[:third]:
        _post_until_accepted(product, school, batch)

    leader = _leader_of_pupil_events(cluster, product)
    assert cluster.stop_node(leader)  # the leader of pupil-events/0 goes, mid-stream
    refused = 0
    for batch in batches[third : 2 * third]:
        refused += _post_until_accepted(product, school, batch)
    assert cluster.status()["answering"] == 2

    cluster.start_node(leader)
    for batch in batches[2 * third :]:
        refused += _post_until_accepted(product, school, batch)
    # A resend of the first batch (as a school's retry after a timeout) adds nothing.
    _post_until_accepted(product, school, batches[0])

    deadline = time.monotonic() + 120
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        report = product.get("/v1/ledger/verify").json()
        if report["rows"] >= len(events):
            break
        time.sleep(1)
    time.sleep(2)  # anything doubled would land by now
    report = product.get("/v1/ledger/verify").json()
    assert report["rows"] == len(events), (report, product.log()[-3000:])
    assert report["ok"], report

    # The alerts of a clean run: one ehe_vulnerable alert per home-education exit, no other.
    deadline = time.monotonic() + 60
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = product.get("/v1/alerts", key=officer, per_page=500, purpose="test").json()["alerts"]
        if len(found) >= len(alerted):
            break
        time.sleep(0.5)
    time.sleep(2)
    found = product.get("/v1/alerts", key=officer, per_page=500, purpose="test").json()["alerts"]
    assert sorted(a["rule"] for a in found) == ["ehe_vulnerable"] * len(alerted), found
    assert {e for a in found for e in a["evidence"]} >= alerted

    # The same process served throughout: the clients recovered without a restart.
    assert product.process.poll() is None and product.process.pid == pid and product.starts == 1
    print(f"leader stopped: node {leader}; 503 answers while it was down: {refused}")
