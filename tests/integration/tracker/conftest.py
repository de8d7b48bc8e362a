"""One small ledger of pupils moving between the fixture register's schools (tests/fixtures/gias),
recorded through the real ledger writer, for the audit read side's tests.

Schools used (LA 886 unless said): 100050 Millhurst Community College (secondary, ages to 16),
100054 Christ Church Primary (to 11), 100046 St Joseph's (infant, to 7), 100000 St Mary's (closed;
its successor is the academy 100001, LAESTAB 8863000), 100022 Stanton Infant (closed; successor
100025), 100043 an independent special school (8867000); 100003 Hazelborough Road Academy (LA 201,
2015000); 100012 (LA 330)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from rollwatch.core.settings import Settings
from tests.support.audit import AuditWorld
from tests.support.events import deletion, enrolment, retraction, suspension, upn_for

D = dt.date.fromisoformat
START_OF_YEAR = D("2025-09-03")


@dataclass
class Ledger:
    world: AuditWorld
    upns: dict[str, str] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    def upn(self, name: str) -> str:
        return self.upns.setdefault(name, upn_for(886, 4000, 24, len(self.upns) + 1))

    def add(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.events[name] = event
        return event


def _story(ledger: Ledger) -> list[dict[str, Any]]:
    u, add = ledger.upn, ledger.add
    return [
        # Leaves an LA 886 secondary for an LA 201 academy, with no change of address on record.
        add("mover_joined", enrolment(u("mover"), school_urn="100050", occurred_on=START_OF_YEAR,
                                      year_group=10, sen_provision="K")),
        add("mover_suspended", suspension(u("mover"), school_urn="100050", occurred_on=D("2025-11-03"),
                                          year_group=10, sen_provision="K")),
        add("mover_left", deletion(u("mover"), school_urn="100050", occurred_on=D("2026-01-20"),
                                   destination_laestab="2015000", year_group=10, sen_provision="K")),
        add("mover_arrived", enrolment(u("mover"), school_urn="100003", occurred_on=D("2026-01-21"),
                                       year_group=10, sen_provision="K", previous_school="8864000")),
        # Only ever at the LA 201 academy.
        add("elsewhere", enrolment(u("elsewhere"), school_urn="100003", occurred_on=START_OF_YEAR)),
        # Year 11 with an EHC plan, off roll to home education.
        add("ehe_joined", enrolment(u("ehe"), school_urn="100050", occurred_on=START_OF_YEAR,
                                    year_group=11, sen_provision="E")),
        add("ehe_left", deletion(u("ehe"), school_urn="100050", occurred_on=D("2026-02-10"),
                                 ground="home_education", destination_kind="home_education",
                                 year_group=11, sen_provision="E")),
        # Moved with the school: to its successor academy, named by LAESTAB...
        add("converted_joined", enrolment(u("converted"), school_urn="100000", occurred_on=D("2024-09-03"),
                                          year_group=4)),
        add("converted_left", deletion(u("converted"), school_urn="100000", occurred_on=D("2025-08-29"),
                                       destination_laestab="8863000", year_group=5)),
        add("converted_arrived", enrolment(u("converted"), school_urn="100001", occurred_on=D("2025-09-01"),
                                           year_group=5)),
        # ... and one whose deletion names no school but who joined the successor the next day.
        add("merged_left", deletion(u("merged"), school_urn="100022", occurred_on=D("2025-10-01"),
                                    year_group=1)),
        add("merged_arrived", enrolment(u("merged"), school_urn="100025", occurred_on=D("2025-10-02"),
                                        year_group=1)),
        # End-of-year leavers: the top year of a primary and of an infant school (a phase
        # transition), and a Year 5 (unexplained).
        add("top6_left", deletion(u("top6"), school_urn="100054", occurred_on=D("2026-07-20"),
                                  destination_laestab="8864000", year_group=6)),
        add("year5_left", deletion(u("year5"), school_urn="100054", occurred_on=D("2026-07-20"),
                                   destination_laestab="8864000", year_group=5)),
        add("infant_left", deletion(u("infant"), school_urn="100046", occurred_on=D("2026-07-20"),
                                    destination_laestab="8863002", year_group=2)),
        # Into an independent special school (explained), and a family move away (explained).
        add("special_left", deletion(u("special"), school_urn="100054", occurred_on=D("2026-03-02"),
                                     destination_kind="independent", destination_laestab="8867000",
                                     year_group=4, sen_provision="E")),
        add("moved_left", deletion(u("moved"), school_urn="100054", occurred_on=D("2026-03-02"),
                                   ground="moved_away", destination_kind="moved_away", year_group=3)),
        # A deletion sent in error and retracted: the pupil never left.
        add("mistake_joined", enrolment(u("mistake"), school_urn="100050", occurred_on=START_OF_YEAR,
                                        year_group=9)),
        add("mistake_left", deletion(u("mistake"), school_urn="100050", occurred_on=D("2026-03-05"),
                                     ground="home_education", destination_kind="home_education",
                                     year_group=9)),
        # LA 330 only.
        add("far_joined", enrolment(u("far"), school_urn="100012", occurred_on=START_OF_YEAR, year_group=3)),
        add("far_left", deletion(u("far"), school_urn="100012", occurred_on=D("2026-02-02"),
                                 ground="absent_20_days", destination_kind="unknown", year_group=3)),
    ]  # fmt: skip


@pytest.fixture
def ledger(migrated_ledger_settings: Settings) -> Iterator[Ledger]:
    world = AuditWorld(migrated_ledger_settings)
    story = Ledger(world)
    events = _story(story)
    events.append(story.add("mistake_retracted", retraction(story.events["mistake_left"])))
    world.record(events)
    try:
        yield story
    finally:
        world.close()
