"""Kafka with SASL/SCRAM over TLS and ACLs (`rollwatch kafka start --sasl`): a client without
credentials gets nowhere; each principal writes only the topics its ACLs name (an integrator
`pupil-events` and never `access-keys`); the product runs end to end on it, and the integrators'
guide's direct-to-Kafka example works as written with the integrator's principal.
One secured broker for the module."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError, TopicAuthorizationFailedError
from pydantic import SecretStr

from rollwatch.core.kafka_acls import ROLES, add_principal, apply_grants, grants
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.local_kafka import LocalKafka
from rollwatch.core.local_kafka_security import SUPER_USERS
from rollwatch.core.topics import Topics, ensure_topics
from tests.support.allinone import RunningProduct, new_namespace, rollwatch_process
from tests.support.events import deletion, enrolment, upn_for
from tools.harness.broker import local_broker, running

pytestmark = pytest.mark.kafka

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
SCHOOL = "100046"  # an open LA 886 school in tests/fixtures/gias


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    with running(local_broker(tmp_path_factory.mktemp("secured-kafka"), sasl=True)) as started:
        yield started


def _granted(broker: LocalKafka) -> Topics:
    """A namespace of its own with the product's topics and every principal's ACLs, as
    `rollwatch kafka start --sasl` makes them."""
    topics = Topics(new_namespace())
    ensure_topics(broker.connection, topics, events_partitions=2)
    apply_grants(broker.connection, topics)
    return topics


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
        KafkaConnection(
            broker.bootstrap, "SASL_SSL", username="integrator", password=SecretStr("x"), ca_file=ca
        ),
    ]
    for stranger in strangers:
        with pytest.raises(KafkaError):
            KafkaProducer(**stranger.client_options(), bootstrap_timeout_ms=3_000)


def test_each_principal_writes_only_the_topics_its_acls_name(broker: LocalKafka) -> None:
    topics = _granted(broker)
    table = grants(topics)
    probed = (topics.pupil_events, topics.access_keys, topics.pupil_moves)
    for role in ROLES:
        kafka = _as(broker, role)
        expected = {
            t
            for t in probed
            if role in SUPER_USERS or any(g.name == t and "Write" in g.operations for g in table[role])
        }
        assert {t for t in probed if _writes(kafka, t)} == expected, role
    # An integrator's own principal, added later (`rollwatch kafka principal NAME`): events only.
    add_principal(broker.connection, topics, "integrator-acme-mis", "integrator", "acme-password-0123")
    acme = _as(broker, "integrator").with_user("integrator-acme-mis", "acme-password-0123")
    assert _writes(acme, topics.pupil_events)
    assert not _writes(acme, topics.access_keys)


@pytest.mark.clickhouse
@pytest.mark.e2e
def test_the_product_works_end_to_end_on_the_secured_broker(broker: LocalKafka, tmp_path: Path) -> None:
    topics = _granted(broker)
    as_product, as_admin = _as(broker, "rollwatch").settings(), _as(broker, "admin").settings()
    with rollwatch_process(
        broker.bootstrap, tmp_path / "product", namespace=topics.namespace, cli_settings=as_admin,
        alert_tick_seconds="0.5", **as_product,
    ) as product:  # fmt: skip
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

        _run_the_guides_direct_producer(broker, topics)
        assert [e["type"] for e in _history(product, "H801200001001")] == ["pupil.deleted"]


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


def _run_the_guides_direct_producer(broker: LocalKafka, topics: Topics) -> None:
    """docs/integrators.md's Kafka example, as written, with the integrator's principal."""
    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    integrator = {f"ROLLWATCH_{k.upper()}": v for k, v in _as(broker, "integrator").settings().items()}
    env = os.environ | integrator | {"ROLLWATCH_TOPIC": topics.pupil_events}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
