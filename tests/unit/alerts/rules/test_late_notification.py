from __future__ import annotations

import datetime as dt

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

    def test_top_year_leavers_at_the_end_of_the_year_are_exempt(self) -> None:
        leaver = deletion(year_group=6, occurred_on="2026-07-22", la_notified_on=None)
        assert run(leaver) == []
        assert run(leaver, params(late_notification={"exempt_end_of_year_leavers": False}))
        assert run(deletion(year_group=5, occurred_on="2026-07-22", la_notified_on=None))


class TestAdmissions:
    @pytest.mark.parametrize(
        ("notified", "late"),
        [
            ("2025-11-03", False),
            ("2025-11-08", False),  # a Saturday: still 4 school days
            ("2025-11-10", False),  # the 5th school day after entry on Mon 3 Nov
            ("2025-11-11", True),  # the 6th
        ],
    )
    def test_by_the_fifth_school_day(self, notified: str, late: bool) -> None:
        assert bool(run(enrolment(occurred_on="2025-11-03", la_notified_on=notified))) is late

    def test_half_term_does_not_count(self) -> None:
        # entry Thu 23 Oct 2025: Fri 24 Oct, then Mon 3 - Thu 6 Nov after half term
        assert run(enrolment(occurred_on="2025-10-23", la_notified_on="2025-11-06")) == []
        assert run(enrolment(occurred_on="2025-10-23", la_notified_on="2025-11-07"))

    def test_no_notification_means_the_day_recorded_here(self) -> None:
        on_time = enrolment(
            occurred_on="2025-11-03", la_notified_on=None, recorded_at=at_noon(d("2025-11-10"))
        )
        assert run(on_time) == []
        late = enrolment(occurred_on="2025-11-03", la_notified_on=None, recorded_at=at_noon(d("2025-11-11")))
        (alert,) = run(late)
        assert "recorded here on 11 Nov 2025, 6 school days after entry" in alert.reason
        assert "due by the end of the 5th school day" in alert.reason

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

    def test_the_limit_is_a_parameter(self) -> None:
        fact = enrolment(occurred_on="2025-11-03", la_notified_on="2025-11-11")
        assert run(fact, params(late_notification={"admission_school_days": 6})) == []

    def test_recorded_after_midnight_in_summer_time(self) -> None:
        # 23:30 UTC on Thu 11 Jun 2026 is 00:30 on Fri 12 Jun in England
        late_night = dt.datetime(2026, 6, 11, 23, 30, tzinfo=dt.UTC)
        fact = enrolment(occurred_on="2026-06-04", la_notified_on=None, recorded_at=late_night)
        (alert,) = run(fact)
        assert "12 Jun 2026, 6 school days" in alert.reason
