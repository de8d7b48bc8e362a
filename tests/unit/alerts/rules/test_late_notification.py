from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from services.alerts.rules import late_notification

from ..factories import at_noon, calendar, d, deletion, enrolment, params, state

CAL = calendar()
P = params()


def run(fact: object, p: object = P) -> list[object]:
    return late_notification.evaluate(state(fact), fact, CAL, p)


class TestDeletions:
    @pytest.mark.parametrize(
        ("notified", "late"),
        [("2025-11-01", False), ("2025-11-03", False), ("2025-11-04", True), (None, True)],
    )
    def test_no_later_than_the_deletion(self, notified: str | None, late: bool) -> None:
        assert bool(run(deletion(occurred_on="2025-11-03", la_notified_on=notified))) is late

    def test_wording(self) -> None:
        (alert,) = run(deletion(event_id="x", occurred_on="2025-11-03", la_notified_on="2025-11-06"))
        assert "the LA was told on 6 Nov 2025, 3 days after the deletion" in alert.reason
        (silent,) = run(deletion(occurred_on="2025-11-03", la_notified_on=None))
        assert "no notification to the LA recorded" in silent.reason
        assert alert.severity == "low" and alert.key_event_id == "x"

    def test_top_year_leavers_at_the_end_of_the_last_term_are_exempt(self) -> None:
        """Reg 13(5): the summer term of 2025/26 ends on Wed 22 Jul 2026 on the LA's calendar."""
        leaver = deletion(year_group=6, occurred_on="2026-07-22", la_notified_on=None)
        assert run(leaver) == []
        assert run(deletion(year_group=6, occurred_on="2026-08-31", la_notified_on=None)) == []
        assert run(deletion(year_group=6, occurred_on="2026-07-21", la_notified_on=None))  # still term
        assert run(leaver, params(late_notification={"exempt_end_of_year_leavers": False}))
        assert run(deletion(year_group=5, occurred_on="2026-07-22", la_notified_on=None))

    def test_the_register_names_the_most_senior_class(self) -> None:
        # An 11-18 school: Year 11 is not its most senior class, Year 13 is.
        year_11 = deletion(
            year_group=11, occurred_on="2026-07-22", la_notified_on=None, school_top_year_group=13
        )
        assert run(year_11)
        year_13 = deletion(
            year_group=13, occurred_on="2026-07-22", la_notified_on=None, school_top_year_group=13
        )
        assert run(year_13) == []

    @pytest.mark.parametrize("ground", ["end_of_compulsory_age", "nursery_finished"])
    def test_no_ground_is_exempt(self, ground: str) -> None:
        fact = deletion(year_group=10, occurred_on="2026-06-10", ground=ground, destination_kind="post16",
                        la_notified_on=None)  # fmt: skip
        assert run(fact)

    @pytest.mark.parametrize(
        ("ground", "kind", "occurred_on", "late"),
        [
            # before 1 Sep 2016 only the 2006 grounds (d), (e), (g), (i), (m) needed a return
            ("other_school", "school", "2016-08-31", False),
            ("absent_20_days", "unknown", "2016-08-31", False),
            ("home_education", "home_education", "2016-08-31", True),
            ("moved_away", "moved_away", "2016-08-31", True),
            ("permanently_excluded", "school", "2016-08-31", True),
            # from then on every ground (SI 2016/792)
            ("other_school", "school", "2016-09-01", True),
        ],
    )
    def test_before_september_2016_only_some_grounds_needed_a_return(
        self, ground: str, kind: str, occurred_on: str, late: bool
    ) -> None:
        fact = deletion(ground=ground, destination_kind=kind, occurred_on=occurred_on, regulation="2006",
                        la_notified_on=None, year_group=9)  # fmt: skip
        assert bool(run(fact)) is late


