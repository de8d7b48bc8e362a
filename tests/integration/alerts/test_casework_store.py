"""Case work is durable: the new lifecycle columns (0009) and ended silences come back on load,
a NULL at an alert's latest step stays NULL, and an alert written before 0009 still reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from services.alerts.candidates import AlertCandidate
from services.alerts.fingerprints import fingerprint, rekeyed
from services.alerts.lifecycle import AlertBook, Silence
from services.alerts.store import AlertStore

pytestmark = pytest.mark.clickhouse

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_case_work_steps_and_ended_silences_survive_a_restart(ledger_settings: Settings) -> None:
    clients = ClientPerThread(ledger_settings)
    try:
        migrate(clients.get(), up_to=6)
        store = AlertStore(clients)
        # An alert from before 0009, written with the old columns only.
        old_columns = {
            "alert_id": "old" + "0" * 29, "fingerprint": "f" * 32, "seq": 1, "transition": "opened",
            "status": "open", "rule": "no_destination", "severity": "high", "la_code": "886",
            "school_urn": "100046", "upn": None, "evidence": [], "reason": "r", "statutory_reference": "s",
            "as_of": dt.date(2026, 1, 5), "key_event_id": None, "due_on": None, "opened_at": T0,
            "updated_at": T0, "actor": "rollwatch", "outcome": None, "note": "a note", "by_event_id": None,
            "silenced_by": None, "parameters_version": "v",
        }  # fmt: skip
        clients.get().insert("alert_lifecycle", [list(old_columns.values())], column_names=list(old_columns))
        migrate(clients.get())

        book = AlertBook()
        candidate = AlertCandidate(
            rule="no_destination", severity="high", la_code="886", school_urn="100046",
            upn="A88621001900", evidence=("e1",), reason="r", statutory_reference="s",
            fingerprint=fingerprint("no_destination", "A88621001900", "e1"), as_of=dt.date(2026, 3, 2),
        )  # fmt: skip
        opened = book.raise_candidate(candidate, T0)
        assert opened is not None
        later = T0 + dt.timedelta(hours=2)
        steps = [
            opened,
            book.assign(opened.alert_id, "key:aaa", "Sam Patel", "key:aaa", "Sam Patel", later),
            book.record_enquiry(
                opened.alert_id,
                "key:aaa",
                "Sam Patel",
                "parents_contacted",
                dt.date(2026, 3, 2),
                "rang",
                later,
            ),
            book.acknowledge(opened.alert_id, "key:aaa", None, later, "Sam Patel"),
        ]
        store.append(steps)
        silence = Silence("5" * 32, {"rule": "no_destination", "la_code": "886"}, "key:aaa", "half term",
                          T0, T0 + dt.timedelta(days=7), "Sam Patel")  # fmt: skip
        store.add_silence(silence)
        store.add_silence(replace(silence, ended_at=later, ended_by="key:aaa"))

        alerts, silences = store.load()
        restored = AlertBook()
        restored.restore(alerts, silences)
        alert = restored.alerts[opened.alert_id]
        assert alert == steps[-1]  # the note of the latest step is None, not the enquiry's "rang"
        assert (alert.assignee_name, alert.touched_at, alert.enquiry_kind) == ("Sam Patel", later, None)
        old = restored.alerts["old" + "0" * 29]
        assert (old.actor_name, old.assignee, old.touched_at, old.note) == ("", None, None, "a note")
        assert old.fingerprint == rekeyed("f" * 32)  # stored before fingerprints were keyed
        assert restored.silences[silence.silence_id].ended_at == later
        assert restored.silences[silence.silence_id].author_name == "Sam Patel"

        history = store.history(opened.alert_id)
        assert [h["transition"] for h in history] == [
            "opened",
            "assigned",
            "enquiry_recorded",
            "acknowledged",
        ]
        assert history[2]["enquiry_kind"] == "parents_contacted" and history[2]["enquiry_on"] == "2026-03-02"
        assert history[1]["actor_name"] == "Sam Patel" and history[1]["assignee"] == "key:aaa"
    finally:
        clients.close()
