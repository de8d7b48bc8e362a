"""The alert service's own tables: every lifecycle step appended, silences appended. Blocking:
call from a thread."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.sealed_log import SealedWriter
from services.alerts.lifecycle import Alert, Silence

LIFECYCLE = "alert_lifecycle"
SILENCES = "alert_silences"
_FIELDS = [f.name for f in dataclasses.fields(Alert)]
# Every step is sealed into this process's hash chain (rollwatch/core/sealed_log.py).
_SEALED = SealedWriter(LIFECYCLE, _FIELDS)


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
            ).result_rows
        }
        fresh = [alert for alert in alerts if (alert.alert_id, alert.seq) not in recorded]
        if not fresh:
            return
        rows = [[getattr(alert, name) for name in _FIELDS] for alert in fresh]
        for row in rows:
            row[_FIELDS.index("evidence")] = list(row[_FIELDS.index("evidence")])
        # The token makes a retried append (same steps, same seal) a no-op.
        token = "|".join(f"{a.alert_id}:{a.seq}" for a in fresh)
        _SEALED.append(client, rows, settings={"insert_deduplication_token": token})

    def add_silence(self, silence: Silence) -> None:
        self._clients.get().insert(
            SILENCES,
            [
                [
                    silence.silence_id,
                    silence.matchers,
                    silence.author,
                    silence.reason,
                    silence.created_at,
                    silence.expires_at,
                ]
            ],
            column_names=["silence_id", "matchers", "author", "reason", "created_at", "expires_at"],
        )

    def load(self) -> tuple[list[Alert], list[Silence]]:
        client = self._clients.get()
        columns = ", ".join(f"argMax({name}, seq)" if name != "alert_id" else name for name in _FIELDS)
        result = client.query(f"SELECT {columns} FROM {LIFECYCLE} GROUP BY alert_id")
        alerts = [self._alert(dict(zip(_FIELDS, row, strict=True))) for row in result.result_rows]
        silences = [
            Silence(sid, dict(matchers), author, reason, _utc(created), _utc(expires))
            for sid, matchers, author, reason, created, expires in client.query(
                f"SELECT silence_id, matchers, author, reason, created_at, expires_at FROM {SILENCES}"
            ).result_rows
        ]
        return alerts, silences

    def history(self, alert_id: str) -> list[dict[str, Any]]:
        result = self._clients.get().query(
            f"SELECT seq, transition, status, actor, outcome, note, by_event_id, updated_at FROM {LIFECYCLE} "
            "WHERE alert_id = {id:String} ORDER BY seq",
            parameters={"id": alert_id},
        )
        names = ["seq", "transition", "status", "actor", "outcome", "note", "by_event_id", "at"]
        steps = [dict(zip(names, row, strict=True)) for row in result.result_rows]
        for step in steps:
            step["at"] = _utc(step["at"]).isoformat()
        return steps

    @staticmethod
    def _alert(values: dict[str, Any]) -> Alert:
        values["evidence"] = tuple(values["evidence"])
        values["opened_at"] = _utc(values["opened_at"])
        values["updated_at"] = _utc(values["updated_at"])
        return Alert(**values)
