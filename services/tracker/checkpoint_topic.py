"""The `ledger-checkpoints` topic: a copy of every signed checkpoint outside the database, so that
rewriting the database's checkpoints (with or without the secret) shows as a difference from
what the tracker published at the time. One JSON record per checkpoint, keyed by its id: the
checkpoint's fields as signed (`Checkpoint.document`) and its `signature`.

The tracker's leader publishes, after each checkpoint, every signed checkpoint newer than the
topic's last one (read from the topic when it starts), so a publish that failed, or a leader that
died between writing and publishing, is made good at the next interval."""

from __future__ import annotations

from typing import Any

import orjson

from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.topic_reads import read_partition
from services.tracker.checkpoints import Checkpoint


def encode(checkpoint: Checkpoint, signature: str) -> tuple[bytes, bytes]:
    """The record's key and value."""
    value = orjson.dumps(checkpoint.document() | {"signature": signature})
    return str(checkpoint.checkpoint_id).encode(), value


def _decode(value: bytes | None) -> dict[str, Any]:
    """A record's document; empty when it is not a checkpoint's (verify names it)."""
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) and isinstance(document.get("checkpoint_id"), int) else {}


def read_published(kafka: KafkaConnection, topic: str) -> list[dict[str, Any]]:
    """Blocking: every record on the topic, in the order published."""
    return [_decode(message.value) for message in read_partition(kafka, topic)]


def last_published_id(kafka: KafkaConnection, topic: str) -> int:
    """Blocking: the id of the topic's newest checkpoint; 0 when it has none."""
    found = [_decode(message.value) for message in read_partition(kafka, topic, last=1)]
    return max((int(document["checkpoint_id"]) for document in found if document), default=0)
