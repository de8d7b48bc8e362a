"""What the alert service keeps about schools' feeds (docs/domain.md, "Feed health and roll
reconciliation"): roll checks waiting to be judged, and which schools have an open silence alert.

A roll check is judged against the roll Rollwatch knew at the check's own `recorded_at`, once
every partition this service reads has brought a record recorded after the check (the low
watermark: `pupil-moves` records come after their ledger write, in recording order per
partition, so every event the school sent before the check is in the ledger by then), or
`FALLBACK_SECONDS` after it arrived at the latest. Feeds are judged
once per alert-clock day from the ledger and the roll checks table (`services.tracker.reads`),
so every partition's events count, whichever worker judged them. The blocking reads run in the
caller's thread pool.

Feeds are judged when the alert clock reaches a new day, and again when a school sends its first
roll check (it becomes watched), each `SETTLE_SECONDS` later for the same reason: a school's last
records of the day before may still be on their way to the ledger."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from rollwatch.core.clickhouse import ClientPerThread
from services.alerts.candidates import AlertCandidate, Resolution
from services.alerts.facts import ENGLAND, FeedHeard, RollCheck
from services.alerts.judge import judge_feed, judge_roll_check
from services.alerts.la_rules import LARules
from services.alerts.lifecycle import AlertBook
from services.alerts.rules import feed_silent
from services.schools.register import SchoolsRegister
from services.tracker.reads import heard_days, rolls_on

SETTLE_SECONDS = 2.0
FALLBACK_SECONDS = 60.0
LOOKBACK = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PendingCheck:
    event_id: str
    school_urn: str
    la_code: str
    checked_on: dt.date
    recorded_at: dt.datetime
    on_roll: int
    arrived: float  # time.monotonic() when it reached the service


@dataclass
class Verdicts:
    candidates: list[AlertCandidate] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    # Both, in the order of the checks that gave them (a check that matches again after one that
    # did not resolves the alert the earlier one raised, and the other way round).
    in_order: list[AlertCandidate | Resolution] = field(default_factory=list)


@dataclass
class SchoolFeeds:
    clients: ClientPerThread
    schools: SchoolsRegister
    rules_for: Callable[[str], LARules]
    pending: list[PendingCheck] = field(default_factory=list)
    silent: set[str] = field(default_factory=set)  # schools with an open feed_silent alert
    watched: set[str] = field(default_factory=set)  # schools that have sent a roll check
    judged_day: dt.date | None = None
    judged_through: dt.date | None = None  # the day of the last judgement: the next reads from it
    due_since: float | None = None  # when the feeds became due for judging (time.monotonic())
    recorded: dict[int, dt.datetime] = field(default_factory=dict)  # per partition: latest recorded_at
    first_heard: float | None = None  # time.monotonic() of the first record judged

    def note_record(self, partition: int, recorded_at: dt.datetime) -> None:
        """Every record judged: its partition's recording time moves on."""
        if self.first_heard is None:
            self.first_heard = time.monotonic()
        known = self.recorded.get(partition)
        if known is None or recorded_at > known:
            self.recorded[partition] = recorded_at

    def low_watermark(self, assigned: Collection[int] = ()) -> dt.datetime | None:
        """The latest recording time every partition has passed: each partition's records come in
        recording order, so everything recorded before it is in the ledger. A quiet stream is no
        sign that everything is in (the tracker may be busy writing a large batch), so a quiet
        partition holds the others back until it brings something newer.

        An `assigned` partition not heard from yet holds them back too, for `FALLBACK_SECONDS`
        after the first record (a partition may stay empty): at the start of a replay the first
        partition's records can be a month ahead of the others', whose schools' events are not in
        the ledger yet, and those schools would look silent."""
        if self.first_heard is None:  # nothing recorded yet
            return None
        unheard = not self.recorded.keys() >= set(assigned)
        if unheard and time.monotonic() - self.first_heard < FALLBACK_SECONDS:
            return None
        return min(self.recorded.values())

    def feed_day(self, clock: str, today: dt.date | None, low: dt.datetime | None) -> dt.date | None:
        """The feeds' "today": on the event clock, the low watermark's day (a partition running
        ahead must not make the others' schools look silent); on the wall clock, the day."""
        if clock == "event":
            return low.astimezone(ENGLAND).date() if low is not None else None
        return today

    def restore(self, book: AlertBook) -> None:
        self.silent = {a.school_urn for a in book.alerts.values() if a.rule == feed_silent.RULE and a.is_open}

    def receive(self, event: dict[str, Any]) -> None:
        """A `school.roll_checked` event from `pupil-moves`: judged once it has settled."""
        la_code = self.schools.la_of(event["school_urn"])
        if la_code is None:
            return
        if event["school_urn"] not in self.watched:
            self.watched.add(event["school_urn"])
            # A newly watched school: judge the feeds again, over its whole history.
            self.judged_day = self.judged_through = None
        self.pending.append(
            PendingCheck(
                event_id=event["event_id"],
                school_urn=event["school_urn"],
                la_code=la_code,
                checked_on=dt.date.fromisoformat(event["occurred_on"]),
                recorded_at=dt.datetime.fromisoformat(event["recorded_at"]),
                on_roll=int(event["data"]["on_roll"]),
                arrived=time.monotonic(),
            )
        )

    def settled(self, low_watermark: dt.datetime | None) -> list[PendingCheck]:
        """The checks due for judging (see the module's docstring), taken off the pending list."""
        cutoff = time.monotonic() - FALLBACK_SECONDS

        def due(check: PendingCheck) -> bool:
            passed = low_watermark is not None and check.recorded_at <= low_watermark
            return passed or check.arrived <= cutoff

        ready = [check for check in self.pending if due(check)]
        self.pending = [check for check in self.pending if not due(check)]
        return ready

    def judge_checks(self, due: list[PendingCheck]) -> Verdicts:
        """Blocking. Each settled check beside the roll Rollwatch knew then."""
        verdicts = Verdicts()
        by_school: dict[str, list[PendingCheck]] = {}
        for pending in due:
            by_school.setdefault(pending.school_urn, []).append(pending)
        counts = rolls_on(
            self.clients,
            {urn: [(c.checked_on, c.recorded_at) for c in checks] for urn, checks in by_school.items()},
        )
        for urn, checks in by_school.items():
            verdicts = self._judged(checks, counts[urn], verdicts)
        return verdicts

    def _judged(self, checks: list[PendingCheck], counts: list[int], verdicts: Verdicts) -> Verdicts:
        for pending, known in zip(checks, counts, strict=True):
            check = RollCheck(
                pending.event_id, pending.school_urn, pending.la_code, pending.checked_on,
                pending.recorded_at, pending.on_roll, known,
            )  # fmt: skip
            rules = self.rules_for(pending.la_code)
            judgement = judge_roll_check(check, rules.calendar, rules.parameters)
            verdicts.candidates += judgement.candidates
            verdicts.resolutions += judgement.resolutions
            verdicts.in_order += [*judgement.candidates, *judgement.resolutions]
        return verdicts

    def heard(
        self, school_urn: str, recorded_at: dt.datetime, event_id: str, book: AlertBook
    ) -> list[Resolution]:
        """A record from a school with an open silence alert ends that silence."""
        if school_urn not in self.silent:
            return []
        day = recorded_at.astimezone(ENGLAND).date()
        found = [
            feed_silent.resolution(alert.fingerprint, school_urn, day, event_id)
            for alert in book.alerts.values()
            if alert.rule == feed_silent.RULE and alert.school_urn == school_urn and alert.is_open
        ]
        return [r for r in found if r is not None]

    def feeds_due(self, today: dt.date) -> bool:
        """True once the feeds have waited `SETTLE_SECONDS` since they needed judging at `today`."""
        if self.judged_day == today:
            self.due_since = None
            return False
        now = time.monotonic()
        if self.due_since is None:
            self.due_since = now
        if now - self.due_since < SETTLE_SECONDS:
            return False
        self.judged_day, self.due_since = today, None
        return True

    def judge_feeds(self, today: dt.date) -> Verdicts:
        """Blocking. Every watched school's gaps since the feeds were last judged, at the alert
        clock's day: a silence raises its alert, and one already over is resolved by the record
        that ended it."""
        verdicts = Verdicts()
        # From a while before the last judgement: records reach the ledger after their day.
        since = self.judged_through - LOOKBACK if self.judged_through else _EARLIEST
        self.judged_through = today
        for school_days in heard_days(self.clients, since):
            self.watched.add(school_days.school_urn)
            school = self.schools.get(school_days.school_urn)
            if school is None or not school.is_open:
                continue
            rules = self.rules_for(school.la_code)
            # Only the days up to the judgement's: a later day seen in the ledger came from a
            # partition running ahead, and the others' records of the days between may not be in
            # yet (a gap there is no silence). A later judgement sees those days whole.
            days = [heard for heard in school_days.days if heard[0] <= today]
            for (last, last_id), (following, following_id) in zip(
                days, [*days[1:], (None, None)], strict=True
            ):
                gap = FeedHeard(school.urn, school.la_code, today, last, last_id, following, following_id)
                found = judge_feed(gap, rules.calendar, rules.parameters)
                verdicts.candidates += found
                if found and following is not None and following_id is not None:
                    ended = feed_silent.resolution(found[0].fingerprint, school.urn, following, following_id)
                    verdicts.resolutions += [ended] if ended else []
        return verdicts


_EARLIEST = dt.date(1900, 1, 1)
