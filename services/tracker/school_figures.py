"""Figures about schools now, for the statistics pages: each school's roll (and its pupils' SEN
provision), and the alternative provision placements its pupils are in, one LA's schools at a
time, never from the ledger itself: the rolls from `school_pupil_rolls` (each pupil's latest move
and SEN provision at each school, kept by a materialised view, migration 0018), the placements from
`ledger_school_events` and `ledger_references` (migration 0010).

- A school's roll is what Rollwatch has recorded, as the tracker's placements count it
  (`placement.apply`): the pupils (by UPN) whose latest enrolment or deletion at the school, in
  the order the tracker applied them, is an enrolment. Their SEN provision is the one the school
  gave in its latest event about them. It grows as schools' histories arrive.
- An AP placement is open from its `pupil.ap_referred` until a `pupil.ap_ended` names it, as a
  pupil's placement shows it; its review is overdue once `review_by` is before the day asked about.
  Retracted referrals and ends count as never sent.

Blocking: call from a thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from rollwatch.core.clickhouse import ClientPerThread
from services.tracker.tables import REFERENCES, SCHOOL_EVENTS, SCHOOL_ROLLS

SEN_PROVISIONS = ("N", "K", "E")  # none, SEN support, EHC plan (schemas/codes.py)

_ROLLS = f"""
SELECT school_urn, sen, count() FROM (
    SELECT school_urn, upn, argMaxIfMerge(last_move) AS last_move, argMaxIfMerge(sen) AS sen
    FROM {SCHOOL_ROLLS}
    WHERE school_urn IN {{urns:Array(String)}}
    GROUP BY school_urn, upn
)
WHERE last_move = 'pupil.enrolled'
GROUP BY school_urn, sen
"""

# A referral is open unless a retraction names it or an end does that no retraction names. The
# referrals' retractions are among those their own schools sent (only the sender of an event may
# retract it: schemas/authority.py), a short read. Their ends are read once and kept unless a
# retraction names them: an anti-join with every retraction, fewer than the ends they are tested
# against (on the bench's 10M-row ledger 62,694 retractions and 729,754 ends; reading the ends a
# second time to narrow the retractions first made the query 85 ms instead of 60, p50).
_AP_PLACEMENTS = f"""
WITH referrals AS (
    SELECT event_id FROM {SCHOOL_EVENTS}
    WHERE school_urn IN {{urns:Array(String)}} AND type = 'pupil.ap_referred'
)
SELECT school_urn, count(), countIf(review_by < {{as_of:Date32}})
FROM {SCHOOL_EVENTS}
WHERE school_urn IN {{urns:Array(String)}} AND type = 'pupil.ap_referred'
  AND event_id NOT IN (
      SELECT refers_to FROM {REFERENCES}
      WHERE type = 'event.retracted' AND school_urn IN {{urns:Array(String)}}
      UNION ALL
      SELECT ends.refers_to
      FROM (
          SELECT event_id, refers_to FROM {REFERENCES}
          WHERE type = 'pupil.ap_ended' AND refers_to IN referrals
      ) AS ends
      LEFT ANTI JOIN (SELECT refers_to FROM {REFERENCES} WHERE type = 'event.retracted') AS withdrawn
          ON withdrawn.refers_to = ends.event_id
  )
GROUP BY school_urn
"""


@dataclass(frozen=True)
class Roll:
    """The pupils on a school's roll, by SEN provision ('' when no event gave one)."""

    by_sen_provision: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_sen_provision.values())

    @property
    def send(self) -> int:
        """With SEN support or an EHC plan."""
        return self.by_sen_provision.get("K", 0) + self.by_sen_provision.get("E", 0)


@dataclass(frozen=True)
class APPlacements:
    open: int = 0
    review_overdue: int = 0


def school_rolls(clients: ClientPerThread, urns: Sequence[str]) -> dict[str, Roll]:
    """Every school's roll (a school with nobody on roll is left out)."""
    if not urns:
        return {}
    counts: dict[str, dict[str, int]] = {}
    for urn, sen, pupils in clients.get().query(_ROLLS, parameters={"urns": list(urns)}).result_rows:
        counts.setdefault(urn, {})[sen] = int(pupils)
    return {urn: Roll(dict(sorted(by_sen.items()))) for urn, by_sen in counts.items()}


def ap_placements(clients: ClientPerThread, urns: Sequence[str], as_of: dt.date) -> dict[str, APPlacements]:
    """The open AP placements each school arranged, and those whose review is overdue on `as_of`."""
    if not urns:
        return {}
    rows = clients.get().query(_AP_PLACEMENTS, parameters={"urns": list(urns), "as_of": as_of}).result_rows
    return {urn: APPlacements(int(open_), int(overdue)) for urn, open_, overdue in rows}
