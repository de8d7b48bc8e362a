"""A school's roll and exits, read from the ledger and the tracker's placements, for the
school-level rule. The roll is what Rollwatch has recorded (pupils whose current placement
includes the school), so it grows as schools' histories arrive. Blocking: call from a thread."""

from __future__ import annotations

import datetime as dt

import orjson

from rollwatch.clickhouse import ClientPerThread
from services.alerts.adapter import to_fact
from services.alerts.exits import school_exit
from services.alerts.facts import Deletion, SchoolStats
from services.alerts.parameters import RuleParameters
from services.schools.register import SchoolsRegister

_ROLL = """
SELECT count(), countIf(sen IN ('E', 'K')) FROM (
    SELECT upn, argMax(JSONExtractString(event, 'pupil', 'sen_provision'), (occurred_on, recorded_at)) AS sen
    FROM movement_ledger
    WHERE upn IN (SELECT upn FROM pupil_placements FINAL WHERE has(schools_on_roll, {urn:String}))
    GROUP BY upn
)
"""
_EXITS = """
SELECT event FROM movement_ledger
WHERE school_urn = {urn:String} AND type = 'pupil.deleted' AND occurred_on >= {since:Date32}
  AND occurred_on <= {as_of:Date32}
"""


def school_stats(
    clients: ClientPerThread, schools: SchoolsRegister, urn: str, la_code: str, as_of: dt.date,
    params: RuleParameters,
) -> SchoolStats:  # fmt: skip
    client = clients.get()
    roll, send = client.query(_ROLL, parameters={"urn": urn}).result_rows[0]
    since = as_of - dt.timedelta(days=400)
    rows = client.query(_EXITS, parameters={"urn": urn, "since": since, "as_of": as_of}).result_rows
    exits = []
    for (event,) in rows:
        fact = to_fact(orjson.loads(event), schools)
        if not isinstance(fact, Deletion):
            continue
        # A move to the school's own successor (an academy conversion) is not an exit.
        successor = schools.by_laestab(fact.destination_laestab) if fact.destination_laestab else None
        if successor is not None and schools.is_successor(successor.urn, urn):
            continue
        exits.append(school_exit(fact, params))
    return SchoolStats(urn, la_code, as_of, int(roll), int(send), tuple(exits))
