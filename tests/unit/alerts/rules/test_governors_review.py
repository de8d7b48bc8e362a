from __future__ import annotations

import pytest

from services.alerts.rules import governors_review as rule

from ..factories import OTHER_SCHOOL, calendar, d, deletion, exclusion, params, state, suspension

CAL = calendar()
P = params()


def run(*facts: object) -> list[object]:
    s = state(*facts)
    return rule.evaluate(s, s.facts[-1], CAL, P)


class TestSuspensions:
    @pytest.mark.parametrize(("second", "due"), [(10, False), (11, True)])
    def test_more_than_15_school_days_in_a_term(self, second: int, due: bool) -> None:
        """20 + 10 sessions in the autumn term is 15 days (within); 20 + 11 is 15.5."""
        found = run(
            suspension(sessions=20, occurred_on="2025-10-01"),
            suspension(sessions=second, occurred_on="2025-12-01"),
        )
        assert bool(found) is due
        if due:
            (alert,) = found
            assert "in the autumn term add up to 15.5 school days" in alert.reason
            assert alert.statutory_reference.startswith("School Discipline (Pupil Exclusions and Reviews)")

    def test_terms_and_schools_stand_alone(self) -> None:
        # Fri 19 Dec 2025 ends the autumn term; Mon 5 Jan 2026 starts the spring term.
        assert (
            run(
                suspension(sessions=20, occurred_on="2025-12-15"),
                suspension(sessions=20, occurred_on="2026-01-05"),
            )
            == []
        )
        assert run(suspension(sessions=20), suspension(sessions=20, school_urn=OTHER_SCHOOL)) == []

    def test_one_alert_per_pupil_school_and_term(self) -> None:
        first = suspension(sessions=31, occurred_on="2025-10-01")
        (a,) = run(first)
        (b,) = run(first, suspension(sessions=2, occurred_on="2025-11-10"))
        (c,) = run(first, suspension(sessions=31, occurred_on="2026-01-12"))
        assert a.fingerprint == b.fingerprint != c.fingerprint

    def test_a_missed_public_examination(self) -> None:
        missed = suspension(
            event_id="exam", sessions=2, occurred_on="2026-05-18", misses_public_examination=True
        )
        (alert,) = run(missed)
        assert alert.key_event_id == "exam" and "missing a public examination" in alert.reason
        assert run(suspension(sessions=2, occurred_on="2026-05-18")) == []


class TestPermanentExclusions:
    def test_a_decision_is_due_within_15_school_days(self) -> None:
        pex = exclusion(event_id="pex", occurred_on="2025-11-03")
        s = state(pex)
        (wake,) = rule.wake_ups(s, pex, CAL, P)
        # from Mon 3 Nov 2025 the 15th school day is Mon 24 Nov
        assert (wake.due_on, wake.fires_on) == (d("2025-11-24"), d("2025-11-25"))
        assert rule.evaluate_at(s, d("2025-11-24"), CAL, P) == []
        (alert,) = rule.evaluate_at(s, d("2025-11-25"), CAL, P)
        assert alert.key_event_id == "pex" and "no decision of the governing board" in alert.reason

    @pytest.mark.parametrize("review", ["upheld", "reinstated"])
    def test_a_recorded_decision_answers_it(self, review: str) -> None:
        pex = exclusion(occurred_on="2025-11-03")
        decision = exclusion(occurred_on="2025-11-03", review=review)
        assert rule.evaluate_at(state(pex, decision), d("2025-12-01"), CAL, P) == []

    def test_the_deletion_after_the_review_route_answers_it(self) -> None:
        pex = exclusion(occurred_on="2025-11-03")
        gone = deletion(ground="permanently_excluded", occurred_on="2025-11-20")
        assert rule.evaluate_at(state(pex, gone), d("2025-12-01"), CAL, P) == []

    def test_sent_already_decided_it_waits_for_nothing(self) -> None:
        upheld = exclusion(occurred_on="2025-11-03", review="upheld")
        assert rule.wake_ups(state(upheld), upheld, CAL, P) == []

    def test_a_resend_is_the_same_exclusion(self) -> None:
        first, again = (
            exclusion(event_id="a", occurred_on="2025-11-03"),
            exclusion(event_id="b", occurred_on="2025-11-03"),
        )
        assert [a.key_event_id for a in rule.evaluate_at(state(first, again), d("2025-12-01"), CAL, P)] == [
            "a"
        ]
