"""The alert service's notifications that are not delivered yet, in its own tables: what the routes
took and has not settled (`alert_outbox`, migration 0015: see `delivery/pending.py`), and the
deliveries given up on (`alert_dead_letters`, written by `notify.ClickHouseDeliveryLog`), listed
and sent again on request (`rollwatch alerts dead-letters`, `GET /v1/alerts/dead-letters`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rollwatch.core.clickhouse import ClientPerThread
from services.alerts.delivery import DeadLetter, Notification
from services.alerts.delivery import notification as notification_json
from services.alerts.delivery.pending import Queued, Settled

OUTBOX = "alert_outbox"
DEAD_LETTERS = "alert_dead_letters"
_COLUMNS = ["route_id", "channel", "transition_key", "state", "at", "alert_id", "la_code", "notification"]
# A redelivery is queued in the outbox again: a dead letter whose notifications all settled
# `delivered` after it was kept has been redelivered; one with some still queued is on its way.
LetterState = Literal["dead", "redelivering", "redelivered"]


class ClickHousePendingStore:
    def __init__(self, clients: ClientPerThread) -> None:
        self._clients = clients

    async def queued(self, entries: Sequence[Queued]) -> None:
        rows = [
            [e.route_id, e.channel, e.transition_key, "queued", e.at, e.notification.alert_id,
             e.notification.la_code, notification_json.dumps([e.notification])]
            for e in entries
        ]  # fmt: skip
        await asyncio.to_thread(self._insert, rows)

    async def settled(self, route_id: str, notifications: Sequence[Notification], state: Settled) -> None:
        now = dt.datetime.now(dt.UTC)
        rows = [
            [route_id, "", n.transition_key, state, now, n.alert_id, n.la_code, ""] for n in notifications
        ]
        await asyncio.to_thread(self._insert, rows)

    async def pending(self) -> list[Queued]:
        return await asyncio.to_thread(self._pending)

    async def last_queued_at(self) -> dt.datetime | None:
        def query() -> dt.datetime | None:
            [(count, latest)] = (
                self._clients.get()
                .query(f"SELECT countIf(state = 'queued'), maxIf(at, state = 'queued') FROM {OUTBOX}")
                .result_rows
            )
            return _utc(latest) if count else None

        return await asyncio.to_thread(query)

    async def known(self, transition_keys: Sequence[str]) -> set[str]:
        def query() -> set[str]:
            wanted = "transition_key IN {keys:Array(String)}"
            result = self._clients.get().query(
                f"SELECT DISTINCT transition_key FROM {OUTBOX} WHERE {wanted}",
                parameters={"keys": list(transition_keys)},
            )
            return {key for (key,) in result.result_rows}

        return await asyncio.to_thread(query) if transition_keys else set()

    def _insert(self, rows: list[list[Any]]) -> None:
        self._clients.get().insert(OUTBOX, rows, column_names=_COLUMNS)

    def _pending(self) -> list[Queued]:
        # The latest row of each (route, transition) decides; on a tie of times, settled wins.
        result = self._clients.get().query(
            f"""
            SELECT route_id, anyIf(channel, state = 'queued'), argMaxIf(notification, at, state = 'queued'),
                   maxIf(at, state = 'queued') AS queued_at
            FROM {OUTBOX}
            GROUP BY route_id, transition_key
            HAVING argMax(state, (at, state != 'queued')) = 'queued'
            ORDER BY queued_at
            """
        )
        return [
            Queued(route_id, channel, notification_json.loads(body)[0], _utc(at))
            for route_id, channel, body, at in result.result_rows
        ]


@dataclass(frozen=True, slots=True)
class StoredLetter:
    """A dead letter as kept, with what became of it since."""

    letter: DeadLetter
    state: LetterState

    def as_dict(self) -> dict[str, Any]:
        letter = self.letter
        return {
            "delivery_id": letter.delivery_id, "channel": letter.channel, "route_id": letter.route_id,
            "la_code": letter.la_code, "attempts": letter.attempts, "error": letter.error,
            "at": letter.at.isoformat(), "alert_ids": list(letter.alert_ids), "state": self.state,
        }  # fmt: skip


def dead_letters(
    clients: ClientPerThread, la_code: str | None = None, delivery_id: str | None = None
) -> list[StoredLetter]:
    """Dead letters, newest first (one LA's, or one delivery's), each with its state. Blocking."""
    conditions, parameters = [], {}
    if la_code is not None:
        conditions.append("la_code = {la:String}")
        parameters["la"] = la_code
    if delivery_id is not None:
        conditions.append("delivery_id = {id:String}")
        parameters["id"] = delivery_id
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    client = clients.get()
    rows = client.query(
        f"SELECT delivery_id, channel, route_id, la_code, attempts, error, at, notifications "
        f"FROM {DEAD_LETTERS} {where} ORDER BY at DESC, delivery_id",
        parameters=parameters,
    ).result_rows
    letters = [
        DeadLetter(delivery_id=row[0], channel=row[1], route_id=row[2], la_code=row[3], attempts=int(row[4]),
                   error=row[5], at=_utc(row[6]), notifications=notification_json.loads(row[7]))
        for row in rows
    ]  # fmt: skip
    return [StoredLetter(letter, _state(client, letter)) for letter in letters]


def _state(client: Any, letter: DeadLetter) -> LetterState:
    """`redelivered` once every notification queued again after the letter was kept settled
    delivered; `redelivering` while any is still queued; else `dead` (never sent again, or sent
    again and given up on again: that is a newer dead letter)."""
    keys = [n.transition_key for n in letter.notifications]
    rows = client.query(
        f"SELECT transition_key, argMax(state, (at, state != 'queued')) FROM {OUTBOX} "
        "WHERE route_id = {route:String} AND transition_key IN {keys:Array(String)} GROUP BY transition_key "
        "HAVING maxIf(at, state = 'queued') > toDateTime64({kept:String}, 6, 'UTC')",
        parameters={"route": letter.route_id, "keys": keys, "kept": _text(letter.at)},
    ).result_rows
    states = dict(rows)
    if states and all(states.get(key) == "delivered" for key in keys):
        return "redelivered"
    if "queued" in states.values():
        return "redelivering"
    return "dead"


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def newest_letter(clients: ClientPerThread, delivery_id: str) -> StoredLetter | None:
    """The latest dead letter of a delivery (a webhook given up on again keeps its id). Blocking."""
    found = dead_letters(clients, delivery_id=delivery_id)
    return found[0] if found else None
