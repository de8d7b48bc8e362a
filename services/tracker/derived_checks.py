"""The tables the tracker derives from the ledger, recomputed from it and compared.

- `pupil_identity_links`: recomputed in SQL from the events' `former_upn`; a link missing, added
  or altered is named.
- `pupil_placements`: each pupil's events replayed through the same `placement.apply` the tracker
  uses, in the order Kafka gave them, and the result compared with the pupil's latest placement
  row (content, and a version no older than the pupil's last ledger row: a copy of an event
  that Kafka holds twice, at a later offset, moves the version on without changing the content).
- The tables materialised views keep from the ledger (`pupil_history_rows`, `ledger_school_events`,
  `ledger_references`, `school_pupil_rolls`): compared in services/tracker/view_copies.py.
- The `by_school_and_date` projection of the ledger is not a table one can write: ClickHouse
  rebuilds it from the ledger's own rows on every insert and mutation, so it needs no check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client

from schemas import parse_event
from services.tracker import placement
from services.tracker.tables import IDENTITY_LINKS, LEDGER, PLACEMENTS


@dataclass(frozen=True)
class DerivedBreak:
    table: str
    upn: str
    problem: str


_LINKS_DIFFER = f"""
SELECT upn, former_upn, event_id, 'missing: the ledger has this link' FROM (
    SELECT upn, JSONExtractString(event, 'former_upn') AS former_upn, event_id FROM {LEDGER}
    WHERE former_upn != '' AND former_upn != upn
    EXCEPT SELECT upn, former_upn, event_id FROM {IDENTITY_LINKS}
)
UNION ALL
SELECT upn, former_upn, event_id, 'added: no ledger event makes this link' FROM (
    SELECT upn, former_upn, event_id FROM {IDENTITY_LINKS}
    EXCEPT
    SELECT upn, JSONExtractString(event, 'former_upn'), event_id FROM {LEDGER}
    WHERE JSONExtractString(event, 'former_upn') NOT IN ('', upn)
)
ORDER BY upn LIMIT 1
"""


def check_identity_links(client: Client) -> DerivedBreak | None:
    found = client.query(_LINKS_DIFFER).result_rows
    if not found:
        return None
    upn, former, _, problem = found[0]
    return DerivedBreak(IDENTITY_LINKS, str(upn), f"link to former UPN {former} {problem}")


def check_placements(client: Client) -> tuple[int, DerivedBreak | None]:
    """Replays every pupil; returns how many were compared and the first that differs."""
    stored = _stored_placements(client)
    compared = 0
    for upn, events in _pupils_events(client):
        compared += 1
        state: dict[str, Any] | None = None
        for offset, event in events:
            state, _ = placement.apply(state, parse_event(event), offset)
        assert state is not None
        version, text = stored.pop(upn, (None, None))
        if text is None:
            return compared, DerivedBreak(
                PLACEMENTS, upn, "missing: the pupil has ledger rows but no placement"
            )
        if orjson.loads(text) != orjson.loads(orjson.dumps(placement.summary(state))):
            return compared, DerivedBreak(
                PLACEMENTS, upn, "altered: the placement is not what the ledger gives"
            )
        if version is None or version < state["offset"]:
            return compared, DerivedBreak(
                PLACEMENTS, upn, "altered: the version is older than the pupil's last event"
            )
    if stored:
        upn = min(stored)
        return compared, DerivedBreak(PLACEMENTS, upn, "added: a placement for a pupil with no ledger rows")
    return compared, None


def _stored_placements(client: Client) -> dict[str, tuple[int, str]]:
    rows = client.query(
        f"SELECT upn, max(version), argMax(placement, version) FROM {PLACEMENTS} GROUP BY upn"
    ).result_rows
    return {str(upn): (int(version), str(text)) for upn, version, text in rows}


def _pupils_events(client: Client) -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    """Each pupil's (offset, event) in the order its partition gave them, one pupil at a time."""
    current: str | None = None
    events: list[tuple[int, bytes]] = []
    with client.query_row_block_stream(
        f"SELECT upn, kafka_offset, event FROM {LEDGER} ORDER BY upn, kafka_partition, kafka_offset"
    ) as stream:
        for block in stream:
            for upn, offset, event in block:
                if upn != current:
                    if current is not None:
                        yield current, events
                    current, events = upn, []
                events.append((int(offset), event.encode() if isinstance(event, str) else event))
    if current is not None:
        yield current, events
