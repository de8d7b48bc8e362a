from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from services.alerts.candidates import AlertCandidate
from services.alerts.delivery import Notification
from services.alerts.delivery.notification import UPN_WITHHELD, scrub_upns
from tests.support.alert_notifications import OPENED, OTHER_UPN, UPN, notification


def test_a_notification_has_no_field_for_a_name_or_a_date_of_birth() -> None:
    names = {field.name for field in dataclasses.fields(Notification)}
    assert not names & {"name", "forename", "surname", "pupil_name", "date_of_birth", "dob", "pupil"}


def test_the_upn_stays_out_of_repr_so_out_of_tracebacks_and_logs() -> None:
    assert UPN not in repr(notification())


def test_invalid_values_are_refused_with_each_field_named() -> None:
    with pytest.raises(ValueError) as info:
        notification(
            status="closed",
            severity="urgent",
            la_code="80",
            school_urn="1",
            updated_at=dt.datetime(2026, 1, 1),
        )
    message = str(info.value)
    for field in ("status", "severity", "la_code", "school_urn", "updated_at"):
        assert field in message


def test_evidence_is_kept_as_a_tuple() -> None:
    assert notification(evidence=["a", "b"]).evidence == ("a", "b")


def test_non_secure_copy_has_no_upn_no_fingerprint_and_says_one_was_withheld() -> None:
    original = notification(
        reason=f"Pupil {UPN} and {OTHER_UPN} left. This is a prompt for enquiry, not a finding."
    )
    copy = original.for_route(secure=False)
    assert copy.upn is None
    assert copy.fingerprint is None
    assert copy.upn_withheld
    assert copy.about_a_pupil
    assert UPN not in copy.reason and OTHER_UPN not in copy.reason
    assert copy.reason.count(UPN_WITHHELD) == 2
    assert (copy.alert_id, copy.rule, copy.evidence) == (original.alert_id, original.rule, original.evidence)


def test_secure_copy_is_the_notification_itself() -> None:
    original = notification()
    assert original.for_route(secure=True) is original


def test_school_level_alert_withholds_nothing() -> None:
    copy = notification(upn=None, rule="school_exit_pattern").for_route(secure=False)
    assert not copy.upn_withheld
    assert not copy.about_a_pupil


def test_scrub_upns_leaves_urns_laestabs_and_dates_alone() -> None:
    text = "school 100000 (8012000), 3 Mar 2026, H801200001001"
    assert scrub_upns(text) == f"school 100000 (8012000), 3 Mar 2026, {UPN_WITHHELD}"


def test_transition_key_is_one_per_lifecycle_step_whatever_the_time_zone() -> None:
    base = notification(alert_id="a1")
    later = dataclasses.replace(base, status="resolved", updated_at=OPENED + dt.timedelta(days=1))
    same_moment = dataclasses.replace(base, updated_at=OPENED.astimezone(dt.timezone(dt.timedelta(hours=1))))
    assert base.transition_key != later.transition_key
    assert base.transition_key == same_moment.transition_key


def test_from_candidate_takes_the_rule_output_and_the_lifecycle() -> None:
    candidate = AlertCandidate(
        rule="high_mobility",
        severity="low",
        la_code="801",
        school_urn="100000",
        upn=UPN,
        evidence=("e1", "e2", "e3"),
        fingerprint="f" * 32,
        reason="Three changes of school. This is a prompt for enquiry, not a finding.",
        statutory_reference="none",
        as_of=dt.date(2026, 3, 3),
    )
    made = Notification.from_candidate(
        candidate, alert_id="a9", status="open", opened_at=OPENED, updated_at=OPENED, school_name="Oak"
    )
    assert (made.rule, made.severity, made.upn, made.evidence, made.fingerprint) == (
        "high_mobility",
        "low",
        UPN,
        ("e1", "e2", "e3"),
        "f" * 32,
    )
    assert made.school_name == "Oak"
