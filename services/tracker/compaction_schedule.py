"""The embedded ledger's history tables compacted nightly by the process that holds them.

chDB opens a ledger folder in one process, so with the embedded ledger `rollwatch compact` could
run only with the product stopped. `rollwatch run` (and `rollwatch tracker` on the embedded
ledger) therefore run the same compaction themselves, in a thread of their own, at
`ROLLWATCH_COMPACT_AT` London time (02:30 unless set; "off": never): reads and writes go on beside
it. With a ClickHouse server the Helm chart's CronJob (or the host's cron) runs `rollwatch compact`
instead: once a night for the cluster, not once per tracker replica."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Gauge

from rollwatch.core.clickhouse import ClientPerThread
from services.tracker.compaction import compact

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")

COMPACTIONS = Counter(
    "rollwatch_history_compactions_total",
    "Nightly compactions of the history's tables by this process, by outcome",
    ["outcome"],
)
LAST_COMPACTED = Gauge(
    "rollwatch_history_compacted_timestamp_seconds",
    "When this process last compacted the history's tables (Unix time; 0: not yet)",
)


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The first `at` on London's clock after `now` (an aware datetime). 02:30, the default, exists
    on every day of the year: the clocks change at 01:00 GMT in March and October."""
    local = now.astimezone(LONDON)
    due = dt.datetime.combine(local.date(), at, tzinfo=LONDON)
    if due <= local:
        due = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tzinfo=LONDON)
    return due


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NightlyCompaction:
    """A daemon thread: sleeps until the next `at`, compacts, and again; `stop` ends the wait (a
    compaction under way finishes first: the merge cannot be cut off part-way)."""

    def __init__(self, clients: ClientPerThread, at: dt.time, now: Callable[[], dt.datetime] = _now) -> None:
        self._clients = clients
        self._at = at
        self._now = now
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="history-compaction", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=300)

    def _run(self) -> None:
        while True:
            due = next_run(self._now(), self._at)
            log.info("history compaction scheduled", extra={"at": due.isoformat()})
            if self._stopping.wait(max(0.0, (due - self._now()).total_seconds())):
                return
            try:
                done = compact(self._clients.get(), progress=log.info)
            except Exception:
                COMPACTIONS.labels("failed").inc()
                log.exception("history compaction failed; tried again the next night")
            else:
                COMPACTIONS.labels("done").inc()
                LAST_COMPACTED.set(self._now().timestamp())
                log.info(
                    "history compaction done",
                    extra={"seconds": round(sum(table.seconds for table in done), 1)},
                )
            # Past `due` now, so the next wait is for the next day's.
