"""A school's roll and exits on a day, read from the ledger, for the school-level rule. The roll is
what Rollwatch has recorded on that day (pupils whose latest registration event at the school by
then is an admission), so the statistics of a day do not depend on when they are read, only on
what has reached the ledger. Blocking: call from a thread."""

from __future__ import annotations

import datetime as dt

from rollwatch.core.clickhouse import ClientPerThread
from services.alerts.adapter import to_fact
from services.alerts.exits import school_exit
from services.alerts.facts import Deletion, SchoolStats
from services.alerts.parameters import RuleParameters
from services.schools.register import SchoolsRegister
from services.tracker.reads import is_special_school, school_deletions, school_roll_on


def school_stats(
    clients: ClientPerThread,
    schools: SchoolsRegister,
    urn: str,
    la_code: str,
    days: list[dt.date],
    params: RuleParameters,
) -> list[SchoolStats]:
    """The school's statistics on each of `days` (two reads however many days)."""
    days = sorted(set(days))
    # The exits are read before the roll: rows the tracker writes between the two reads then only
    # make the roll more complete. The other way round, a roll read early in a stream beside the
    # exits of a batch written just after it can pass the 5% flag where the school has 1% (seen once
    # in tests/cluster). Exits written after the first read make the school due again.
    deletions = school_deletions(clients, urn, days[0] - dt.timedelta(days=400), days[-1])
    rolls = school_roll_on(clients, urn, days)
    exits = []
    for event in deletions:
        fact = to_fact(event, schools)
        if not isinstance(fact, Deletion):
            continue
        # A move to the school's own successor (an academy conversion) is not an exit.
        destination = schools.by_laestab(fact.destination_laestab) if fact.destination_laestab else None
        if destination is not None and schools.is_successor(destination.urn, urn):
            continue
        special = destination is not None and is_special_school(destination)
        exits.append(school_exit(fact, params, to_special_school=special))
    return [
        SchoolStats(urn, la_code, day, *rolls[day], tuple(e for e in exits if e.occurred_on <= day))
        for day in days
    ]
