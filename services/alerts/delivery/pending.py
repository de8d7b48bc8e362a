"""Notifications on their way, kept where a crash cannot lose them.

An email digest waits up to `digest_interval_s` (300 s by default) and a webhook may retry for
minutes; both live in the process until they settle. With a `PendingStore` the `Dispatcher`
writes each notification a route takes as `queued` before `submit` returns (the alert service
commits the Kafka offset that raised it only after that), records it `delivered` or
`dead_lettered` when its delivery settles, and on `restore()` at start takes up again every
notification still queued: a digest keeps its place in time (it is sent `digest_interval_s` after
the first notification of the batch was queued, even across a restart), a webhook starts its
attempts again with the same delivery id. A step recorded in `alert_lifecycle` whose notification
a crash stopped before it was queued is caught up at start too (`Notifier.catch_up`). Delivery is
at least once: a crash between a receiver's
acceptance and the `delivered` row sends it again, with the same `Idempotency-Key` (webhooks) or,
for the same set of alert changes, the same `Message-ID` (email).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from services.alerts.delivery.notification import Notification
from services.alerts.delivery.outcomes import Channel

Settled = Literal["delivered", "dead_lettered"]


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification a route took (the route's copy) and when."""

    route_id: str
    channel: Channel
    notification: Notification
    at: dt.datetime

    @property
    def transition_key(self) -> str:
        return self.notification.transition_key


class PendingStore(Protocol):
    """Where queued notifications are kept (ClickHouse in the service, memory in tests)."""

    async def queued(self, entries: Sequence[Queued]) -> None: ...

    async def settled(self, route_id: str, notifications: Sequence[Notification], state: Settled) -> None: ...

    async def pending(self) -> list[Queued]:
        """Every notification whose latest record is `queued`, oldest first."""
        ...

    async def last_queued_at(self) -> dt.datetime | None:
        """When the latest notification was queued; None when none ever was."""
        ...

    async def known(self, transition_keys: Sequence[str]) -> set[str]:
        """Those of `transition_keys` queued on some route, ever."""
        ...


class InMemoryPendingStore:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, Queued | None]] = []  # route, transition, state, entry

    async def queued(self, entries: Sequence[Queued]) -> None:
        self.rows += [(e.route_id, e.transition_key, "queued", e) for e in entries]

    async def settled(self, route_id: str, notifications: Sequence[Notification], state: Settled) -> None:
        self.rows += [(route_id, n.transition_key, state, None) for n in notifications]

    async def pending(self) -> list[Queued]:
        latest: dict[tuple[str, str], tuple[str, Queued | None]] = {}
        for route_id, key, state, entry in self.rows:
            queued = entry if state == "queued" else latest.get((route_id, key), (state, None))[1]
            latest[(route_id, key)] = (state, queued)
        found = [entry for state, entry in latest.values() if state == "queued" and entry is not None]
        return sorted(found, key=lambda entry: entry.at)

    async def last_queued_at(self) -> dt.datetime | None:
        return max((entry.at for *_, entry in self.rows if entry is not None), default=None)

    async def known(self, transition_keys: Sequence[str]) -> set[str]:
        return {key for _, key, _, _ in self.rows} & set(transition_keys)
