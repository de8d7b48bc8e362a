from __future__ import annotations

import pytest

from services.alerts.rules import ehe_vulnerable

from ..factories import UPN, calendar, d, deletion, enrolment, exclusion, params, referral, state, suspension
from ..factories import ap_ended as ended

CAL = calendar()
P = params()


def ehe(**kw: object) -> object:
    kw.setdefault("event_id", "del")
    kw.setdefault("occurred_on", "2026-03-03")
    kw.setdefault("ground", "home_education")
    kw.setdefault("destination_kind", "home_education")
    kw.setdefault("destination_laestab", None)
    return deletion(**kw)


def run(*facts: object) -> list[object]:
    s = state(*facts)
    return ehe_vulnerable.evaluate(s, s.facts[-1], CAL, P)


def test_home_education_alone_is_not_an_alert() -> None:
    assert run(enrolment(occurred_on="2025-09-03"), ehe()) == []


def test_the_example_wording() -> None:
    (alert,) = run(
        suspension(event_id="s1", start_on="2025-11-10", occurred_on="2025-11-10"),
        suspension(event_id="s2", start_on="2026-01-12", occurred_on="2026-01-12"),
        ehe(sen_provision="E"),
    )
    assert alert.reason == (
        "Taken off roll at school 100000 on 3 Mar 2026 for home education; EHC plan; "
        "2 suspensions in the 12 months before. This is a prompt for enquiry, not a finding."
    )
    assert (
        alert.statutory_reference
        == "School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1)(f)"
    )
    assert alert.evidence == ("s1", "s2", "del") and alert.key_event_id == "del"
    assert alert.severity == "high" and alert.upn == UPN and UPN not in alert.reason


@pytest.mark.parametrize(
    "pupil",
    [{"sen_provision": "E"}, {"sen_provision": "K"}, {"looked_after": True}, {"child_in_need": True}],
)
def test_each_need_on_its_own_is_enough(pupil: dict[str, object]) -> None:
    assert len(run(ehe(**pupil))) == 1


def test_which_needs_count_is_a_parameter() -> None:
    only_plans = params(ehe_vulnerable={"sen_provisions": ("E",)})
    s = state(ehe(sen_provision="K"))
    assert ehe_vulnerable.evaluate(s, s.facts[-1], CAL, only_plans) == []


def test_a_destination_of_home_education_counts_whatever_the_ground() -> None:
    assert len(run(ehe(ground="other_school", sen_provision="E"))) == 1


def test_other_deletions_are_not_this_rule() -> None:
    assert run(deletion(sen_provision="E")) == []


def test_twelve_months_back_to_the_same_date_inclusive() -> None:
    assert len(run(suspension(start_on="2025-03-03", occurred_on="2025-03-03"), ehe())) == 1
    assert run(suspension(start_on="2025-03-02", occurred_on="2025-03-02"), ehe()) == []


def test_a_permanent_exclusion_in_the_year_counts() -> None:
    (alert,) = run(exclusion(occurred_on="2025-12-01"), ehe())
    assert "1 permanent exclusion in the 12 months before" in alert.reason


def test_an_ap_placement_still_running_into_the_year_counts() -> None:
    old = referral(event_id="ap", start_on="2024-11-04", occurred_on="2024-11-04")
    (alert,) = run(old, ehe())
    assert "1 alternative provision placement" in alert.reason
    assert run(old, ended("ap", ended_on="2025-02-28", occurred_on="2025-02-28"), ehe()) == []
    assert len(run(old, ended("ap", ended_on="2025-03-03", occurred_on="2025-03-03"), ehe())) == 1


def test_a_later_placement_is_not_history() -> None:
    assert run(referral(start_on="2026-04-13", occurred_on="2026-02-02"), ehe()) == []


def test_the_2006_regulations_are_cited_for_a_2006_deletion() -> None:
    (alert,) = run(ehe(sen_provision="E", regulation="2006"))
    assert alert.statutory_reference.endswith("2006, reg 8(1)(d)")


def test_not_after_death() -> None:
    died = deletion(ground="died", destination_kind="died", occurred_on=d("2026-03-10"))
    s = state(ehe(sen_provision="E"), died)
    assert ehe_vulnerable.evaluate(s, s.facts[0], CAL, P) == []
