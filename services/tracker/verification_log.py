"""The record of every verification of the ledger: when it ran, who asked (key id and name, or the
command line), how (console, API, command line), and what it found. A sealed log
(rollwatch/core/sealed_log.py, migration 0016) that `verify` checks like the access log, written by
whichever process ran the verification, through this one module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import orjson
from clickhouse_connect.driver.client import Client

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.sealed_log import SealedWriter
from rollwatch.core.signing import SecretKeys
from services.tracker.verification import Report, verify

VERIFICATIONS = "ledger_verifications"
Via = Literal["console", "api", "command_line"]
_COLUMNS = [
    "verified_at",
    "started_at",
    "key_id",
    "actor_name",
    "role",
    "via",
    "placements",
    "ok",
    "rows",
    "pupils",
    "checkpoint_id",
    "checkpoint_ok",
    "first_break",
]
_SEALED = SealedWriter(VERIFICATIONS, _COLUMNS)


@dataclass(frozen=True)
class Verification:
    verified_at: dt.datetime
    started_at: dt.datetime
    key_id: str  # '' for the command line
    actor_name: str
    role: str
    via: str
    placements: bool  # whether the placements replay was part of it
    ok: bool
    rows: int
    pupils: int
    checkpoint_id: int | None
    checkpoint_ok: bool | None
    first_break: dict[str, Any] | None

    @property
    def seconds(self) -> float:
        return (self.verified_at - self.started_at).total_seconds()


def verify_and_record(
    client: Client,
    secrets: SecretKeys,
    *,
    by: KeyRecord | None,
    via: Via,
    placements: bool = True,
    published: list[dict[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Report, Verification]:
    """Blocking. Run every check (services/tracker/verification.py: `secrets` check the checkpoints'
    signatures, `published` is the topic's copy of them), then record the outcome."""
    started_at = dt.datetime.now(dt.UTC)
    report = verify(client, secrets, derived=placements, published=published, progress=progress)
    return report, record_verification(
        client, report, started_at=started_at, by=by, via=via, placements=placements
    )


def record_verification(
    client: Client,
    report: Report,
    *,
    started_at: dt.datetime,
    by: KeyRecord | None,
    via: Via,
    placements: bool,
) -> Verification:
    """Blocking. Append the verification's outcome; `by` None is the command line."""
    found = Verification(
        verified_at=_to_ms(dt.datetime.now(dt.UTC)),
        started_at=_to_ms(started_at),
        key_id=by.key_id if by else "",
        actor_name=by.display_name if by else "command line",
        role=by.role if by else "",
        via=via,
        placements=placements,
        ok=report.ok,
        rows=report.rows,
        pupils=report.pupils,
        checkpoint_id=report.checkpoint_id,
        checkpoint_ok=report.checkpoint_ok,
        first_break=asdict(report.first_break) if report.first_break else None,
    )
    _SEALED.append(client, [_row(found)])
    return found


def _to_ms(at: dt.datetime) -> dt.datetime:
    """As the table keeps it (DateTime64(3)), so the record returned is the record read back."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _row(found: Verification) -> list[Any]:
    values = asdict(found)
    values["placements"] = int(found.placements)
    values["ok"] = int(found.ok)
    values["checkpoint_ok"] = None if found.checkpoint_ok is None else int(found.checkpoint_ok)
    values["first_break"] = orjson.dumps(found.first_break).decode() if found.first_break else ""
    return [values[column] for column in _COLUMNS]


def recent_verifications(client: Client, limit: int = 10) -> list[Verification]:
    """Blocking. The latest verifications, newest first."""
    rows = client.query(
        f"SELECT {', '.join(_COLUMNS)} FROM {VERIFICATIONS} ORDER BY verified_at DESC LIMIT {{n:UInt32}}",
        parameters={"n": limit},
    ).result_rows
    return [_verification(dict(zip(_COLUMNS, row, strict=True))) for row in rows]


def _verification(values: dict[str, Any]) -> Verification:
    for name in ("verified_at", "started_at"):
        if values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=dt.UTC)
    checkpoint_ok = values["checkpoint_ok"]
    values.update(
        placements=bool(values["placements"]),
        ok=bool(values["ok"]),
        checkpoint_ok=None if checkpoint_ok is None else bool(checkpoint_ok),
        first_break=orjson.loads(values["first_break"]) if values["first_break"] else None,
    )
    return Verification(**values)
