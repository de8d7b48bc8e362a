"""The schools outside the LA being simulated: where leavers to other LAs go and where newcomers
come from."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from tools.simulate.population import Phase, Pupil, School

# A pupil on the way to an LA simulated later in the run: (arrival day, pupil, school, previous
# LAESTAB, sending LA code).
Arrival = tuple[dt.date, Pupil, School, str, str]


@dataclass
class Outside:
    """Schools outside this LA that pupils move to or come from: real schools of the other LAs
    in an England run (with a mailbox per LA for pupils still to arrive), otherwise made-up
    LAESTABs of neighbouring LAs."""

    other_la_codes: list[str]
    schools_by_la: dict[str, list[School]] = field(default_factory=dict)
    mailbox: dict[str, list[Arrival]] = field(default_factory=dict)
    # LAs still to be simulated in this run (arrivals can be delivered to them).
    pending: set[str] = field(default_factory=set)
    # An England run: newcomers come from abroad (a made-up LAESTAB elsewhere in England could
    # clash with the UPNs of a simulated school).
    england: bool = False

    def laestab(self, phase: Phase, own_la: str, rng: random.Random) -> tuple[str, School | None]:
        """A school in another LA: (LAESTAB, the School when that LA is simulated later)."""
        codes = self.other_la_codes
        code = codes[rng.randrange(len(codes))]
        pending = [c for c in self.pending if c != own_la]
        if pending and rng.random() < 0.8:
            code = pending[rng.randrange(len(pending))]
        schools = [s for s in self.schools_by_la.get(code, []) if s.phase == phase]
        if schools and code in self.pending:
            school = schools[rng.randrange(len(schools))]
            return school.laestab, school
        base = 4001 if phase == "secondary" else 2001
        return f"{code}{base + rng.randrange(400):04d}", None

    def send(self, arrival: Arrival) -> None:
        """Post a pupil to the LA of the school in `arrival`."""
        self.mailbox.setdefault(arrival[2].la_code, []).append(arrival)

    def collect(self, la_code: str, by: dt.date) -> list[Arrival]:
        """The arrivals for `la_code` on or before `by`, taken out of the mailbox."""
        waiting = self.mailbox.get(la_code, [])
        self.mailbox[la_code] = [entry for entry in waiting if entry[0] > by]
        return [entry for entry in waiting if entry[0] <= by]
