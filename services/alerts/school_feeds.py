"""What the alert service keeps about schools' feeds (docs/domain.md, "Feed health and roll
reconciliation"): roll checks waiting to be judged, and which schools have an open silence alert.

A roll check is judged `SETTLE_SECONDS` after it reached this service, against the roll
Rollwatch knew at the check's own `recorded_at`: events the school sent before the check may
travel on other partitions, and the pause lets them reach the ledger first. Feeds are judged
once per alert-clock day from the ledger and the roll checks table (`services.tracker.reads`),
so every partition's events count, whichever worker judged them. The blocking reads run in the
caller's thread pool."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
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
from services.tracker.reads import last_heard, roll_on

SETTLE_SECONDS = 2.0


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


@dataclass
class SchoolFeeds:
    clients: ClientPerThread
    schools: SchoolsRegister
    rules_for: Callable[[str], LARules]
    pending: list[PendingCheck] = field(default_factory=list)
    silent: set[str] = field(default_factory=set)  # schools with an open feed_silent alert
    judged_day: dt.date | None = None

    def restore(self, book: AlertBook) -> None:
        self.silent = {a.school_urn for a in book.alerts.values() if a.rule == feed_silent.RULE and a.is_open}

    def receive(self, event: dict[str, Any]) -> None:
        """A `school.roll_checked` event from `pupil-moves`: judged once it has settled."""
        la_code = self.schools.la_of(event["school_urn"])
        if la_code is None:
            return
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

    def settled(self) -> list[PendingCheck]:
        """The checks due for judging, taken off the pending list."""
        cutoff = time.monotonic() - SETTLE_SECONDS
        due = [check for check in self.pending if check.arrived <= cutoff]
        self.pending = [check for check in self.pending if check.arrived > cutoff]
        return due

    def judge_checks(self, due: list[PendingCheck]) -> Verdicts:
        """Blocking. Each settled check beside the roll Rollwatch knew then."""
        verdicts = Verdicts()
        for pending in due:
            known = roll_on(self.clients, pending.school_urn, pending.checked_on, pending.recorded_at)
            check = RollCheck(
                pending.event_id, pending.school_urn, pending.la_code, pending.checked_on,
                pending.recorded_at, pending.on_roll, known,
            )  # fmt: skip
            rules = self.rules_for(pending.la_code)
            judgement = judge_roll_check(check, rules.calendar, rules.parameters)
            verdicts.candidates += judgement.candidates
            verdicts.resolutions += judgement.resolutions
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

    def judge_feeds(self, today: dt.date) -> tuple[Verdicts, list[tuple[str, dt.datetime, str]]]:
        """Blocking. Every watched school at the alert clock's day (once per day), and when each
        was last heard from (school, at, event id), for the silences it may have ended."""
        verdicts = Verdicts()
        if self.judged_day == today:
            return verdicts, []
        self.judged_day = today
        latest = last_heard(self.clients)
        for heard in latest:
            school = self.schools.get(heard.school_urn)
            if school is None or not school.is_open:
                continue
            rules = self.rules_for(school.la_code)
            fact = FeedHeard(
                heard.school_urn, school.la_code, today,
                heard.recorded_at.astimezone(ENGLAND).date(), heard.event_id,
            )  # fmt: skip
            verdicts.candidates += judge_feed(fact, rules.calendar, rules.parameters)
        return verdicts, [(h.school_urn, h.recorded_at, h.event_id) for h in latest]
