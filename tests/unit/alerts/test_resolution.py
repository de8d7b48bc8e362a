from __future__ import annotations

import dataclasses

from services.alerts.candidates import AlertCandidate
from services.alerts.resolution import resolutions
from services.alerts.rules import (
    ap_planned_end_passed,
    ap_review_overdue,
    ehe_vulnerable,
    governors_review,
    no_destination,
    suspension_limit,
)

from .factories import (
    OTHER_SCHOOL,
    SCHOOL,
    ap_ended,
    calendar,
    d,
    deletion,
    enrolment,
    exclusion,
    params,
    referral,
    retraction,
    review_request,
    state,
    suspension,
)

CAL = calendar()
P = params()


def nowhere() -> object:
    return deletion(
        event_id="del", occurred_on="2025-11-03", destination_kind="unknown", destination_laestab=None
    )


def open_no_destination() -> AlertCandidate:
    (alert,) = no_destination.evaluate_at(state(nowhere()), d("2025-11-18"), CAL, P)
    return alert


def test_an_enrolment_anywhere_resolves_no_destination() -> None:
    alert = open_no_destination()
    joined = enrolment(event_id="enr", school_urn=OTHER_SCHOOL, occurred_on="2025-11-20")
    (done,) = resolutions(state(nowhere(), joined), joined, [alert], CAL, P)
    assert (done.fingerprint, done.kind, done.by_event_id, done.rule) == (
        alert.fingerprint,
        "auto_resolved",
        "enr",
        "no_destination",
    )


def test_the_pupils_old_admission_arriving_late_does_not_resolve() -> None:
    alert = open_no_destination()
    old = enrolment(school_urn=SCHOOL, occurred_on="2025-09-03")
    assert resolutions(state(nowhere(), old), old, [alert], CAL, P) == []


def test_an_enrolment_leaves_other_rules_alone() -> None:
    other = dataclasses.replace(open_no_destination(), rule="exam_cohort_exit", fingerprint="f2")
    joined = enrolment(school_urn=OTHER_SCHOOL, occurred_on="2025-11-20")
    assert resolutions(state(nowhere(), joined), joined, [other], CAL, P) == []


def test_death_inhibits_every_alert_of_the_pupil_only() -> None:
    mine = open_no_destination()
    someone_else = dataclasses.replace(mine, upn="X00180001701A", fingerprint="f3")
    school_level = dataclasses.replace(mine, upn=None, fingerprint="f4", rule="school_exit_pattern")
    died = deletion(event_id="rip", ground="died", destination_kind="died", occurred_on="2025-11-20")
    found = resolutions(state(nowhere(), died), died, [mine, someone_else, school_level], CAL, P)
    assert [(r.fingerprint, r.kind) for r in found] == [(mine.fingerprint, "inhibited")]


def overdue(*facts: object) -> AlertCandidate:
    (alert,) = ap_review_overdue.evaluate_at(state(*facts), d("2025-11-18"), CAL, P)
    return alert


def test_an_ended_placement_resolves_its_alert() -> None:
    placed = referral(event_id="ap1", occurred_on="2025-11-03", review_by="2025-11-17")
    alert = overdue(placed)
    end = ap_ended("ap1", ended_on="2025-11-19")
    assert [r.kind for r in resolutions(state(placed, end), end, [alert], CAL, P)] == ["auto_resolved"]
    unrelated = ap_ended("ap-other")
    assert resolutions(state(placed, unrelated), unrelated, [alert], CAL, P) == []


def test_a_new_review_date_resolves_the_overdue_alert() -> None:
    placed = referral(event_id="ap1", occurred_on="2025-11-03", review_by="2025-11-17")
    alert = overdue(placed)
    review = referral(event_id="ap2", occurred_on="2025-11-19", start_on="2025-11-03", review_by="2025-12-15")
    (done,) = resolutions(state(placed, review), review, [alert], CAL, P)
    assert done.reason == "the placement was reviewed"
    elsewhere = referral(event_id="ap3", provider="ukprn:1", occurred_on="2025-11-19", review_by="2025-12-15")
    assert resolutions(state(placed, elsewhere), elsewhere, [alert], CAL, P) == []


