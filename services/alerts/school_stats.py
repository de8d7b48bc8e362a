"""Schools' rolls and exits on days, read from the ledger, for the school-level rule. The roll is
what Rollwatch has recorded on that day (pupils whose latest registration event at the school by
then is an admission), so the statistics of a day do not depend on when they are read, only on
what has reached the ledger. Blocking: call from a thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from typing import Any

from rollwatch.core.clickhouse import ClientPerThread
from services.alerts.adapter import to_fact
from services.alerts.exits import SchoolExit, school_exit
from services.alerts.facts import Deletion, SchoolStats
from services.alerts.parameters import RuleParameters
from services.schools.register import SchoolsRegister
from services.tracker.reads import is_special_school, school_deletions, school_rolls_on

# How far back a day's exits are counted from (the rule's longest look-back is 12 months).
EXITS_LOOK_BACK = dt.timedelta(days=400)


def school_stats(
    clients: ClientPerThread,
    schools: SchoolsRegister,
    due: Mapping[str, tuple[str, Collection[dt.date]]],
    params_for: Callable[[str], RuleParameters],
) -> dict[str, list[SchoolStats]]:
    """Each school's statistics on each of its days: `due` maps a URN to its LA and days, and
    `params_for` gives an LA's rule parameters. Two reads however many schools and days (a tick
    of a replay can have every school of England due)."""
    days_by_school = {urn: sorted(set(days)) for urn, (_, days) in due.items() if days}
    if not days_by_school:
        return {}
    first = min(days[0] for days in days_by_school.values())
    last = max(days[-1] for days in days_by_school.values())
    # The exits are read before the rolls: rows the tracker writes between the two reads then only
    # make a roll more complete. The other way round, a roll read early in a stream beside the
    # exits of a batch written just after it can pass the 5% flag where the school has 1% (seen once
    # in tests/cluster). Exits written after the first read make the school due again.
    deletions = school_deletions(clients, list(days_by_school), first - EXITS_LOOK_BACK, last)
    rolls = school_rolls_on(clients, days_by_school)
    found = {}
    for urn, days in days_by_school.items():
        la_code = due[urn][0]
        exits = _exits(schools, urn, deletions[urn], params_for(la_code), since=days[0] - EXITS_LOOK_BACK)
        found[urn] = [
            SchoolStats(urn, la_code, day, *rolls[urn][day], tuple(e for e in exits if e.occurred_on <= day))
            for day in days
        ]
    return found


def _exits(
    schools: SchoolsRegister,
    urn: str,
    deletions: list[dict[str, Any]],
    params: RuleParameters,
    since: dt.date,
) -> list[SchoolExit]:
    exits = []
    for event in deletions:
        fact = to_fact(event, schools)
        if not isinstance(fact, Deletion) or fact.occurred_on < since:
            continue  # read for another school's earlier days
        # A move to the school's own successor (an academy conversion) is not an exit.
        destination = schools.by_laestab(fact.destination_laestab) if fact.destination_laestab else None
        if destination is not None and schools.is_successor(destination.urn, urn):
            continue
        special = destination is not None and is_special_school(destination)
        exits.append(school_exit(fact, params, to_special_school=special))
    return exits
