"""Kafka with SASL/SCRAM over TLS and ACLs, started as a person would (`rollwatch kafka start
--sasl`): a client without valid credentials gets nowhere; each principal writes only the topics
its ACLs name (an integrator `pupil-events` and never `access-keys`); the product runs end to end
on it with the settings `rollwatch kafka credentials` prints, and the integrators' guide's
direct-to-Kafka example works as written with the integrator's principal.
One secured broker for the module."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from rollwatch.core.kafka_acls import ROLES, add_principal, apply_grants, grants
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import LocalKafka
from rollwatch.core.local_kafka_security import SUPER_USERS
from rollwatch.core.settings import Settings
from rollwatch.core.topics import Topics, ensure_topics
from tests.support.allinone import RunningProduct, new_namespace, rollwatch_process
from tests.support.cli import rollwatch
from tests.support.events import deletion, enrolment, upn_for
from tools.harness.ports import free_port

pytestmark = pytest.mark.kafka

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
SCHOOL = "100046"  # an open LA 886 school in tests/fixtures/gias
# The namespace `rollwatch kafka start` makes topics and grants ACLs for: the product's.
NAMESPACE = new_namespace()


@pytest.fixture(scope="module")
def cli_settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {
        "kafka_bootstrap": f"127.0.0.1:{free_port()}",
        "kafka_controller_port": str(free_port()),
        "data_dir": str(tmp_path_factory.mktemp("secured-kafka")),
        "namespace": NAMESPACE,
    }


@pytest.fixture(scope="module")
def broker(cli_settings: dict[str, str]) -> Iterator[LocalKafka]:
    try:
        started = rollwatch("kafka", "start", "--sasl", **cli_settings)
        assert started.returncode == 0, started.stderr
        local = LocalKafka.from_settings(Settings(**cli_settings))
        assert local.security is not None and local.running_pid() is not None
        yield local
    finally:
        rollwatch("kafka", "stop", **cli_settings)


def _as(broker: LocalKafka, principal: str) -> KafkaConnection:
    assert broker.security is not None
    return broker.security.connection(broker.bootstrap, principal)


def _writes(kafka: KafkaConnection, topic: str) -> bool:
    """True when the broker acknowledges a record from `kafka` on `topic`; False when it refuses
    the topic to that principal."""
    producer = KafkaProducer(**kafka.client_options(), acks="all", bootstrap_timeout_ms=10_000)
    try:
        producer.send(topic, key=b"probe", value=b"{}").get(timeout=20)
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        producer.close(timeout=5)


def test_a_client_without_valid_credentials_cannot_connect(broker: LocalKafka) -> None:
    assert broker.security is not None
    ca = broker.security.ca_file
    strangers = [
        KafkaConnection(broker.bootstrap),  # plaintext
        KafkaConnection(broker.bootstrap, "SSL", ca_file=ca),  # TLS without SASL
        _as(broker, "integrator").with_user("integrator", "a wrong password"),
    ]
    for stranger in strangers:
        with pytest.raises(KafkaError):
            KafkaProducer(**stranger.client_options(), bootstrap_timeout_ms=3_000)


def test_each_principal_writes_only_the_topics_its_acls_name(broker: LocalKafka) -> None:
    # A namespace of its own (the probes' records would otherwise reach the product's topics).
    topics = Topics(new_namespace())
    ensure_topics(broker.connection, topics, events_partitions=2)
    apply_grants(broker.connection, topics)
    table = grants(topics)
    probed = (topics.pupil_events, topics.access_keys, topics.pupil_moves)
    for role in ROLES:
        may_write = {g.name for g in table[role] if "Write" in g.operations}
        expected = set(probed) if role in SUPER_USERS else may_write & set(probed)
        assert {t for t in probed if _writes(_as(broker, role), t)} == expected, role
    # An integrator's own principal, added later (`rollwatch kafka principal NAME`): events only.
    add_principal(broker.connection, topics, "integrator-acme-mis", "integrator", "acme-password-0123")
    acme = _as(broker, "integrator").with_user("integrator-acme-mis", "acme-password-0123")
    assert _writes(acme, topics.pupil_events)
    assert not _writes(acme, topics.access_keys)


@pytest.mark.clickhouse
@pytest.mark.e2e
def test_the_product_works_end_to_end_on_the_secured_broker(
    broker: LocalKafka, cli_settings: dict[str, str], tmp_path: Path
) -> None:
    as_product, as_admin = _credentials(cli_settings, "rollwatch"), _as(broker, "admin").settings()
    with rollwatch_process(
        broker.bootstrap, tmp_path / "product", namespace=NAMESPACE, cli_settings=as_admin,
        alert_tick_seconds="0.5", **as_product,
    ) as product:  # fmt: skip
        # Keys are written by the admin principal: the product's may only read them.
        school = product.create_key("--role", "school", "--urn", SCHOOL)
        officer = product.create_key("--role", "la_officer", "--la", "886")
        upn = upn_for(886, 2100, 19, 7)
        left = deletion(
            upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), ground="home_education",
            destination_kind="home_education", sen_provision="E", year_group=6,
        )  # fmt: skip
        product.post_events(school, enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)), left)

        [alert] = product.wait_for_alerts(officer, lambda a: a["rule"] == "ehe_vulnerable", timeout_s=60)
        assert left["event_id"] in alert["evidence"]
        assert [e["type"] for e in _history(product, upn)] == ["pupil.enrolled", "pupil.deleted"]

        _run_the_guides_direct_producer(_as(broker, "integrator"))
        assert [e["type"] for e in _history(product, "H801200001001")] == ["pupil.deleted"]


def _credentials(cli_settings: dict[str, str], principal: str) -> dict[str, str]:
    """`rollwatch kafka credentials PRINCIPAL`'s export lines, as settings (lower case)."""
    printed = rollwatch("kafka", "credentials", principal, **cli_settings)
    assert printed.returncode == 0, printed.stderr
    exports = (shlex.split(line)[1].partition("=") for line in printed.stdout.splitlines())
    return {name.removeprefix("ROLLWATCH_").lower(): value for name, _, value in exports}


def _history(product: RunningProduct, upn: str, timeout_s: float = 30) -> list[dict[str, object]]:
    """The pupil's ledger history once it has any event."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = product.get(f"/v1/pupils/{upn}/history", purpose="security test")
        if response.status_code == 200 and response.json()["events"]:
            events: list[dict[str, object]] = response.json()["events"]
            return events
        time.sleep(0.3)
    raise AssertionError(f"no history for the pupil within {timeout_s}s; log:\n{product.log()[-3000:]}")


def _run_the_guides_direct_producer(integrator_principal: KafkaConnection) -> None:
    """docs/integrators.md's Kafka example, as written, with the integrator's principal."""
    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    integrator = {f"ROLLWATCH_{k.upper()}": v for k, v in integrator_principal.settings().items()}
    env = os.environ | integrator | {"ROLLWATCH_TOPIC": Topics(NAMESPACE).pupil_events}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
