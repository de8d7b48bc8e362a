"""Invalid messages are never dropped: they go to `pupil-events.dlq` with their original bytes,
the reason and where they came from."""

from __future__ import annotations

import orjson

from schemas import Problem


def dlq_headers(problems: list[Problem], topic: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("rollwatch.reason", orjson.dumps([p.as_dict() for p in problems])),
        ("rollwatch.source.topic", topic.encode()),
        ("rollwatch.source.partition", str(partition).encode()),
        ("rollwatch.source.offset", str(offset).encode()),
    ]
