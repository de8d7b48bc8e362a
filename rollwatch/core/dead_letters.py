"""The headers of a dead letter, the same on every service's dead-letter topic: why the message
could not be processed (a JSON list of {field, rule, message}) and where it came from. The value
is the original message, byte for byte, so nothing is lost and it can be replayed once fixed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

# An exception's text may hold anything it was given; the reason keeps this much of it.
REASON_TEXT_LIMIT = 500


def dead_letter_headers(
    reasons: Sequence[Mapping[str, str]], topic: str, partition: int, offset: int
) -> list[tuple[str, bytes]]:
    return [
        ("rollwatch.reason", orjson.dumps(list(reasons))),
        ("rollwatch.source.topic", topic.encode()),
        ("rollwatch.source.partition", str(partition).encode()),
        ("rollwatch.source.offset", str(offset).encode()),
    ]


def failure_reason(exc: BaseException) -> dict[str, str]:
    """A processing failure as a reason: rule `processing_failed`, the exception's type and text.
    Goes to the dead-letter topic only (which holds the whole message anyway), never to logs."""
    text = f"{type(exc).__name__}: {exc}"[:REASON_TEXT_LIMIT]
    return {"field": "(event)", "rule": "processing_failed", "message": text}
