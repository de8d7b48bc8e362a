"""The key ring on the real broker: records produced straight to `access-keys` without the secret
mint nothing (ignored and counted), the follower survives its consumer failing, /readyz says so
when it is not following, and records from before signing are adopted only when asked."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from kafka import KafkaProducer

from rollwatch.app.cli import main
from rollwatch.app.http_app import _add_operations
from rollwatch.core.access.keyring import IGNORED, RESTARTS, KeyRing, publish_record, read_records
from rollwatch.core.access.keys import matches, new_key
from rollwatch.core.settings import Settings, get_settings
from rollwatch.core.topics import Topics, ensure_topics
from tests.support.brokers import KafkaForTests
from tests.support.secrets import SECRETS, produce_forged_keys

pytestmark = pytest.mark.kafka


@pytest.fixture
def topic(kafka: KafkaForTests) -> str:
    topics = Topics(f"keys{uuid.uuid4().hex[:8]}.")
    ensure_topics(kafka.connection, topics, 1)
    return topics.access_keys


async def _until(check: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


def test_a_forged_key_record_is_ignored_and_counted(kafka: KafkaForTests, topic: str) -> None:
    ignored = {reason: IGNORED.labels(reason)._value.get() for reason in ("unsigned", "unknown_secret")}
    forged = produce_forged_keys(kafka.bootstrap, topic)
    token, record = new_key("school", secrets=SECRETS, urns=("100000",))

    async def scenario() -> None:
        ring = KeyRing(kafka.connection, topic, SECRETS)
        await ring.start()
        try:
            assert ring.authenticate(forged) is None
            publish_record(kafka.connection, topic, record, SECRETS)
            await _until(lambda: ring.authenticate(token) is not None)
            assert ring.authenticate(forged) is None
        finally:
            await ring.stop()

    asyncio.run(scenario())
    for reason, before in ignored.items():
        assert IGNORED.labels(reason)._value.get() == before + 1, reason


def test_the_follower_restarts_after_its_consumer_fails_and_readyz_fails_when_it_stops(
    kafka: KafkaForTests, topic: str
) -> None:
    token, record = new_key("auditor", secrets=SECRETS)
    publish_record(kafka.connection, topic, record, SECRETS)
    restarts = RESTARTS._value.get()

    async def scenario() -> None:
        ring = KeyRing(kafka.connection, topic, SECRETS)
        await ring.start()
        app = FastAPI()
        app.state.keyring = ring
        _add_operations(app, Settings(kafka_bootstrap=kafka.bootstrap), frozenset({"ingest"}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"]["key_follower"] is True
            assert ring.authenticate(token) is not None
            assert ring._consumer is not None
            await ring._consumer.stop()  # the consumer fails under the follower
            await _until(lambda: RESTARTS._value.get() > restarts)
            revoked = record.model_copy(update={"revoked_at": dt.datetime.now(dt.UTC)})
            publish_record(kafka.connection, topic, revoked, SECRETS)
            await _until(lambda: ring.authenticate(token) is None)  # followed again: the revocation holds
            await _until(lambda: ring.following)
            assert ring._follower is not None
            ring._follower.cancel()  # the follower gone, however it went
            await asyncio.sleep(0)
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json()["checks"]["key_follower"] is False
        await ring.stop()

    asyncio.run(scenario())


def test_keys_from_before_signing_are_adopted_only_when_asked(
    kafka: KafkaForTests, topic: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record as releases before signing wrote it (unsigned, the key's plain SHA-256): ignored,
    listed by `rollwatch keys adopt`, and working once adopted with `--yes`."""
    token, record = new_key("auditor", secrets=SECRETS, label="from before signing")
    legacy = record.model_copy(update={"key_hash": hashlib.sha256(token.encode()).hexdigest()})
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    producer.send(topic, key=record.key_id.encode(), value=legacy.model_dump_json().encode()).get(timeout=30)
    producer.close()
    assert read_records(kafka.connection, topic, SECRETS) == {}
    namespace = topic.removesuffix("access-keys")
    for name, value in (("KAFKA_BOOTSTRAP", kafka.bootstrap), ("NAMESPACE", namespace)):
        monkeypatch.setenv(f"ROLLWATCH_{name}", value)
    monkeypatch.setenv("ROLLWATCH_SECRET_KEY", SECRETS.current.decode())
    get_settings.cache_clear()
    try:
        assert main(["keys", "adopt"]) == 0
        assert record.key_id in capsys.readouterr().out
        assert read_records(kafka.connection, topic, SECRETS) == {}  # listed, not adopted
        assert main(["keys", "adopt", "--yes"]) == 0
    finally:
        get_settings.cache_clear()
    [adopted] = read_records(kafka.connection, topic, SECRETS).values()
    assert adopted.key_id == record.key_id and matches(token, adopted, SECRETS)
