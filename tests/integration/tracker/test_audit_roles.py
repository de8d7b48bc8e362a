"""Each role reads exactly what it may and nothing more, states a purpose where it must, and every
read lands in the access log that only auditors can read (README, "Reading the ledger";
docs/domain.md, "Data protection"). On the real embedded ledger, through the audit router."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from rollwatch.core.access.keys import new_key
from tests.integration.tracker.conftest import Ledger
from tests.support.events import deletion, enrolment, temporary_upn_for
from tests.support.secrets import SECRETS

pytestmark = pytest.mark.clickhouse

PURPOSE = {"purpose": "enquiry CME-42"}
YEAR = {"from": "2025-08-01", "to": "2026-08-31"}


def _history(ledger: Ledger, pupil: str, key: str, **params: Any) -> Any:
    return ledger.world.get(f"/v1/pupils/{ledger.upn(pupil)}/history", key, **params)


def _ids(body: dict[str, Any]) -> list[str]:
    return [event["event_id"] for event in body["events"]]


def _event_ids(ledger: Ledger, *names: str) -> list[str]:
    return [ledger.events[name]["event_id"] for name in names]


MOVER_TIMELINE = ("mover_joined", "mover_suspended", "mover_left", "mover_arrived")


# --- auditors ----------------------------------------------------------------------------------


def test_an_auditor_reads_every_pupil_school_and_la(ledger: Ledger) -> None:
    auditor = ledger.world.key("auditor")
    body = _history(ledger, "mover", auditor, **PURPOSE).json()
    assert _ids(body) == _event_ids(ledger, *MOVER_TIMELINE)
    assert _history(ledger, "far", auditor, **PURPOSE).status_code == 200
    for urn in ("100050", "100003", "100012"):
        assert ledger.world.get(f"/v1/schools/{urn}/movements", auditor, **PURPOSE, **YEAR).status_code == 200
    for la in ("886", "201", "330"):
        assert ledger.world.get(f"/v1/las/{la}/summary", auditor, **PURPOSE, **YEAR).status_code == 200


def test_history_names_schools_and_says_where_the_pupil_is_now(ledger: Ledger) -> None:
    auditor = ledger.world.key("auditor")
    body = _history(ledger, "mover", auditor, **PURPOSE).json()
    names = [(e["school_urn"], e["school_name"]) for e in body["events"]]
    assert names == [("100050", "Millhurst Community College")] * 3 + [
        ("100003", "Hazelborough Road Community College Academy")
    ]
    left = body["events"][2]
    assert left["other_school"] == {
        "direction": "to", "laestab": "2015000", "urn": "100003",
        "name": "Hazelborough Road Community College Academy",
    }  # fmt: skip
    assert body["events"][3]["other_school"]["name"] == "Millhurst Community College"
    now = body["placement"]
    assert now["status"] == "on_roll"
    assert now["on_roll"] == [{"urn": "100003", "name": "Hazelborough Road Community College Academy"}]
    assert now["dual_registered"] is False
    assert now["recorded_under_upn"] == ledger.upn("mover")

    gone = _history(ledger, "ehe", auditor, **PURPOSE).json()["placement"]
    assert gone["status"] == "off_roll"
    assert gone["on_roll"] == []
    assert gone["last_exit"]["school_urn"] == "100050"
    assert gone["last_exit"]["school_name"] == "Millhurst Community College"
    assert gone["last_exit"]["destination_kind"] == "home_education"


def test_a_retracted_event_is_shown_and_marked(ledger: Ledger) -> None:
    auditor = ledger.world.key("auditor")
    body = _history(ledger, "mistake", auditor, **PURPOSE).json()
    by_id = {e["event_id"]: e for e in body["events"]}
    left = by_id[ledger.events["mistake_left"]["event_id"]]
    retracting = ledger.events["mistake_retracted"]["event_id"]
    assert (left["retracted"], left["retracted_by"]) == (True, retracting)
    assert by_id[retracting]["retracted"] is False
    assert len(body["events"]) == 3


# --- LA officers -------------------------------------------------------------------------------


def test_an_la_officer_reads_the_whole_timeline_of_a_pupil_who_passed_through_the_la(
    ledger: Ledger,
) -> None:
    for la in ("886", "201"):  # the mover left an 886 school for a 201 school: both LAs see it all
        officer = ledger.world.key("la_officer", la_code=la)
        response = _history(ledger, "mover", officer, **PURPOSE)
        assert response.status_code == 200, la
        assert _ids(response.json()) == _event_ids(ledger, *MOVER_TIMELINE)
        assert response.json()["placement"]["on_roll"][0]["urn"] == "100003"


def test_an_la_officer_cannot_read_a_pupil_who_never_passed_through_the_la(ledger: Ledger) -> None:
    officer = ledger.world.key("la_officer", la_code="886")
    for pupil in ("elsewhere", "far"):
        response = _history(ledger, pupil, officer, **PURPOSE)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert "events" not in response.json() and "placement" not in response.json()
    never = ledger.world.get("/v1/pupils/H801200001001/history", officer, **PURPOSE)
    assert never.status_code == 404  # the same answer as for a pupil of another LA


def test_an_la_officer_reads_only_the_las_schools_movements_and_summary(ledger: Ledger) -> None:
    officer = ledger.world.key("la_officer", la_code="886")
    own = ledger.world.get("/v1/schools/100050/movements", officer, **PURPOSE, **YEAR)
    assert own.status_code == 200
    assert {e["school_urn"] for e in own.json()["events"]} == {"100050"}
    for urn in ("100003", "100012"):
        other = ledger.world.get(f"/v1/schools/{urn}/movements", officer, **PURPOSE, **YEAR)
        assert other.status_code == 403
        assert other.json()["error"] == "forbidden_school"
    assert ledger.world.get("/v1/las/886/summary", officer, **PURPOSE, **YEAR).status_code == 200
    for la in ("201", "330", "999"):
        other = ledger.world.get(f"/v1/las/{la}/summary", officer, **PURPOSE, **YEAR)
        assert other.status_code == 403
        assert other.json()["error"] == "forbidden_la"


# --- schools -----------------------------------------------------------------------------------


def test_a_school_reads_only_the_events_it_sent(ledger: Ledger) -> None:
    school = ledger.world.key("school", urns=("100050",))
    body = _history(ledger, "mover", school).json()
    assert _ids(body) == _event_ids(ledger, "mover_joined", "mover_suspended", "mover_left")
    assert {e["school_urn"] for e in body["events"]} == {"100050"}
    # Where the pupil went next is the other school's record, not this one's.
    assert body["placement"]["status"] == "not_on_roll_here"
    assert body["placement"]["on_roll"] == [] and body["placement"]["last_exit"] is None
    assert "dual_registered" not in body["placement"]

    academy = ledger.world.key("school", urns=("100003",))
    assert _ids(_history(ledger, "mover", academy).json()) == _event_ids(ledger, "mover_arrived")
    assert _history(ledger, "mover", academy).json()["placement"]["status"] == "on_roll"
    assert _history(ledger, "far", school).status_code == 404


def test_a_school_sees_its_own_last_exit_of_a_pupil(ledger: Ledger) -> None:
    school = ledger.world.key("school", urns=("100050",))
    placement = _history(ledger, "ehe", school).json()["placement"]
    assert placement["last_exit"]["school_urn"] == "100050"
    assert placement["status"] == "not_on_roll_here"


def test_a_school_reads_only_its_own_movements_and_no_summary(ledger: Ledger) -> None:
    school = ledger.world.key("school", urns=("100050",))
    own = ledger.world.get("/v1/schools/100050/movements", school, **YEAR)
    assert own.status_code == 200
    assert own.json()["school_name"] == "Millhurst Community College"
    assert ledger.world.get("/v1/schools/100054/movements", school, **YEAR).status_code == 403
    summary = ledger.world.get("/v1/las/886/summary", school, **PURPOSE, **YEAR)
    assert (summary.status_code, summary.json()["error"]) == (403, "forbidden_role")


def test_movements_csv_carries_school_names(ledger: Ledger) -> None:
    school = ledger.world.key("school", urns=("100050",))
    response = ledger.world.get("/v1/schools/100050/movements", school, format="csv", **YEAR)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["school_name"] for row in rows} == {"Millhurst Community College"}
    left = next(row for row in rows if row["event_id"] == ledger.events["mover_left"]["event_id"])
    assert (left["other_school_urn"], left["other_school_name"]) == (
        "100003", "Hazelborough Road Community College Academy",
    )  # fmt: skip
    retracted = next(row for row in rows if row["event_id"] == ledger.events["mistake_left"]["event_id"])
    assert retracted["retracted"] == "True"


# --- keys, purposes and the access log ---------------------------------------------------------


def test_officers_and_auditors_must_state_a_purpose(ledger: Ledger) -> None:
    officer = ledger.world.key("la_officer", la_code="886")
    auditor = ledger.world.key("auditor")
    for key in (officer, auditor):
        for path in ("/v1/pupils/{upn}/history", "/v1/schools/100050/movements", "/v1/las/886/summary"):
            response = ledger.world.get(path.format(upn=ledger.upn("mover")), key)
            assert (response.status_code, response.json()["error"]) == (400, "purpose_required"), path
    school = ledger.world.key("school", urns=("100050",))
    assert _history(ledger, "mover", school).status_code == 200


def test_no_key_an_unknown_key_or_a_revoked_key_reads_nothing(ledger: Ledger) -> None:
    assert _history(ledger, "mover", None, **PURPOSE).status_code == 401
    assert _history(ledger, "mover", "rw_000000000000_" + "x" * 43, **PURPOSE).status_code == 401
    token, record = new_key("auditor", secrets=SECRETS)
    ledger.world.keyring.add(record.model_copy(update={"revoked_at": dt.datetime.now(dt.UTC)}))
    assert _history(ledger, "mover", token, **PURPOSE).status_code == 401


def test_every_read_is_in_the_access_log_which_only_auditors_read(ledger: Ledger) -> None:
    officer = ledger.world.key("la_officer", la_code="886")
    school = ledger.world.key("school", urns=("100050",))
    auditor = ledger.world.key("auditor")
    upn = ledger.upn("mover")
    _history(ledger, "mover", officer, purpose="CME enquiry 17")
    _history(ledger, "elsewhere", officer, purpose="fishing")  # refused (404), still logged
    _history(ledger, "mover", school)
    ledger.world.get("/v1/schools/100050/movements", officer, purpose="termly review", **YEAR)
    ledger.world.get("/v1/las/886/summary", officer, purpose="termly review", **YEAR)

    for key in (officer, school):
        assert ledger.world.get("/v1/access-log", key).status_code == 403
    log = ledger.world.get("/v1/access-log", auditor, subject=upn)
    assert log.status_code == 200
    entries = [
        (e["key_id"], e["role"], e["la_code"], e["action"], e["subject"], e["purpose"], e["rows"])
        for e in log.json()["entries"]
    ]
    officer_id, school_id = officer.split("_")[1], school.split("_")[1]
    assert entries == [
        (officer_id, "la_officer", "886", "pupil_history", upn, "CME enquiry 17", 4),
        (school_id, "school", "", "pupil_history", upn, "school reading its own records", 3),
    ]
    everything = ledger.world.get("/v1/access-log", auditor).json()["entries"]
    actions = [(e["action"], e["subject"], e["purpose"]) for e in everything]
    assert ("pupil_history", ledger.upn("elsewhere"), "fishing") in actions
    assert ("school_movements", "100050", "termly review") in actions
    assert ("la_summary", "886", "termly review") in actions
    refused = next(e for e in everything if e["subject"] == ledger.upn("elsewhere"))
    assert refused["rows"] == 0


def test_a_pupil_with_a_temporary_and_a_permanent_upn_is_one_pupil(ledger: Ledger) -> None:
    temporary = temporary_upn_for(886, 2005, 25, 1)
    permanent = ledger.upn("renamed")
    events = [
        enrolment(temporary, school_urn="100054", occurred_on=dt.date(2025, 9, 3), year_group=3),
        enrolment(permanent, former_upn=temporary, school_urn="100054", occurred_on=dt.date(2025, 10, 1),
                  year_group=3),
        deletion(permanent, school_urn="100054", occurred_on=dt.date(2026, 2, 2), ground="moved_away",
                 destination_kind="moved_away", year_group=3),
    ]  # fmt: skip
    # The temporary UPN's enrolment reaches the ledger last (another partition, a late resend), so
    # its stale placement is the one recorded most recently.
    ledger.world.record(events[1:])
    ledger.world.record(events[:1])
    auditor = ledger.world.key("auditor")
    by_temporary = ledger.world.get(f"/v1/pupils/{temporary}/history", auditor, **PURPOSE).json()
    by_permanent = ledger.world.get(f"/v1/pupils/{permanent}/history", auditor, **PURPOSE).json()
    assert _ids(by_temporary) == _ids(by_permanent) == [e["event_id"] for e in events]
    assert by_temporary["linked_upns"] == by_permanent["linked_upns"] == sorted([temporary, permanent])
    # Where the pupil is now is the permanent UPN's placement, not the stale temporary one's.
    for body in (by_temporary, by_permanent):
        assert body["placement"]["recorded_under_upn"] == permanent
        assert body["placement"]["status"] == "off_roll"
        assert body["placement"]["last_exit"]["destination_kind"] == "moved_away"
    # An LA 201 officer sees neither UPN; an LA 886 officer sees both as one.
    outsider = ledger.world.key("la_officer", la_code="201")
    assert ledger.world.get(f"/v1/pupils/{temporary}/history", outsider, **PURPOSE).status_code == 404
    officer = ledger.world.key("la_officer", la_code="886")
    assert len(ledger.world.get(f"/v1/pupils/{temporary}/history", officer, **PURPOSE).json()["events"]) == 3
    # A chain: two temporary UPNs, one replacing the other, then a permanent one. The history's reads
    # see a link beyond the first step and follow the chain to its end.
    first, second = temporary_upn_for(886, 2005, 25, 2), temporary_upn_for(886, 2005, 25, 3)
    permanent = ledger.upn("renamed twice")
    events = [
        enrolment(first, school_urn="100054", occurred_on=dt.date(2025, 9, 3), year_group=3),
        enrolment(second, former_upn=first, school_urn="100054", occurred_on=dt.date(2025, 9, 20),
                  year_group=3),
        enrolment(permanent, former_upn=second, school_urn="100054", occurred_on=dt.date(2025, 10, 1),
                  year_group=3),
    ]  # fmt: skip
    ledger.world.record(events)
    for upn in (first, second, permanent):
        body = ledger.world.get(f"/v1/pupils/{upn}/history", auditor, **PURPOSE).json()
        assert body["linked_upns"] == sorted([first, second, permanent])
        assert _ids(body) == [e["event_id"] for e in events]
        assert body["placement"]["recorded_under_upn"] == permanent
    # A former UPN with no row of its own (no event was ever sent under it) is found by its link.
    never_sent = temporary_upn_for(886, 2005, 25, 4)
    permanent = ledger.upn("renamed at enrolment")
    event = enrolment(permanent, former_upn=never_sent, school_urn="100054", occurred_on=dt.date(2025, 9, 4),
                      year_group=3)  # fmt: skip
    ledger.world.record([event])
    body = ledger.world.get(f"/v1/pupils/{never_sent}/history", auditor, **PURPOSE).json()
    assert body["linked_upns"] == sorted([never_sent, permanent])
    assert _ids(body) == [event["event_id"]]
    assert body["placement"]["recorded_under_upn"] == permanent
