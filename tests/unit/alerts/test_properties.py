"""Properties of every rule together, over random pupil histories, including dates far outside
the shipped term dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.alerts.facts import PupilFact
from services.alerts.judge import judge_fact, judge_tick

from . import factories as f

CAL = f.calendar()
P = f.params()

dates = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2031, 12, 31))
schools = st.sampled_from([f.SCHOOL, f.OTHER_SCHOOL, f.THIRD_SCHOOL])
grounds = st.sampled_from(
    [
        "other_school",
        "home_education",
        "moved_away",
        "absent_20_days",
        "permanently_excluded",
        "died",
        "custody",
    ]
)
kinds = st.sampled_from([None, "school", "home_education", "moved_away", "abroad", "independent", "unknown"])


@st.composite
def facts(draw: Any, n: int) -> list[PupilFact]:
    made: list[PupilFact] = []
    for i in range(n):
        common = {
            "event_id": f"e{i}",
            "occurred_on": draw(dates),
            "school_urn": draw(schools),
            "year_group": draw(st.integers(min_value=-1, max_value=13)),
            "sen_provision": draw(st.sampled_from(["E", "K", "N"])),
            "looked_after": draw(st.sampled_from([None, True, False])),
            "recorded_at": f.at_noon(draw(dates)),
        }
        kind = draw(
            st.sampled_from(["enrol", "delete", "suspend", "exclude", "refer", "request", "end", "retract"])
        )
        if kind == "enrol":
            made.append(f.enrolment(**common, la_notified_on=draw(st.none() | dates)))
        elif kind == "delete":
            made.append(
                f.deletion(
                    **common,
                    ground=draw(grounds),
                    destination_kind=draw(kinds),
                    la_notified_on=draw(st.none() | dates),
                )
            )
        elif kind == "suspend":
            made.append(
                f.suspension(
                    **common,
                    sessions=draw(st.integers(min_value=1, max_value=60)),
                    misses_public_examination=draw(st.booleans()),
                )
            )
        elif kind == "exclude":
            made.append(
                f.exclusion(**common, review=draw(st.sampled_from(["pending", "upheld", "reinstated"])))
            )
        elif kind == "refer":
            made.append(
                f.referral(
                    **common,
                    arrangement=draw(st.sampled_from(["directed_off_site", "school_commissioned"])),
                    review_by=draw(st.none() | dates),
                )
            )
        elif kind == "request" and made:
            made.append(f.review_request(draw(st.sampled_from(made)).event_id, **common))
        elif kind == "end" and made:
            made.append(f.ap_ended(draw(st.sampled_from(made)).event_id, **common))
        elif made:
            made.append(f.retraction(draw(st.sampled_from(made)).event_id, **common))
    return made


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(min_value=1, max_value=12).flatmap(facts), dates)
def test_every_rule_on_any_history(history: list[PupilFact], tick: dt.date) -> None:
    s = f.state()
    seen: dict[str, tuple[str, ...]] = {}
    for fact in history:
        judgement = judge_fact(s, fact, CAL, P)
        s = s.with_fact(fact)
        again = judge_fact(s, fact, CAL, P)
        assert [c.fingerprint for c in again.candidates] == [c.fingerprint for c in judgement.candidates]
        for wake in judgement.wake_ups:
            assert wake.fires_on > wake.due_on
        for candidate in (*judgement.candidates, *judge_tick(s, tick, CAL, P)):
            assert f.UPN not in candidate.reason
            assert candidate.reason.endswith("This is a prompt for enquiry, not a finding.")
            assert candidate.evidence and len(set(candidate.evidence)) == len(candidate.evidence)
            assert all(s.find(event_id) is not None for event_id in candidate.evidence)
            assert candidate.upn == f.UPN
            seen.setdefault(candidate.fingerprint, (candidate.rule,))
            assert seen[candidate.fingerprint] == (candidate.rule,)
    if s.death is not None:
        assert judge_tick(s, tick, CAL, P) == ()