def test_retracting_the_key_event_resolves() -> None:
    alert = open_no_destination()
    undo = retraction("del")
    (done,) = resolutions(state(nowhere(), undo), undo, [alert], CAL, P)
    assert done.reason == "its evidence was retracted"


def test_retracting_part_of_the_evidence_resolves_only_if_the_rule_no_longer_holds() -> None:
    s1 = suspension(event_id="s1", occurred_on="2025-11-10")
    leaves = deletion(
        event_id="del",
        ground="home_education",
        destination_kind="home_education",
        sen_provision="E",
        occurred_on="2025-11-20",
    )
    (with_plan,) = ehe_vulnerable.evaluate(state(s1, leaves), leaves, CAL, P)
    assert with_plan.evidence == ("s1", "del")
    undo = retraction("s1")
    assert resolutions(state(s1, leaves, undo), undo, [with_plan], CAL, P) == []  # the EHC plan still counts

    plain = dataclasses.replace(leaves, sen_provision="N")
    (history_only,) = ehe_vulnerable.evaluate(state(s1, plain), plain, CAL, P)
    assert len(resolutions(state(s1, plain, undo), undo, [history_only], CAL, P)) == 1


def test_retracting_a_suspension_under_the_limit_resolves() -> None:
    big = suspension(event_id="big", sessions=89, occurred_on="2025-10-01")
    small = suspension(event_id="small", sessions=2, occurred_on="2025-11-03")
    (alert,) = suspension_limit.evaluate(state(big, small), small, CAL, P)
    undo = retraction("small")
    assert len(resolutions(state(big, small, undo), undo, [alert], CAL, P)) == 1
    extra = suspension(event_id="extra", sessions=2, occurred_on="2025-11-10")
    assert resolutions(state(big, small, extra, undo), undo, [alert], CAL, P) == []


def test_a_review_meets_a_requested_review_and_a_new_planned_end_the_passed_one() -> None:
    placed = referral(
        event_id="ap1", occurred_on="2025-11-03", review_by="2026-07-20", planned_end_on="2025-12-01"
    )
    asked = review_request("ap1", event_id="rq1", occurred_on="2026-01-05")
    s = state(placed, asked)
    (requested,) = ap_review_overdue.evaluate_at(s, d("2026-01-20"), CAL, P)
    (passed,) = ap_planned_end_passed.evaluate_at(s, d("2026-01-20"), CAL, P)
    review = referral(event_id="ap2", occurred_on="2026-01-21", start_on="2025-11-03", review_by="2026-07-20",
                      planned_end_on="2026-03-27")  # fmt: skip
    done = resolutions(state(placed, asked, review), review, [requested, passed], CAL, P)
    assert sorted(r.rule for r in done) == ["ap_planned_end_passed", "ap_review_overdue"]
    end = ap_ended("ap1", event_id="end", occurred_on="2026-01-21")
    assert len(resolutions(state(placed, asked, end), end, [requested, passed], CAL, P)) == 2


def test_the_governors_decision_resolves_their_review() -> None:
    pex = exclusion(event_id="pex", occurred_on="2025-11-03")
    (alert,) = governors_review.evaluate_at(state(pex), d("2025-11-25"), CAL, P)
    upheld = exclusion(event_id="up", occurred_on="2025-11-03", review="upheld", recorded_at=None)
    (done,) = resolutions(state(pex, upheld), upheld, [alert], CAL, P)
    assert (done.rule, done.reason) == ("governors_review", "the governors decided")
    other_day = exclusion(occurred_on="2025-11-04", review="upheld")
    assert resolutions(state(pex, other_day), other_day, [alert], CAL, P) == []
    off_roll = deletion(ground="permanently_excluded", occurred_on="2025-12-08")
    assert len(resolutions(state(pex, off_roll), off_roll, [alert], CAL, P)) == 1
