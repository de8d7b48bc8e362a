"""A resend of an event id with other content is refused (409) after a restart too: the ingest
process's memory of recent ids is gone, so the ledger answers, or, while the event is still only
in Kafka, the compacted topic of accepted ids. A resend with the same content is still a quiet
202 and adds nothing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.support.allinone import rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import enrolment, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SCHOOL = "100046"


def test_a_changed_resend_after_a_restart_is_a_conflict(kafka: KafkaForTests, tmp_path: Path) -> None:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product") as product:
        key = product.new_key("school", urns=(SCHOOL,))
        event = enrolment(upn_for(886, 2100, 19, 5), school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3))

        post = _poster(product.url, key)
        assert post(event).status_code == 202
        deadline = time.monotonic() + 60
        while product.metric("rollwatch_tracker_rows_written_total") < 1:
            assert time.monotonic() < deadline, product.log()[-3000:]
            time.sleep(0.2)

        product.stop()
        product.start()  # a new process: its memory of recent ids is empty

        changed = {**event, "pupil": {**event["pupil"], "sen_provision": "E"}}
        response = post(changed)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "event_id_conflict"
        assert response.json()["indexes"] == [0]
        # The same content again: accepted, not published again.
        again = post(event)
        assert again.status_code == 202 and again.json()["accepted"] == [event["event_id"]]
        time.sleep(1.5)
        assert product.metric("rollwatch_tracker_duplicates_total") == 0
        assert product.metric("rollwatch_tracker_dead_letters_total") == 0


def _poster(url: str, key: str) -> Callable[[dict[str, object]], httpx.Response]:
    def post(body: dict[str, object]) -> httpx.Response:
        return httpx.post(
            f"{url}/v1/events", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    return post


def _published(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def test_a_changed_resend_of_an_event_still_only_in_kafka_is_a_conflict_after_a_restart(
    kafka: KafkaForTests, tmp_path: Path
) -> None:
    """Ingest alone (no tracker: the event never reaches the ledger), killed and started again:
    its memory is gone and no ledger can answer, so the compacted `pupil-event-ids` topic does."""
    with rollwatch_process(kafka.bootstrap, tmp_path / "ingest", ("ingest",)) as ingest:
        key = ingest.new_key("school", urns=(SCHOOL,))
        event = enrolment(upn_for(886, 2100, 19, 6), school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3))

        post = _poster(ingest.url, key)
        assert post(event).status_code == 202
        ingest.kill()
        ingest.start()

        changed = {**event, "pupil": {**event["pupil"], "sen_provision": "E"}}
        response = post(changed)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "event_id_conflict"
        topic = f"{ingest.namespace}pupil-events"
        before = _published(kafka.bootstrap, topic)
        again = post(event)
        assert again.status_code == 202 and again.json()["accepted"] == [event["event_id"]]
        assert _published(kafka.bootstrap, topic) == before == 1, "a repeat is not published again"
