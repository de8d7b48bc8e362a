"""One LA's school years, event by event: the roll at the start, the September intake and the
summer leavers, and the background of a normal year (house moves, transfers, home education,
suspensions, permanent exclusions, alternative provision, managed moves).

Background rates are per pupil per year (`BackgroundRates`). Every process runs in date order off
one agenda, so a pupil's events come in the order a school would record them. The background
is built to stay clear of the alert rules where practical (docs/domain.md, "Alert rules"):
- deletions name their destination, are recorded within 2 school days and notified on time;
  admissions are notified within 2 school days;
- no pupil is moved so often that high_mobility would fire (the next September transfer counted);
- no background deletion follows a suspension at the same school within 31 school days;
- suspensions of one pupil stay within 45 school days a year;
- AP placements are reviewed or ended before their review date and end by the summer;
- no mid-year deletions after 30 June (July is for leavers), so the end-of-year exemptions of
  the rules never decide anything for the background.
Where the background legitimately meets a rule (home education of a pupil with SEN, a Year 10-11
exit to home education or abroad, a school's chance run of exits) the ground truth lists the
alert as background (ground_truth.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from tools.simulate.exclusions import Exclusions
from tools.simulate.moves import Moves
from tools.simulate.placements import Placements
from tools.simulate.population import School
from tools.simulate.rates import poisson, rate
from tools.simulate.roll import SchoolRoll


class LASimulation(SchoolRoll, Moves, Exclusions, Placements):
    """Everything that happens in one LA over the simulated years: the roll (roll.py), the
    moves (moves.py), suspensions and exclusions (exclusions.py) and alternative provision
    (placements.py), each background process put on the year's agenda (clock.py) here."""

    def plan_background(self) -> None:
        """Put the year's background processes on the agenda, per school, at random school days."""
        r = self.rates
        midyear = self.midyear_end
        ap_last = self.later(self.first_day, 130)
        self.find_prone()
        for school in self.schools:
            roll = len(school.roll)
            phase = school.phase
            processes: list[tuple[float, Callable[[School], None], dt.date]] = [
                (roll * rate(r.house_move, phase), self.house_move, midyear),
                (roll * rate(r.move_out_of_la, phase), self.move_out, midyear),
                (roll * rate(r.abroad, phase), self.abroad, midyear),
                (roll * rate(r.transfer, phase), self.transfer, midyear),
                (roll * rate(r.independent, phase), self.independent, midyear),
                (roll * rate(r.home_education, phase), self.home_education, midyear),
                (roll * rate(r.managed_move, phase), self.managed_move, midyear),
                (roll * rate(r.suspensions, phase) / 100, self.suspension, self.days[-8]),
                (roll * rate(r.exclusions, phase) / 100, self.exclusion, self.later(self.first_day, 120)),
                (roll * rate(r.ap_directed, phase), self.ap("directed_off_site"), ap_last),
                (roll * rate(r.ap_commissioned, phase), self.ap("school_commissioned"), ap_last),
                (roll * rate(r.ap_dual, phase), self.ap("dual_registration"), ap_last),
                (roll * rate(r.arrivals, phase), self.arrival, midyear),
            ]
            if phase == "ap":
                processes.append((roll * 0.5, self.ap_moves_on, midyear))
            for mean, action, last in processes:
                self._spread(mean, school, action, last)

    def _spread(self, mean: float, school: School, action: Callable[[School], None], last: dt.date) -> None:
        """A Poisson number of `action`s at the school on random school days up to `last`."""
        for _ in range(poisson(mean, self.rng)):
            day = self.random_day(self.first_day, last)
            if day is not None:
                self.schedule(day, partial(action, school))