class TestAdmissions:
    @pytest.mark.parametrize(
        ("notified", "late"),
        [
            ("2025-11-03", False),
            ("2025-11-08", False),  # the 5th day after entry on Mon 3 Nov (a Saturday)
            ("2025-11-09", True),  # the 6th day, though only the 4th school day
            ("2025-11-10", True),
        ],
    )
    def test_by_the_end_of_the_fifth_day(self, notified: str, late: bool) -> None:
        """Reg 13(1): "by the end of the fifth day after": days, not school days."""
        assert bool(run(enrolment(occurred_on="2025-11-03", la_notified_on=notified))) is late

    def test_half_term_counts(self) -> None:
        # entry Thu 23 Oct 2025, half term 27-31 Oct: the 5th day is Tue 28 Oct
        assert run(enrolment(occurred_on="2025-10-23", la_notified_on="2025-10-28")) == []
        assert run(enrolment(occurred_on="2025-10-23", la_notified_on="2025-10-29"))

    @pytest.mark.parametrize(("notified", "late"), [("2025-11-10", False), ("2025-11-11", True)])
    def test_an_la_may_count_school_days(self, notified: str, late: bool) -> None:
        school_days = params(late_notification={"admission_day_unit": "school"})
        fact = enrolment(occurred_on="2025-11-03", la_notified_on=notified)
        found = run(fact, school_days)
        assert bool(found) is late
        if late:
            assert (
                "6 school days after entry (due by the end of the 5th school day after it)" in found[0].reason
            )

    def test_no_notification_means_the_day_recorded_here(self) -> None:
        on_time = enrolment(
            occurred_on="2025-11-03", la_notified_on=None, recorded_at=at_noon(d("2025-11-08"))
        )
        assert run(on_time) == []
        late = enrolment(occurred_on="2025-11-03", la_notified_on=None, recorded_at=at_noon(d("2025-11-09")))
        (alert,) = run(late)
        assert "recorded here on 9 Nov 2025, 6 days after entry" in alert.reason
        assert "due by the end of the 5th day after it" in alert.reason

    @pytest.mark.parametrize(
        ("year_group", "occurred_on", "late"),
        [
            (7, "2025-09-03", False),
            (7, "2025-09-01", False),
            (8, "2025-09-03", True),
            (7, "2025-09-04", True),
        ],
    )
    def test_youngest_year_on_the_first_day_is_exempt(
        self, year_group: int, occurred_on: str, late: bool
    ) -> None:
        fact = enrolment(year_group=year_group, occurred_on=occurred_on, la_notified_on="2025-10-01")
        assert bool(run(fact)) is late

    def test_an_la_that_asks_for_first_day_returns_gets_them(self) -> None:
        """Reg 13(3): the LA asked, so first-day entries need a return too."""
        fact = enrolment(year_group=7, occurred_on="2025-09-03", la_notified_on="2025-10-01")
        assert run(fact, params(late_notification={"exempt_first_day_entries": False}))

    def test_a_guest_is_not_an_admission(self) -> None:
        guest = enrolment(occurred_on="2025-11-03", la_notified_on=None, enrolment_status="guest",
                          recorded_at=at_noon(d("2025-12-01")))  # fmt: skip
        assert run(guest) == []
        assert run(replace(guest, enrolment_status="subsidiary_dual"))

    def test_no_admission_returns_before_september_2016(self) -> None:
        assert run(enrolment(occurred_on="2016-08-31", la_notified_on=None)) == []
        assert run(
            enrolment(occurred_on="2016-09-01", la_notified_on=None, recorded_at=at_noon(d("2016-09-30")))
        )

    def test_the_limit_is_a_parameter(self) -> None:
        fact = enrolment(occurred_on="2025-11-03", la_notified_on="2025-11-09")
        assert run(fact, params(late_notification={"admission_days": 6})) == []

    def test_recorded_after_midnight_in_summer_time(self) -> None:
        # 23:30 UTC on Tue 9 Jun 2026 is 00:30 on Wed 10 Jun in England
        late_night = dt.datetime(2026, 6, 9, 23, 30, tzinfo=dt.UTC)
        fact = enrolment(occurred_on="2026-06-04", la_notified_on=None, recorded_at=late_night)
        (alert,) = run(fact)
        assert "10 Jun 2026, 6 days" in alert.reason
