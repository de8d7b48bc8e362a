"""The alert service's own tables: every lifecycle step appended, silences appended. Blocking:
call from a thread."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from rollwatch.core.clickhouse import LONG_QUERY, ClientPerThread, batch_token
from rollwatch.core.sealed_log import SealedWriter
from services.alerts.fingerprints import rekeyed
from services.alerts.lifecycle import Alert, Silence

LIFECYCLE = "alert_lifecycle"
SILENCES = "alert_silences"
_FIELDS = [f.name for f in dataclasses.fields(Alert)]
# Every step is sealed into this process's hash chain (rollwatch/core/sealed_log.py).
_SEALED = SealedWriter(LIFECYCLE, _FIELDS)
_SILENCE_FIELDS = [f.name for f in dataclasses.fields(Silence)]
_HISTORY = [
    "seq", "transition", "status", "actor", "actor_name", "outcome", "note", "by_event_id", "assignee",
    "assignee_name", "enquiry_kind", "enquiry_on", "updated_at",
]  # fmt: skip


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AlertStore:
    def __init__(self, clients: ClientPerThread) -> None:
        self._clients = clients

    def append(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        client = self._clients.get()
        # Steps already recorded (a replay after a restart judges the same moves again) are left
        # out before sealing: a row ClickHouse dropped as a duplicate would leave a gap in the chain.
        recorded = {
            (alert_id, int(seq))
            for alert_id, seq in client.query(
                f"SELECT alert_id, seq FROM {LIFECYCLE} WHERE alert_id IN {{ids:Array(String)}}",
                parameters={"ids": sorted({a.alert_id for a in alerts})},
                settings=LONG_QUERY,  # a tick's batch can step thousands of alerts
            ).result_rows
        }
        fresh = [alert for alert in alerts if (alert.alert_id, alert.seq) not in recorded]
        if not fresh:
            return
        rows = [[getattr(alert, name) for name in _FIELDS] for alert in fresh]
        for row in rows:
            row[_FIELDS.index("evidence")] = list(row[_FIELDS.index("evidence")])
        # The token makes a retried append (same steps, same seal) a no-op.
        token = batch_token(f"{a.alert_id}:{a.seq}" for a in fresh)
        _SEALED.append(client, rows, settings={"insert_deduplication_token": token})

    def add_silence(self, silence: Silence) -> None:
        """A new silence, or one ended early (the same id again, with `ended_at`)."""
        self._clients.get().insert(
            SILENCES,
            [[getattr(silence, name) for name in _SILENCE_FIELDS]],
            column_names=_SILENCE_FIELDS,
        )

    def load(self) -> tuple[list[Alert], list[Silence]]:
        client = self._clients.get()
        # argMax over a one-element tuple: a NULL at the latest step stays NULL (a bare argMax
        # would skip it and bring back an older step's value).
        columns = ", ".join(
            f"argMax(tuple({name}), seq).1" if name != "alert_id" else name for name in _FIELDS
        )
        result = client.query(f"SELECT {columns} FROM {LIFECYCLE} GROUP BY alert_id")
        alerts = [self._alert(dict(zip(_FIELDS, row, strict=True))) for row in result.result_rows]
        # An ended silence's second row sorts after its first, so `restore` keeps the ended one.
        rows = client.query(
            f"SELECT {', '.join(_SILENCE_FIELDS)} FROM {SILENCES} ORDER BY silence_id, isNotNull(ended_at)"
        ).result_rows
        silences = [self._silence(dict(zip(_SILENCE_FIELDS, row, strict=True))) for row in rows]
        return alerts, silences

    def history(self, alert_id: str) -> list[dict[str, Any]]:
        result = self._clients.get().query(
            f"SELECT {', '.join(_HISTORY)} FROM {LIFECYCLE} WHERE alert_id = {{id:String}} ORDER BY seq",
            parameters={"id": alert_id},
        )
        names = [*_HISTORY[:-1], "at"]
        steps = [dict(zip(names, row, strict=True)) for row in result.result_rows]
        for step in steps:
            step["at"] = _utc(step["at"]).isoformat()
            if step["enquiry_on"] is not None:
                step["enquiry_on"] = step["enquiry_on"].isoformat()
        return steps

    @staticmethod
    def _alert(values: dict[str, Any]) -> Alert:
        values["evidence"] = tuple(values["evidence"])
        # Alerts raised before fingerprints were keyed fold with new candidates all the same.
        values["fingerprint"] = rekeyed(values["fingerprint"])
        for name in ("opened_at", "updated_at", "touched_at"):
            if values[name] is not None:
                values[name] = _utc(values[name])
        return Alert(**values)

    @staticmethod
    def _silence(values: dict[str, Any]) -> Silence:
        values["matchers"] = dict(values["matchers"])
        for name in ("created_at", "expires_at", "ended_at"):
            if values[name] is not None:
                values[name] = _utc(values[name])
        return Silence(**values)
