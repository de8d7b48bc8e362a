"""Who may say what about a pupil: the contract's rules that need the pupil's record, not just the
event. A school key is held to its own URNs by the ingest API; these rules hold it to its own
pupils where an event reaches beyond them:

- `event.retracted` only from the school that sent the event it retracts, and only when that event
  is in the pupil's record (under `upn` or a UPN linked to it).
- `pupil.deleted` on ground `died` (which mutes every alert about the pupil) only from a school
  where the pupil is or was on roll.
- `former_upn` (which joins two records into one history) in an admission (`pupil.enrolled`: a
  pupil arrives with the UPN their last school used), or from a school where the pupil under
  `former_upn` is or was on roll, or when nothing is recorded under `former_upn` (no history to
  join).

"On roll at a school" is a non-retracted `pupil.enrolled` there (not as a guest), or a
non-retracted deletion or permanent exclusion there (a school takes off its roll only a pupil who
was on it: the first contact of a pupil admitted before the school began sending events). LA
officers read the history of a pupil on roll, in this sense, at one of their LA's schools.

Pure: the ingest API and the tracker pass the record they hold (the ledger's, and the events
before this one in the same request or batch); docs/integrators.md lists the rules for senders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from schemas.envelope import Envelope
from schemas.problems import Problem

# Events that say the pupil was on the school's roll.
ROLL_EVENTS = frozenset({"pupil.enrolled", "pupil.deleted", "pupil.permanently_excluded"})


class Sent(NamedTuple):
    """What the rules need of an event already in a pupil's record."""

    event_id: str
    type: str
    upn: str
    school_urn: str
    retracts: str | None = None
    guest: bool = False  # a guest enrolment: the pupil is not registered there, not on its roll


def sent(event: Envelope) -> Sent:
    retracts = getattr(event.data, "retracts", None) if event.type == "event.retracted" else None
    return Sent(
        str(event.event_id),
        event.type,
        event.upn,
        event.school_urn,
        retracts and str(retracts),
        _is_guest(event),
    )


def _is_guest(event: Envelope) -> bool:
    return event.type == "pupil.enrolled" and getattr(event.data, "enrolment_status", None) == "guest"


def withdrawn(events: Iterable[Sent]) -> frozenset[str]:
    """The ids retracted by a retraction in force (a retraction retracted withdraws nothing, so
    retracting a retraction reinstates the first event, as the alert service reads it)."""
    retractions = {e.event_id: e.retracts for e in events if e.type == "event.retracted" and e.retracts}
    by_target: dict[str, list[str]] = {}
    for retraction, target in retractions.items():
        by_target.setdefault(target, []).append(retraction)
    in_force: dict[str, bool] = {}

    def holds(retraction: str, seen: frozenset[str]) -> bool:
        if retraction not in in_force:
            # A cycle cannot come from the rules above (an event is retracted only once recorded);
            # a forged one is read as in force.
            in_force[retraction] = not any(
                holds(other, seen | {retraction})
                for other in by_target.get(retraction, ())
                if other not in seen
            )
        return in_force[retraction]

    return frozenset(target for retraction, target in retractions.items() if holds(retraction, frozenset()))


def on_roll_at(events: Sequence[Sent], urns: Iterable[str]) -> bool:
    """Is (or was) the pupil of these events on roll at one of `urns`?"""
    schools = frozenset(urns)
    out = withdrawn(events)
    return any(
        e.type in ROLL_EVENTS and not e.guest and e.school_urn in schools and e.event_id not in out
        for e in events
    )


@dataclass
class Records:
    """What is recorded of the pupils asked about: each UPN's identity (itself and every UPN
    linked to it) and the events under each UPN."""

    identities: dict[str, frozenset[str]] = field(default_factory=dict)
    events: dict[str, list[Sent]] = field(default_factory=dict)

    @classmethod
    def build(cls, links: Iterable[tuple[str, str]], events: Iterable[Sent], upns: Iterable[str]) -> Records:
        records = cls()
        for upn in upns:
            records._identity(upn)
        for upn, former in links:
            records.join(upn, former)
        for event in events:
            records.add(event)
        return records

    def _identity(self, upn: str) -> frozenset[str]:
        return self.identities.setdefault(upn, frozenset({upn}))

    def join(self, upn: str, former: str) -> None:
        joined = self._identity(upn) | self._identity(former)
        for member in joined:
            self.identities[member] = joined

    def add(self, event: Sent, former_upn: str | None = None) -> None:
        self.events.setdefault(event.upn, []).append(event)
        if former_upn and former_upn != event.upn:
            self.join(event.upn, former_upn)

    def of(self, upn: str) -> list[Sent]:
        """Every event of the pupil, under any of their UPNs."""
        return [e for member in sorted(self._identity(upn)) for e in self.events.get(member, ())]


