"""One LA's schools, pupils and events, and the two records every move is made of: a pupil
enrolled at a school, and a pupil deleted from its register (with the ground, the destination,
the day the LA heard of it and the common transfer file's destination)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Final

from schemas.codelists import regulation_2024_in_force
from services.alerts.calendar import SchoolCalendar
from tools.simulate.clock import SchoolYearClock
from tools.simulate.outside import Outside
from tools.simulate.population import LocalAuthority, Phase, Pupil, School
from tools.simulate.pupils import UpnAllocator
from tools.simulate.rates import BackgroundRates
from tools.simulate.records import DELETED, ENROLLED, SimEvent, event_id, local_time

CTF_UNKNOWN: Final = "XXXXXXX"
CTF_ELSEWHERE: Final = "MMMMMMM"
_REG_2024: Final = regulation_2024_in_force()


class Register(SchoolYearClock):
    """The LA's schools and pupils, and the events written about them."""

    def __init__(
        self,
        la: LocalAuthority,
        schools: list[School],
        calendar: SchoolCalendar,
        rng: random.Random,
        upns: UpnAllocator,
        outside: Outside,
        *,
        rates: BackgroundRates | None = None,
        emit_baseline: bool = True,
        quiet_background: bool = False,
    ) -> None:
        super().__init__(calendar, rng)
        self.la = la
        self.schools = schools
        self.upns = upns
        self.outside = outside
        self.rates = rates or BackgroundRates()
        self.emit_baseline = emit_baseline
        self.quiet_background = quiet_background
        self.by_phase: dict[Phase, list[School]] = {p: [] for p in ("primary", "secondary", "special", "ap")}
        for school in schools:
            self.by_phase[school.phase].append(school)
        self.events: list[SimEvent] = []
        self.pupils: list[Pupil] = []
        self._seq = 0

    def next_seq(self, count: int) -> int:
        """Reserve `count` sequence numbers (for records made outside `emit`); the first minus one."""
        first = self._seq
        self._seq += count
        return first

    def emit(
        self,
        kind: str,
        pupil: Pupil,
        school: School,
        occurred_on: dt.date,
        recorded_on: dt.date,
        data: dict[str, Any],
        *,
        after: SimEvent | None = None,
        minute: int | None = None,
        keep: bool = True,
    ) -> SimEvent:
        self._seq += 1
        recorded = local_time(recorded_on, minute if minute is not None else 480 + self.rng.randrange(570))
        if after is not None and recorded <= after.recorded_at:
            recorded = after.recorded_at + dt.timedelta(minutes=1 + self.rng.randrange(30))
        event = SimEvent(
            type=kind,
            event_id=event_id(self.rng),
            upn=pupil.upn,
            school_urn=school.urn,
            la_code=school.la_code,
            occurred_on=occurred_on,
            recorded_at=recorded,
            date_of_birth=pupil.date_of_birth,
            year_group=pupil.year_group,
            sen=pupil.sen,
            fsm=pupil.fsm,
            looked_after=pupil.looked_after,
            child_in_need=pupil.child_in_need,
            data=data,
            seq=self._seq,
        )
        if keep:
            self.events.append(event)
            pupil.history.append(event)
        return event

    def enrol(
        self,
        pupil: Pupil,
        school: School,
        on: dt.date,
        *,
        previous: str | None,
        status: str = "single",
        notified: dt.date | str | None = "on_time",
        recorded: dt.date | None = None,
        managed_move: bool = False,
        keep: bool = True,
    ) -> SimEvent:
        if notified == "on_time":
            # Within 2 school days, and by the end of the 5th day after entry (reg 13(1)).
            notified = min(self.record_day(on, 0, 0, 1, 2), on + _FIVE_DAYS) if on >= self.first_day else on
        if recorded is None:
            recorded = on if on < self.first_day else self.record_day(on, 0, 0, 1)
        assert not isinstance(notified, str)
        data = {
            "enrolment_status": status,
            "previous_school": previous,
            "la_notified_on": notified,
            "managed_move": managed_move,
        }
        if status == "subsidiary_dual":
            school.duals.append(pupil)
            pupil.dual_school = school
        else:
            if pupil.school is not None:
                pupil.school.remove(pupil)
            school.add(pupil)
            pupil.status = status
            if (pupil.last_counted_urn is None and previous is not None) or (
                pupil.last_counted_urn is not None and pupil.last_counted_urn != school.urn
            ):
                pupil.change_dates.append(on)
            pupil.last_counted_urn = school.urn
        return self.emit(ENROLLED, pupil, school, on, recorded, data, keep=keep)

    def delete(
        self,
        pupil: Pupil,
        on: dt.date,
        ground: str,
        kind: str,
        laestab: str | None = None,
        *,
        school: School | None = None,
        ctf: str | bool | None = True,
        notified: dt.date | str | None = "on_time",
        recorded: dt.date | None = None,
        after: SimEvent | None = None,
    ) -> SimEvent:
        school = school or pupil.school
        assert school is not None
        if ctf is True:
            ctf = _ctf_for(kind, laestab)
        if notified == "on_time":
            notified = on
        if recorded is None:
            recorded = self.record_day(on, 0, 0, 1, 2)
        assert not isinstance(notified, str) and not isinstance(ctf, bool)
        destination: dict[str, Any] = {"kind": kind}
        if laestab is not None:
            destination["laestab"] = laestab
        data = {
            "ground": ground,
            "regulation": "2024" if on >= _REG_2024 else "2006",
            "destination": destination,
            "la_notified_on": notified,
            "ctf_destination": ctf,
        }
        if pupil.dual_school is school:
            school.duals.remove(pupil)
            pupil.dual_school = None
        elif pupil.school is school:
            school.remove(pupil)
        return self.emit(DELETED, pupil, school, on, recorded, data, after=after)


_FIVE_DAYS = dt.timedelta(days=5)


def _ctf_for(kind: str, laestab: str | None) -> str | None:
    if laestab is not None and kind in ("school", "independent", "post16"):
        return laestab
    if kind in ("abroad", "independent"):
        return CTF_ELSEWHERE
    if kind in ("unknown", "moved_away"):
        return CTF_UNKNOWN
    return None
