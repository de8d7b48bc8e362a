"""The alert service: a Faust agent on `pupil-moves` that judges each ledger event, durable
clocks for the rules that wait, and the lifecycle of what they raise.

State lives in Faust tables co-partitioned by UPN (each pupil's recent events, and the pupil's
pending wake-ups) so it survives a restart through their changelogs; the alerts themselves live
in ClickHouse (`alert_lifecycle`) and fold by fingerprint, so replaying the same events raises
nothing new and a clock that fires twice changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import faust
import orjson
from faust.types.tables import TableT
from kafka.partitioner.default import murmur2
from prometheus_client import Counter, Gauge, Histogram

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.dead_letters import dead_letter_headers, failure_reason
from rollwatch.core.hold import until_done
from rollwatch.core.settings import Settings
from rollwatch.core.table_store import get, put
from services.alerts.adapter import to_fact
from services.alerts.batch import Batch
from services.alerts.candidates import AlertCandidate, Resolution, WakeUp
from services.alerts.facts import ENGLAND, Deletion, PupilState, SchoolStats
from services.alerts.fingerprints import rekeyed, use_key
from services.alerts.judge import Judgement, judge_fact, judge_school, judge_tick
from services.alerts.la_rules import LARules, load_la_rules
from services.alerts.lifecycle import Alert, AlertBook
from services.alerts.parameters import RuleParameters
from services.alerts.partition_watchdog import PartitionWatchdog
from services.alerts.school_feeds import SchoolFeeds, Verdicts
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
ROLL_CHECKS_PENDING = Gauge("rollwatch_alert_roll_checks_pending", "Roll checks waiting to be judged")
JUDGE_SECONDS = Histogram("rollwatch_alert_judge_seconds", "Time to judge one ledger event")
BATCH_SECONDS = Histogram(
    "rollwatch_alert_batch_seconds", "Time to judge one batch of pupil-moves records and store its steps"
)
STORE_FAILURES = Counter(
    "rollwatch_alert_store_failures_total", "Alert store appends that failed and were retried"
)
# Records judged together: their steps stored in one append, then acknowledged (batch.py).
BATCH_MAX = 500
BATCH_WITHIN_S = 0.2
WATCHDOG_INTERVAL_S = 5.0
HISTORY_YEARS = 2  # the longest look-back of any rule is 12 months; keep a margin
# In event time, a partition's own clock is the newest event it has judged: a pupil's clocks fire
# on it, so an answer (a review, an enrolment) still queued in that partition is judged before
# the deadline it answers, however far other partitions have run ahead. A partition that has
# judged nothing for this many ticks is idle (drained) and follows the newest event anywhere.
IDLE_TICKS = 4


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
        # Schools with a new exit, judged at the next tick on each day an exit took effect.
        self._dirty_schools: dict[str, tuple[str, set[dt.date]]] = {}
        self._ticks = 0
        self._busy: dict[int, int] = {}  # partition -> the tick count when it last judged an event
        self.settings = settings
        directory = settings.alerts_config_dir  # asked for each record: the paths made once
        self._rule_dirs = ((directory / "calendars",), (directory / "rules",))
        self.store = store
        self.schools = schools
        self.book = AlertBook()
        self.listeners: list[Any] = []  # async callables given each new alert step (notifications)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-store")
        # The agent's batches, the ticks and officers' actions take turns: each reads the tables
        # and the book as the one before left them, stored.
        self._turn = asyncio.Lock()
        self._batch: Batch | None = None
        # Feed reads scan a school's moves or the whole ledger: never queued ahead of the store.
        self._feeds_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-feeds")
        # Schools' statistics are read outside the turns: beside the store and the feeds, not behind.
        self._stats_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-school-stats")
        self.moves_topic = app.topic(
            settings.topics.pupil_moves, key_serializer="raw", value_serializer="raw"
        )
        self.dlq_topic = app.topic(
            settings.topics.pupil_moves_dlq, key_serializer="raw", value_serializer="raw"
        )
        partitions = settings.events_partitions
        self.partitions = partitions
        self.pupils = app.Table("alert-pupils", default=None, partitions=partitions)
        self.clocks = app.Table("alert-clocks", default=None, partitions=partitions)
        self.watermarks = app.Table("alert-watermarks", default=None, partitions=partitions)
        self.feeds = SchoolFeeds(clients, schools, self.rules_for)
        # The ticks read only the due pupils' clocks (wake_ups.py); rebuilt after each recovery.
        self.due = DueIndex()
        self.clocks.on_recover(self._index_clocks)
        app.agent(self.moves_topic, name="alerts")(self._consume)
        app.timer(settings.alert_tick_seconds)(self._tick)
        self.watchdog = PartitionWatchdog(app, settings.topics.pupil_moves)
        app.timer(WATCHDOG_INTERVAL_S)(self._watch_partitions)
        # Feeds are judged from the whole ledger: by one worker only.
        app.timer(settings.alert_tick_seconds, on_leader=True)(self._tick_feeds)

    async def _watch_partitions(self) -> None:
        try:
            await self.watchdog.check()
        except Exception as exc:  # a check that fails must not stop the timer; the next one retries
            log.warning("partition watchdog check failed", extra={"error_type": type(exc).__name__})

    async def load(self) -> None:
        alerts, silences = await asyncio.get_running_loop().run_in_executor(self._executor, self.store.load)
        self.book.restore(alerts, silences)
        self.feeds.restore(self.book)
        log.info("alerts loaded", extra={"alerts": len(alerts), "silences": len(silences)})

    def rules_for(self, la_code: str) -> LARules:
        return load_la_rules(la_code, *self._rule_dirs)

    # -- the stream ---------------------------------------------------------------------------
    async def _consume(self, stream: faust.StreamT) -> None:
        # Faust acknowledges a batch's records once this loop's body has run for it: after the
        # batch's steps are stored and its table writes made.
        loop = asyncio.get_running_loop()
        # An agent's stream is a faust.Stream; faust's StreamT interface lacks take_events.
        assert isinstance(stream, faust.Stream)
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            batch_started = loop.time()
            async with self._batched():
                for event in events:
                    started = loop.time()
                    try:
                        await self._judge_record(event.value, event.message.partition)
                    except Exception as exc:
                        # One record must never stop the judging of the next: to the DLQ, counted.
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
                    JUDGE_SECONDS.observe(loop.time() - started)
            BATCH_SECONDS.observe(loop.time() - batch_started)

    @contextlib.asynccontextmanager
    async def _batched(self) -> AsyncIterator[Batch]:
        """One turn of work whose steps are stored in one append and whose table writes follow it
        (batch.py). Stopped (cancelled) midway, nothing is stored: its records were not acknowledged."""
        async with self._turn:
            self._batch = batch = Batch()
            try:
                yield batch
            except asyncio.CancelledError:
                raise
            except BaseException:
                await self._flush(batch)
                raise
            else:
                await self._flush(batch)
            finally:
                self._batch = None

    async def _flush(self, batch: Batch) -> None:
        self._batch = None
        await self._store(batch.steps)
        for table, key, value, partition in batch.writes.values():
            self._write(table, key, value, partition)

    async def _judge_record(self, value: bytes, partition: int) -> None:
        record = orjson.loads(value)
        event = record["event"]
        recorded_at = dt.datetime.fromisoformat(event["recorded_at"])
        self.feeds.note_record(partition, recorded_at)
        now = dt.datetime.now(dt.UTC)
        ended = self.feeds.heard(event["school_urn"], recorded_at, event["event_id"], self.book)
        await self._record([s for s in (self.book.apply_resolution(r, now) for r in ended) if s])
        if event["type"] == "school.roll_checked":
            self.feeds.receive(event)
            self._advance_watermark(partition, recorded_at.astimezone(ENGLAND).date())
            return
        await self._judge(event, partition)
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
        history: list[dict[str, Any]] = list(self._get(self.pupils, upn) or [])
        if any(item["event_id"] == fact.event_id for item in history):
            return  # a replayed event: judged already
        if not resolve_only:
            # The pupil's clocks due by the day this event was recorded fire first, on the history
            # before it: an answer recorded after its deadline does not undo the alert, however
            # the ticks fall (as the ground truth and the rules' own tests judge).
            waiting = self._get(self.clocks, upn) or []
            if any(dt.date.fromisoformat(c["fires_on"]) <= fact.recorded_on for c in waiting):
                await self._fire(upn, waiting, fact.recorded_on)
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
        if clocks or self._get(self.clocks, upn):
            self._put(self.clocks, upn, clocks, partition)
        if isinstance(fact, Deletion):
            self._dirty_schools.setdefault(fact.school_urn, (fact.la_code, set()))[1].add(fact.occurred_on)
        self._advance_watermark(partition, max(fact.occurred_on, fact.recorded_on))

    def _advance_watermark(self, partition: int, day: dt.date) -> None:
        """The partition judged a record (it is busy) up to `day` on the event clock."""
        self._busy[partition] = self._ticks
        watermark = day.isoformat()
        if watermark > (self._get(self.watermarks, partition) or ""):
            self._put(self.watermarks, partition, watermark, partition)

    def _clocks_of(self, upn: str) -> list[dict[str, Any]]:
        """The pupil's pending clocks; one set before fingerprints were keyed is re-keyed, so the
        wake-up that made it and the resolutions that end it still match it."""
        return [c | {"fingerprint": rekeyed(c["fingerprint"])} for c in self._get(self.clocks, upn) or []]

    def _get(self, table: TableT[Any, Any], key: Any) -> Any:
        return self._batch.get(table, key) if self._batch is not None else get(table, key)

    def _put(self, table: TableT[Any, Any], key: Any, value: Any, partition: int) -> None:
        if self._batch is not None:
            self._batch.put(table, key, value, partition)
        else:
            self._write(table, key, value, partition)

    def _write(self, table: TableT[Any, Any], key: Any, value: Any, partition: int) -> None:
        # Written from the agent and from the timer alike, so the changelog partition is given
        # explicitly: the pupil's own partition.
        put(table, partition, key, value)
        table.send_changelog(partition, key, value)
        if table is self.clocks:
            self.due.set(key, value)

    # -- clocks ------------------------------------------------------------------------------
    async def _index_clocks(self) -> None:
        self.due.rebuild(self.clocks.data.items())

    def today(self, partition: int | None = None) -> dt.date | None:
        """The day clocks fire at: the wall clock (or the newest event, when later); with
        `alert_clock=event`, the newest event judged, in `partition` unless it is idle."""
        marks = [dt.date.fromisoformat(v) for v in self.watermarks.data.values() if v]
        event_day = max(marks) if marks else None
        if self.settings.alert_clock == "event":
            own = self.watermarks.data.get(partition) if partition is not None else None
            busy = partition is not None and self._ticks - self._busy.get(partition, -IDLE_TICKS) < IDLE_TICKS
            return dt.date.fromisoformat(own) if own and busy else event_day
        wall = dt.datetime.now(dt.UTC).date()
        return max(event_day, wall) if event_day else wall

    async def _tick(self) -> None:
        # The due schools' statistics and the settled roll checks' rolls are read before the turn:
        # reads of the ledger, not of the tables, so the agent's batches go on meanwhile (a replay's
        # tick can have every school due).
        due_schools = await self._read_school_stats()
        roll_checks = await self._read_roll_checks()
        async with self._batched():
            await self._tick_turn(due_schools, roll_checks)

    async def _tick_turn(self, due_schools: dict[str, list[SchoolStats]], roll_checks: Verdicts) -> None:
        self._ticks += 1
        await self._judge_schools(due_schools)
        await self._judge_roll_checks(roll_checks)
        latest = self.today()
        if latest is None:
            return
        due = []
        for upn in self.due.take_due(latest):
            clocks = self._get(self.clocks, upn)
            if not clocks:
                continue
            day = self.today(int(clocks[0]["partition"]))
            if day is not None and any(dt.date.fromisoformat(c["fires_on"]) <= day for c in clocks):
                due.append((upn, clocks, day))
            else:
                self.due.set(upn, clocks)  # due by a partition further ahead than its own: waits
        for upn, clocks, day in due:
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
        history = self._get(self.pupils, upn) or []
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

    async def _read_school_stats(self) -> dict[str, list[SchoolStats]]:
        """The statistics of the schools with a new exit, on each day an exit took effect (one read
        for them all); a failed read sends each school to the DLQ."""
        due, self._dirty_schools = self._dirty_schools, {}
        if not due:
            return {}
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._stats_executor, school_stats, self.clients, self.schools, due, self._parameters_for
            )
        except Exception as exc:
            for urn, (la_code, days) in due.items():
                await self._school_failed(urn, la_code, days, exc)
            return {}

    async def _judge_schools(self, due_schools: dict[str, list[SchoolStats]]) -> None:
        now = dt.datetime.now(dt.UTC)
        for urn, every in due_schools.items():
            try:
                rules = self.rules_for(every[0].la_code)
                candidates = [
                    c for stats in every for c in judge_school(stats, rules.calendar, rules.parameters)
                ]
            except Exception as exc:
                await self._school_failed(urn, every[0].la_code, [stats.as_of for stats in every], exc)
                continue
            await self._record([s for s in (self.book.raise_candidate(c, now) for c in candidates) if s])

    async def _school_failed(self, urn: str, la_code: str, days: Iterable[dt.date], exc: Exception) -> None:
        days_listed = sorted(day.isoformat() for day in days)
        body = orjson.dumps({"school_urn": urn, "la_code": la_code, "days": days_listed})
        await self._dead_letter("school-stats", exc, urn.encode(), body, "school-stats", 0, -1)

    def _parameters_for(self, la_code: str) -> RuleParameters:
        return self.rules_for(la_code).parameters

    async def _read_roll_checks(self) -> Verdicts:
        """The settled roll checks, each beside the roll Rollwatch knew then (one read for every
        school); a failed read sends the checks to the DLQ."""
        due = self.feeds.settled(self.feeds.low_watermark(self._assigned()))
        ROLL_CHECKS_PENDING.set(len(self.feeds.pending))
        if not due:
            return Verdicts()
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._stats_executor, self.feeds.judge_checks, due
            )
        except Exception as exc:
            body = orjson.dumps([check.event_id for check in due])
            await self._dead_letter("roll-checks", exc, None, body, "roll-checks", 0, -1)
            return Verdicts()

    async def _judge_roll_checks(self, verdicts: Verdicts) -> None:
        now = dt.datetime.now(dt.UTC)
        steps = []
        for verdict in verdicts.in_order:
            if isinstance(verdict, Resolution):
                step = self.book.apply_resolution(verdict, now)
            elif self._is_open(verdict.fingerprint):
                # One alert per school while the difference lasts: a check repeating it adds nothing.
                continue
            else:
                step = self.book.raise_candidate(verdict, now)
            if step is not None:
                steps.append(step)
        await self._record(steps)

    async def _tick_feeds(self) -> None:
        async with self._batched():
            await self._tick_feeds_turn()

    async def _tick_feeds_turn(self) -> None:
        day = self.feeds.feed_day(
            self.settings.alert_clock, self.today(), self.feeds.low_watermark(self._assigned())
        )
        if day is None or not self.feeds.feeds_due(day):
            return
        try:
            verdicts = await asyncio.get_running_loop().run_in_executor(
                self._feeds_executor, self.feeds.judge_feeds, day
            )
        except Exception as exc:
            body = orjson.dumps({"day": day.isoformat()})
            await self._dead_letter("feeds", exc, None, body, "feeds", 0, -1)
            return
        now = dt.datetime.now(dt.UTC)
        steps = [s for s in (self.book.raise_candidate(c, now) for c in verdicts.candidates) if s]
        steps += [s for s in (self.book.apply_resolution(r, now) for r in verdicts.resolutions) if s]
        await self._record(steps)

    def _assigned(self) -> list[int]:
        """The `pupil-moves` partitions this worker reads (none known before the first assignment)."""
        consumer = getattr(self.app, "consumer", None)
        if consumer is None:
            return []
        topic = self.settings.topics.pupil_moves
        return [tp.partition for tp in consumer.assignment() if tp.topic == topic]

    def _is_open(self, fingerprint: str) -> bool:
        alert_id = self.book.by_fingerprint.get(fingerprint)
        return alert_id is not None and self.book.alerts[alert_id].is_open

    # -- lifecycle ---------------------------------------------------------------------------
    async def record_steps(self, steps: list[Alert]) -> None:
        """For officers' actions through the API: stored in their own turn, like a batch's."""
        async with self._batched():
            await self._record(steps)

    async def _record(self, steps: list[Alert]) -> None:
        """The steps taken: stored with the batch under way, else at once."""
        if not steps:
            return
        for step in steps:
            if step.rule == "feed_silent":
                (self.feeds.silent.add if step.is_open else self.feeds.silent.discard)(step.school_urn)
        if self._batch is not None:
            self._batch.steps.extend(steps)
        else:
            await self._store(steps)

    async def _store(self, steps: list[Alert]) -> None:
        if not steps:
            return
        # In the alert store before the source offsets are committed (the agent acknowledges its
        # batch after this), retried until it lands: a ledger outage holds the stream. The
        # notifier keeps what it sends in its pending store before returning, likewise.
        await until_done(
            self._executor, partial(self.store.append, steps), "alert store append", _count_failure
        )
        for step in steps:
            TRANSITIONS.labels(step.rule, step.transition).inc()
        for listener in self.listeners:
            await listener(steps)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._feeds_executor.shutdown(wait=True)
        self._stats_executor.shutdown(wait=True)


def _count_failure(ok: bool) -> None:
    if not ok:
        STORE_FAILURES.inc()


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
