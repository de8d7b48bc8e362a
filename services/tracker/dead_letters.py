"""Messages are never dropped: invalid ones, and any whose processing fails, go to
`pupil-events.dlq` with their original bytes, the reason and where they came from."""

from __future__ import annotations

from rollwatch.core.dead_letters import dead_letter_headers
from schemas import Problem


def dlq_headers(problems: list[Problem], topic: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return dead_letter_headers([p.as_dict() for p in problems], topic, partition, offset)
