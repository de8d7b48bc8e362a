"""Valid events for tests, built the way an MIS would send them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from schemas.identifiers import upn_check_letter

_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn_for(la: int, estab: int, year: int, serial: int) -> str:
    """A permanent UPN with the check letter of docs/domain.md, "Identifiers"."""
    body = f"{la:03d}{estab:04d}{year % 100:02d}{serial:03d}"
    total = sum(int(ch) * weight for ch, weight in zip(body, range(2, 14), strict=True))
    return _ALPHABET[total % 23] + body


def temporary_upn_for(la: int, estab: int, year: int, serial: int, letter: str = "A") -> str:
    """A temporary UPN: 10 digits then a serial of two digits and a letter, check letter first."""
    body = f"{la:03d}{estab:04d}{year % 100:02d}{serial % 100:02d}{letter}"
    return upn_check_letter(body) + body


def _born(on: dt.date, year_group: int) -> dt.date:
    """A birthday that puts the pupil in `year_group` on `on` (aged year_group + 4 on the 31 August
    that starts the school year)."""
    school_year = on.year if on.month >= 9 else on.year - 1
    return dt.date(school_year - year_group - 4, 5, 1)


def _envelope(
    type_: str,
    upn: str,
    school_urn: str,
    occurred_on: dt.date,
    event_id: str | None,
    year_group: int,
    sen_provision: str,
    former_upn: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "type": type_,
        "schema_version": 1,
        "upn": upn,
        "school_urn": school_urn,
        "occurred_on": occurred_on.isoformat(),
        "recorded_at": dt.datetime.combine(occurred_on, dt.time(9, 15), dt.UTC).isoformat(),
        "pupil": {
            "date_of_birth": _born(occurred_on, year_group).isoformat(),
            "year_group": year_group,
            "sen_provision": sen_provision,
        },
    }
    if former_upn is not None:
        event["former_upn"] = former_upn
    return event


def enrolment(
    upn: str,
    *,
    school_urn: str = "100000",
    occurred_on: dt.date = dt.date(2026, 9, 3),
    event_id: str | None = None,
    former_upn: str | None = None,
    year_group: int = 6,
    sen_provision: str = "N",
    previous_school: str | None = None,
) -> dict[str, Any]:
    event = _envelope(
        "pupil.enrolled", upn, school_urn, occurred_on, event_id, year_group, sen_provision, former_upn
    )
    event["data"] = {
        "enrolment_status": "single",
        "previous_school": previous_school,
        "la_notified_on": occurred_on.isoformat(),
        "managed_move": False,
    }
    return event


def deletion(
    upn: str,
    *,
    school_urn: str = "100000",
    occurred_on: dt.date = dt.date(2026, 3, 2),
    ground: str = "other_school",
    destination_kind: str = "school",
    destination_laestab: str | None = None,
    event_id: str | None = None,
    year_group: int = 9,
    sen_provision: str = "N",
) -> dict[str, Any]:
    event = _envelope("pupil.deleted", upn, school_urn, occurred_on, event_id, year_group, sen_provision)
    destination: dict[str, Any] = {"kind": destination_kind}
    if destination_laestab is not None:
        destination["laestab"] = destination_laestab
    event["data"] = {
        "ground": ground,
        "regulation": "2024" if occurred_on >= dt.date(2024, 8, 19) else "2006",
        "destination": destination,
        "la_notified_on": occurred_on.isoformat(),
        "ctf_destination": destination_laestab,
    }
    return event


def suspension(
    upn: str,
    *,
    school_urn: str = "100000",
    occurred_on: dt.date = dt.date(2026, 1, 12),
    sessions: int = 4,
    event_id: str | None = None,
    year_group: int = 9,
    sen_provision: str = "N",
) -> dict[str, Any]:
    event = _envelope("pupil.suspended", upn, school_urn, occurred_on, event_id, year_group, sen_provision)
    event["data"] = {"start_on": occurred_on.isoformat(), "sessions": sessions, "reasons": ["PD"]}
    return event


def retraction(
    of: dict[str, Any], *, occurred_on: dt.date | None = None, reason: str = "Sent in error."
) -> dict[str, Any]:
    """Withdraws the event `of`, from the same school, about the same pupil."""
    day = occurred_on or dt.date.fromisoformat(of["occurred_on"]) + dt.timedelta(days=1)
    event = _envelope(
        "event.retracted", of["upn"], of["school_urn"], day, None, of["pupil"]["year_group"],
        of["pupil"]["sen_provision"],
    )  # fmt: skip
    event["pupil"] = dict(of["pupil"])
    event["data"] = {"retracts": of["event_id"], "reason": reason}
    return event
