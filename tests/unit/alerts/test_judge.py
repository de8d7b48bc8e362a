from __future__ import annotations

import json
from pathlib import Path

from services.alerts.judge import judge_fact, judge_school, judge_tick
from services.alerts.la_rules import forget_la_rules, load_la_rules
from services.alerts.parameters import default_parameters
from services.alerts.rules import ALL_RULES

from .factories import UPN, at_noon, calendar, d, deletion, enrolment, params, state, suspension

CAL = calendar()
P = params()


def test_the_registry_matches_the_thresholds_file() -> None:
    assert set(ALL_RULES) == set(type(default_parameters().rules).model_fields)


def test_one_deletion_can_raise_several_rules() -> None:
    history = (
        enrolment(occurred_on="2024-09-04", year_group=10),
        suspension(event_id="s1", occurred_on="2025-12-01", year_group=11),
    )
    leaves = deletion(
        event_id="del",
        year_group=11,
        sen_provision="K",
        ground="home_education",
        destination_kind="home_education",
        destination_laestab=None,
        occurred_on="2026-01-12",
        la_notified_on=None,
        recorded_at=at_noon(d("2026-01-26")),
    )
    judgement = judge_fact(state(*history), leaves, CAL, P)
    assert sorted(c.rule for c in judgement.candidates) == [
        "ehe_vulnerable",
        "exam_cohort_exit",
        "exclusion_then_exit",
        "late_notification",
        "retrospective_deletion",
    ]
    assert judgement.wake_ups == () and judgement.resolutions == ()
    for candidate in judgement.candidates:
        assert UPN not in candidate.reason
        assert candidate.reason.endswith("This is a prompt for enquiry, not a finding.")
        assert candidate.evidence[-1] == "del" and candidate.parameters_version == P.version


def test_disabled_rules_are_skipped() -> None:
    leaves = deletion(la_notified_on=None)
    assert [c.rule for c in judge_fact(state(), leaves, CAL, P).candidates] == ["late_notification"]
    quiet = params(late_notification={"enabled": False})
    assert judge_fact(state(), leaves, CAL, quiet).candidates == ()


def test_waiting_rules_give_a_wake_up_then_fire_on_the_tick() -> None:
    leaves = deletion(
        event_id="del", occurred_on="2025-11-03", destination_kind="unknown", destination_laestab=None
    )
    judgement = judge_fact(state(), leaves, CAL, P)
    (wake,) = judgement.wake_ups
    s = state(leaves)
    assert judge_tick(s, wake.due_on, CAL, P) == ()
    (alert,) = judge_tick(s, wake.fires_on, CAL, P)
    assert alert.fingerprint == wake.fingerprint
    assert judge_tick(s, wake.fires_on, CAL, params(no_destination={"enabled": False})) == ()

    joined = enrolment(event_id="enr", school_urn="100001", occurred_on="2025-11-20")
    after = judge_fact(s, joined, CAL, P, open_alerts=[alert])
    assert [r.fingerprint for r in after.resolutions] == [alert.fingerprint]


def test_after_death_nothing_new_is_raised() -> None:
    leaves = deletion(
        event_id="del", occurred_on="2025-11-03", destination_kind="unknown", destination_laestab=None
    )
    (alert,) = judge_tick(state(leaves), d("2025-11-18"), CAL, P)
    died = deletion(event_id="rip", ground="died", destination_kind="died", la_notified_on=None)
    judgement = judge_fact(state(leaves), died, CAL, P, open_alerts=[alert])
    assert judgement.candidates == () and judgement.wake_ups == ()
    assert [r.kind for r in judgement.resolutions] == ["inhibited"]
    assert judge_tick(state(leaves, died), d("2026-01-05"), CAL, P) == ()


def test_judge_school() -> None:
    from services.alerts.facts import SchoolExit, SchoolStats

    stats = SchoolStats(
        "100000",
        "886",
        d("2026-03-02"),
        100,
        10,
        tuple(SchoolExit(f"x{i}", d("2026-01-12"), True, False) for i in range(5)),
    )
    assert [c.rule for c in judge_school(stats, CAL, P)] == ["school_exit_pattern"]


def test_la_rules_bundle_the_calendar_and_thresholds(tmp_path: Path) -> None:
    (tmp_path / "886.json").write_text(
        json.dumps({"version": "1", "rules": {"no_destination": {"school_days": 15}}})
    )
    forget_la_rules()
    la = load_la_rules("886", parameter_dirs=[tmp_path])
    assert la.parameters.rules.no_destination.school_days == 15
    assert la.calendar.la_code == "886" and la.la_code == "886"
    assert load_la_rules("886", parameter_dirs=[tmp_path]) is la
    forget_la_rules()
    assert load_la_rules("886", parameter_dirs=[tmp_path]) is not la
