"""Every read of a pupil's record is appended here before the answer leaves: who (key id, role,
LA), when, what (the action and its subject) and the purpose they stated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.sealed_log import SealedWriter

ACCESS_LOG = "access_log"
_COLUMNS = ["read_at", "key_id", "role", "la_code", "action", "subject", "purpose", "rows"]
# The log is sealed into this process's hash chain (rollwatch/core/sealed_log.py).
_SEALED = SealedWriter(ACCESS_LOG, _COLUMNS)


def record_access(
    clients: ClientPerThread, caller: KeyRecord, action: str, subject: str, purpose: str, rows: int
) -> None:
    """Blocking. Written synchronously: a read that cannot be logged is not answered."""
    client = clients.get()
    row = [
        dt.datetime.now(dt.UTC),
        caller.key_id,
        caller.role,
        caller.la_code or "",
        action,
        subject,
        purpose,
        rows,
    ]
    _SEALED.append(client, [row])


def read_access_log(
    clients: ClientPerThread,
    start: dt.datetime,
    end: dt.datetime,
    subject: str | None,
    limit: int,
    *,
    subjects: Sequence[str] = (),
    key_id: str | None = None,
    purpose: str | None = None,
    newest_first: bool = False,
) -> list[dict[str, object]]:
    """Blocking. The first `limit` entries from `start` (inclusive) to `end`, oldest first (or
    newest): of one `subject` or any of `subjects` (a pupil's UPNs), of one reader's key, with
    `purpose` in their stated purpose (any case)."""
    wanted = [*subjects, *([subject] if subject else [])]
    filters = [
        "read_at >= {start:DateTime64(3)}",
        "read_at < {end:DateTime64(3)}",
        *(["subject IN {subjects:Array(String)}"] if wanted else []),
        *(["key_id = {key_id:String}"] if key_id else []),
        *(["positionCaseInsensitiveUTF8(purpose, {purpose:String}) > 0"] if purpose else []),
    ]
    result = clients.get().query(
        f"SELECT {', '.join(_COLUMNS)} FROM {ACCESS_LOG} WHERE {' AND '.join(filters)} "
        f"ORDER BY read_at {'DESC' if newest_first else 'ASC'} LIMIT {{limit:UInt32}}",
        parameters={
            "start": start,
            "end": end,
            "subjects": wanted,
            "key_id": key_id or "",
            "purpose": purpose or "",
            "limit": limit,
        },
    )
    return [dict(zip(_COLUMNS, row, strict=True)) for row in result.result_rows]
