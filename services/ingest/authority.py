"""The authority rules over a pupil (schemas/authority.py) at the API: a school retracts only its
own events, records a death or links a former UPN only for a pupil on its roll. Judged against the
ledger (`app.state.pupil_records`, wired by the app wherever a ledger is at hand, as the 409 check
is), this process's memory of the events it published lately (which the tracker may not have
written yet), and the events before in the same request. Without a ledger at hand the tracker
alone judges them, and dead-letters what it refuses."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from schemas import Envelope, Problem
from schemas.authority import Records, Sent, refusals, sent, upns_to_read

RecordsLookup = Callable[[set[str]], Records]


class RecentEvents:
    """What the rules need of the events this process published lately, by UPN. Bounded: the
    ledger holds them within seconds, so only the newest matter."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._events: OrderedDict[str, tuple[Sent, str | None]] = OrderedDict()
        self._by_upn: dict[str, list[str]] = {}  # lists: a pupil has a few events at most here

    def remember(self, events: Iterable[Envelope]) -> None:
        for event in events:
            this = sent(event)
            if this.event_id not in self._events:
                self._by_upn.setdefault(this.upn, []).append(this.event_id)
            self._events[this.event_id] = (this, event.former_upn)
        while len(self._events) > self._capacity:
            event_id, (old, _) = self._events.popitem(last=False)
            ids = self._by_upn.get(old.upn)
            if ids is not None:
                ids.remove(event_id)
                if not ids:
                    del self._by_upn[old.upn]

    def add_to(self, records: Records) -> None:
        """Add the remembered events of every UPN in `records` that it does not hold yet."""
        held = {e.event_id for events in records.events.values() for e in events}
        for upn in sorted({u for identity in records.identities.values() for u in identity}):
            for event_id in self._by_upn.get(upn, ()):
                if event_id not in held:
                    this, former = self._events[event_id]
                    records.add(this, former)
                    held.add(event_id)


def recent_events(request: Request) -> RecentEvents:
    if not hasattr(request.app.state, "recent_events"):
        request.app.state.recent_events = RecentEvents()
    recent: RecentEvents = request.app.state.recent_events
    return recent


async def refused(request: Request, events: Sequence[Envelope]) -> dict[int, Problem]:
    """The events (by their index in `events`) this school may not send about these pupils."""
    lookup: RecordsLookup | None = getattr(request.app.state, "pupil_records", None)
    upns = upns_to_read(events)
    if lookup is None or not upns:
        return {}
    records = await run_in_threadpool(lookup, upns)
    recent_events(request).add_to(records)
    return refusals(events, records)


def forbidden_pupil(refused: list[dict[str, Any]]) -> JSONResponse:
    """The whole request refused: it says what its key may not say about these pupils."""
    return JSONResponse(
        {
            "error": "forbidden_pupil",
            "message": "this school may not send these events about these pupils (see each problem)",
            "indexes": [item["index"] for item in refused],
            "refused": refused,
        },
        status_code=403,
    )
