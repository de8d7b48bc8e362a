"""The alert service: a Faust agent on `pupil-moves` that judges each ledger event, durable
clocks for the rules that wait, and the lifecycle of what they raise.

State lives in Faust tables co-partitioned by UPN (each pupil's recent events, and the pupil's
pending wake-ups) so it survives a restart through their changelogs; the alerts themselves live
in ClickHouse (`alert_lifecycle`) and fold by fingerprint, so replaying the same events raises
nothing new and a clock that fires twice changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
import orjson
from faust.types.tables import TableT
from faust.types.tuples import RecordMetadata
from kafka.partitioner.default import murmur2
from prometheus_client import Counter, Histogram

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.dead_letters import dead_letter_headers, failure_reason
from rollwatch.core.settings import Settings
from rollwatch.core.table_store import put
from services.alerts.adapter import to_fact
from services.alerts.candidates import AlertCandidate, WakeUp
from services.alerts.facts import Deletion, PupilState
from services.alerts.fingerprints import rekeyed, use_key
from services.alerts.judge import Judgement, judge_fact, judge_school, judge_tick
from services.alerts.la_rules import LARules, load_la_rules
from services.alerts.lifecycle import Alert, AlertBook
from services.alerts.school_stats import school_stats
from services.alerts.store import AlertStore
from services.alerts.wake_ups import DueIndex
from services.schools.register import SchoolsRegister

log = logging.getLogger(__name__)

TRANSITIONS = Counter("rollwatch_alert_transitions_total", "Alert lifecycle steps", ["rule", "transition"])
DEAD_LETTERS = Counter(
    "rollwatch_alert_dead_letters_total",
    "Records the alert service could not judge, sent to pupil-moves.dlq, by source",
    ["source"],
)
JUDGE_SECONDS = Histogram("rollwatch_alert_judge_seconds", "Time to judge one ledger event")
HISTORY_YEARS = 2  # the longest look-back of any rule is 12 months; keep a margin


class AlertService:
    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        store: AlertStore,
        schools: SchoolsRegister,
        clients: ClientPerThread,
    ) -> None:
        self.app = app
        self.clients = clients
        use_key(settings.fingerprint_secret)
        # Schools with a new exit, judged at the next tick (one read however many exits came).
        self._dirty_schools: dict[str, tuple[str, dt.date]] = {}
        self.settings = settings
        self.store = store
        self.schools = schools
        self.book = AlertBook()
        self.listeners: list[Any] = []  # async callables given each new alert step (notifications)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-store")
        self.moves_topic = app.topic(
            settings.topics.pupil_moves, key_serializer="raw", value_serializer="raw"
        )
        self.dlq_topic = app.topic(
            settings.topics.pupil_moves_dlq, key_serializer="raw", value_serializer="raw"
        )
        self.alert_topic = app.topic(
            settings.topics.alert_events, key_serializer="raw", value_serializer="raw"
        )
        partitions = settings.events_partitions
        self.partitions = partitions
        self.pupils = app.Table("alert-pupils", default=None, partitions=partitions)
        self.clocks = app.Table("alert-clocks", default=None, partitions=partitions)
        self.watermarks = app.Table("alert-watermarks", default=None, partitions=partitions)
        # The ticks read only the due pupils' clocks (wake_ups.py); rebuilt after each recovery.
        self.due = DueIndex()
        self.clocks.on_recover(self._index_clocks)
        app.agent(self.moves_topic, name="alerts")(self._consume)
        app.timer(settings.alert_tick_seconds)(self._tick)

    async def load(self) -> None:
        alerts, silences = await asyncio.get_running_loop().run_in_executor(self._executor, self.store.load)
        self.book.restore(alerts, silences)
        log.info("alerts loaded", extra={"alerts": len(alerts), "silences": len(silences)})

    def rules_for(self, la_code: str) -> LARules:
        directory = self.settings.alerts_config_dir
        return load_la_rules(la_code, (directory / "calendars",), (directory / "rules",))

    # -- the stream ---------------------------------------------------------------------------
    async def _consume(self, stream: faust.StreamT) -> None:
        async for event in stream.events():
            started = asyncio.get_running_loop().time()
            try:
                await self._judge_record(event.value, event.message.partition)
            except Exception as exc:
                # One record must never stop the judging of the next: it goes to the DLQ, counted.
                message = event.message
                await self._dead_letter(
                    "pupil-moves",
                    exc,
                    message.key,
                    message.value,
                    message.topic,
                    message.partition,
                    message.offset,
                )
            JUDGE_SECONDS.observe(asyncio.get_running_loop().time() - started)

    async def _judge_record(self, value: bytes, partition: int) -> None:
        record = orjson.loads(value)
        await self._judge(record["event"], partition)
        former = record["event"].get("former_upn")
        if former and former != record["event"]["upn"]:
            # A temporary UPN replaced by a permanent one: one pupil. The event also answers
            # (resolves) what is open under the former UPN, without raising anything twice.
            await self._judge(
                record["event"] | {"upn": former}, partition_of(former, self.partitions), resolve_only=True
            )

    async def _dead_letter(
        self,
        source: str,
        exc: Exception,
        key: bytes | None,
        value: bytes | None,
        topic: str,
        partition: int,
        offset: int,
    ) -> None:
        """Keep what could not be judged on `pupil-moves.dlq` with the reason; log only the
        exception's type and where the record came from (its text may quote the event)."""
        DEAD_LETTERS.labels(source).inc()
        log.error(
            "judging failed; sent to the dead-letter topic",
            extra={
                "source": source,
                "error_type": type(exc).__name__,
                "partition": partition,
                "offset": offset,
            },
        )
        headers = dead_letter_headers([failure_reason(exc)], topic, partition, offset)
        await (await self.dlq_topic.send(key=key, value=value, headers=headers))

    async def _judge(self, raw: dict[str, Any], partition: int, resolve_only: bool = False) -> None:
        fact = to_fact(raw, self.schools)
        if fact is None:
            return
        upn = fact.upn
        history: list[dict[str, Any]] = list(self.pupils.get(upn) or [])
        if any(item["event_id"] == fact.event_id for item in history):
            return  # a replayed event: judged already
        state = PupilState(upn, tuple(f for f in (to_fact(item, self.schools) for item in history) if f))
        rules = self.rules_for(fact.la_code)
        judgement = judge_fact(state, fact, rules.calendar, rules.parameters, self.book.open_for(upn))
        if resolve_only:
            judgement = Judgement(resolutions=judgement.resolutions)
        now = dt.datetime.now(dt.UTC)
        steps = [s for s in (self.book.raise_candidate(c, now) for c in judgement.candidates) if s]
        steps += [s for s in (self.book.apply_resolution(r, now) for r in judgement.resolutions) if s]
        await self._record(steps)

        self._put(self.pupils, upn, _recent([*history, raw]), partition)
        clocks = [c for c in self._clocks_of(upn) if c["fingerprint"] not in _closed(judgement)]
        known = {c["fingerprint"] for c in clocks}
        clocks += [_clock(w, partition) for w in judgement.wake_ups if w.fingerprint not in known]
        if clocks or self.clocks.get(upn):
            self._put(self.clocks, upn, clocks, partition)
        if isinstance(fact, Deletion):
            _, as_of = self._dirty_schools.get(fact.school_urn, (fact.la_code, fact.occurred_on))
            self._dirty_schools[fact.school_urn] = (fact.la_code, max(as_of, fact.occurred_on))
        watermark = max(fact.occurred_on, fact.recorded_on).isoformat()
        if watermark > (self.watermarks.get(partition) or ""):
            self._put(self.watermarks, partition, watermark, partition)

    def _clocks_of(self, upn: str) -> list[dict[str, Any]]:
        """The pupil's pending clocks; one set before fingerprints were keyed is re-keyed, so the
        wake-up that made it and the resolutions that end it still match it."""
        return [c | {"fingerprint": rekeyed(c["fingerprint"])} for c in self.clocks.get(upn) or []]

    def _put(self, table: TableT[Any, Any], key: Any, value: Any, partition: int) -> None:
        # Written from the agent and from the timer alike, so the changelog partition is given
        # explicitly: the pupil's own partition.
        put(table, partition, key, value)
        table.send_changelog(partition, key, value)
        if table is self.clocks:
            self.due.set(key, value)

    # -- clocks ------------------------------------------------------------------------------
    async def _index_clocks(self) -> None:
        self.due.rebuild(self.clocks.data.items())

    def today(self) -> dt.date | None:
        marks = [dt.date.fromisoformat(v) for v in self.watermarks.data.values() if v]
        event_day = max(marks) if marks else None
        if self.settings.alert_clock == "event":
            return event_day
        wall = dt.datetime.now(dt.UTC).date()
        return max(event_day, wall) if event_day else wall

    async def _tick(self) -> None:
        await self._judge_schools()
        day = self.today()
        if day is None:
            return
        due = [(upn, clocks) for upn in self.due.take_due(day) if (clocks := self.clocks.get(upn))]
        for upn, clocks in due:
            try:
                await self._fire(upn, clocks, day)
            except Exception as exc:
                # The pupil's due clocks go to the DLQ and are dropped, so they cannot fail at
                # every tick; the clocks of every other pupil still fire.
                fired = [c for c in clocks if dt.date.fromisoformat(c["fires_on"]) <= day]
                partition = int(clocks[0]["partition"])
                body = orjson.dumps({"upn": upn, "clocks": fired, "day": day.isoformat()})
                await self._dead_letter(
                    "alert-clocks", exc, upn.encode(), body, "alert-clocks", partition, -1
                )
                remaining = [c for c in clocks if c not in fired]
                self._put(self.clocks, upn, remaining, partition)

    async def _fire(self, upn: str, clocks: list[dict[str, Any]], day: dt.date) -> None:
        history = self.pupils.get(upn) or []
        state = PupilState(upn, tuple(f for f in (to_fact(item, self.schools) for item in history) if f))
        fired = [c for c in clocks if dt.date.fromisoformat(c["fires_on"]) <= day]
        candidates: list[AlertCandidate] = []
        for la_code in {c["la_code"] for c in fired}:
            rules = self.rules_for(la_code)
            candidates += judge_tick(state, day, rules.calendar, rules.parameters)
        now = dt.datetime.now(dt.UTC)
        steps = [s for s in (self.book.raise_candidate(c, now) for c in candidates) if s]
        await self._record(steps)
        remaining = [c for c in clocks if dt.date.fromisoformat(c["fires_on"]) > day]
        self._put(self.clocks, upn, remaining, fired[0]["partition"])

    async def _judge_schools(self) -> None:
        dirty, self._dirty_schools = self._dirty_schools, {}
        for urn, (la_code, as_of) in dirty.items():
            try:
                await self._judge_school(urn, la_code, as_of)
            except Exception as exc:
                body = orjson.dumps({"school_urn": urn, "la_code": la_code, "as_of": as_of.isoformat()})
                await self._dead_letter("school-stats", exc, urn.encode(), body, "school-stats", 0, -1)

    async def _judge_school(self, urn: str, la_code: str, as_of: dt.date) -> None:
        loop = asyncio.get_running_loop()
        rules = self.rules_for(la_code)
        stats = await loop.run_in_executor(
            self._executor,
            school_stats,
            self.clients,
            self.schools,
            urn,
            la_code,
            as_of,
            rules.parameters,
        )
        now = dt.datetime.now(dt.UTC)
        candidates = judge_school(stats, rules.calendar, rules.parameters)
        await self._record([s for s in (self.book.raise_candidate(c, now) for c in candidates) if s])

    # -- lifecycle ---------------------------------------------------------------------------
    async def record_steps(self, steps: list[Alert]) -> None:
        """For officers' actions through the API: same path as the stream's own steps."""
        await self._record(steps)

    async def _record(self, steps: list[Alert]) -> None:
        if not steps:
            return
        # In the ledger before the source offset can be committed (the agent acks after this).
        await asyncio.get_running_loop().run_in_executor(self._executor, self.store.append, steps)
        sent: list[Awaitable[RecordMetadata]] = []
        for step in steps:
            TRANSITIONS.labels(step.rule, step.transition).inc()
            body = orjson.dumps(step.as_dict() | {"fingerprint": None})  # the fingerprint hashes the UPN
            sent.append(await self.alert_topic.send(key=step.alert_id.encode(), value=body))
        for pending in sent:
            await pending
        for listener in self.listeners:
            await listener(steps)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def partition_of(upn: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a UPN key (murmur2, as producers use)."""
    return (murmur2(upn.encode()) & 0x7FFFFFFF) % partitions


def _recent(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pupil's events within the rules' longest look-back of the newest one."""
    newest = max(dt.date.fromisoformat(item["occurred_on"]) for item in history)
    horizon = newest - dt.timedelta(days=366 * HISTORY_YEARS)
    return [item for item in history if dt.date.fromisoformat(item["occurred_on"]) >= horizon]


def _closed(judgement: Any) -> set[str]:
    return {r.fingerprint for r in judgement.resolutions}


def _clock(wake_up: WakeUp, partition: int) -> dict[str, Any]:
    return {
        "partition": partition,
        "rule": wake_up.rule,
        "fingerprint": wake_up.fingerprint,
        "la_code": wake_up.la_code,
        "fires_on": wake_up.fires_on.isoformat(),
        "due_on": wake_up.due_on.isoformat(),
        "key_event_id": wake_up.key_event_id,
    }