def needs_record(event: Envelope) -> bool:
    """Does judging `event` need the pupil's record? (Most events do not: no read for them.)"""
    return (
        event.type == "event.retracted"
        or _is_death(event)
        or (event.former_upn is not None and not _is_admission(event))
    )


def _is_admission(event: Envelope) -> bool:
    return event.type == "pupil.enrolled" and not _is_guest(event)


def _is_death(event: Envelope) -> bool:
    return event.type == "pupil.deleted" and getattr(event.data, "ground", None) == "died"


def upns_to_read(events: Iterable[Envelope]) -> set[str]:
    """The UPNs whose records the rules will look at for these events."""
    found: set[str] = set()
    for event in events:
        if needs_record(event):
            found.add(event.upn)
            if event.former_upn:
                found.add(event.former_upn)
    return found


def refusals(events: Sequence[Envelope], records: Records) -> dict[int, Problem]:
    """The events (by index) a sender may not send, each with the rule it breaks. Events are
    judged in order, each against the record and the events accepted before it; an event already
    in the record (a resend) is not judged again."""
    refused: dict[int, Problem] = {}
    relevant = _reaching_judged(events, records)
    for index, event in enumerate(events):
        if event.upn not in relevant:
            continue  # no rule reads it (a batch of 10,000 has some 50 pupils a rule judges)
        this = sent(event)
        if not needs_record(event):
            # Never refused, only remembered for the events after it (a copy of an event already
            # in the record changes no rule's answer, so the resend check is not needed).
            records.add(this, event.former_upn)
            continue
        record = records.of(event.upn)
        if any(e.event_id == this.event_id for e in record):
            continue
        problem = refusal(event, record, records)
        if problem is None:
            records.add(this, event.former_upn)
        else:
            refused[index] = problem
    return refused


def _reaching_judged(events: Sequence[Envelope], records: Records) -> set[str]:
    """The UPNs whose events a rule may read while judging these: those of the events judged, the
    UPNs the record links to them, and any UPN the events' own `former_upn` links join to those."""
    reached = set(records.identities)
    for event in events:
        if needs_record(event):
            reached.add(event.upn)
            if event.former_upn:
                reached.add(event.former_upn)
    joins: dict[str, set[str]] = {}
    for event in events:
        if event.former_upn and event.former_upn != event.upn:
            joins.setdefault(event.upn, set()).add(event.former_upn)
            joins.setdefault(event.former_upn, set()).add(event.upn)
    frontier = [upn for upn in reached if upn in joins]
    while frontier:
        for linked in joins[frontier.pop()]:
            if linked not in reached:
                reached.add(linked)
                frontier.append(linked)
    return reached


def refusal(event: Envelope, record: Sequence[Sent], records: Records) -> Problem | None:
    """Why `event` may not be sent by its school, given the pupil's record, or None."""
    school = event.school_urn
    if event.type == "event.retracted":
        target = sent(event).retracts
        retracted = next((e for e in record if e.event_id == target), None)
        if retracted is None:
            return Problem(
                "data.retracts",
                "retracted_event_unknown",
                "no event with this id is recorded for this pupil (under upn or a UPN linked to it); "
                "if it was accepted moments ago, send the retraction again shortly",
            )
        if retracted.school_urn != school:
            return Problem(
                "data.retracts",
                "retraction_not_sender",
                "only the school that sent an event may retract it; this event was sent by another school",
            )
    if _is_death(event) and not on_roll_at(record, (school,)):
        return Problem(
            "data.ground",
            "died_not_on_roll",
            "a death is recorded only by a school where the pupil is or was on roll: send the "
            "pupil's enrolment at this school first",
        )
    former = event.former_upn
    if former is not None and not _is_admission(event):
        former_record = records.of(former)
        if former_record and not on_roll_at(former_record, (school,)):
            return Problem(
                "former_upn",
                "former_upn_not_on_roll",
                "former_upn joins another pupil's record: send it in the pupil's admission "
                "(pupil.enrolled), or from a school where the pupil under former_upn is or was on roll",
            )
    return None


def visible_to_la(events: Sequence[Sent], la_of: Mapping[str, str | None]) -> set[str]:
    """The LAs whose officers may read this pupil's history: those of the schools where the
    pupil is or was on roll (`la_of`: school URN -> LA code)."""
    out = withdrawn(events)
    return {
        la
        for e in events
        if e.type in ROLL_EVENTS and not e.guest and e.event_id not in out and (la := la_of.get(e.school_urn))
    }
