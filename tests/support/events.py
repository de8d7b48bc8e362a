"""Valid events for tests, built the way an MIS would send them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn_for(la: int, estab: int, year: int, serial: int) -> str:
    """A permanent UPN with the check letter of domain.md's formula."""
    body = f"{la:03d}{estab:04d}{year % 100:02d}{serial:03d}"
    total = sum(int(ch) * weight for ch, weight in zip(body, range(2, 14), strict=True))
    return _ALPHABET[total % 23] + body


def enrolment(
    upn: str,
    *,
    school_urn: str = "100000",
    occurred_on: dt.date = dt.date(2026, 9, 3),
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "pupil.enrolled",
        "schema_version": 1,
        "upn": upn,
        "school_urn": school_urn,
        "occurred_on": occurred_on.isoformat(),
        "recorded_at": dt.datetime.combine(occurred_on, dt.time(9, 15), dt.UTC).isoformat(),
        "pupil": {"date_of_birth": "2015-05-01", "year_group": 6, "sen_provision": "N"},
        "data": {
            "enrolment_status": "single",
            "previous_school": None,
            "la_notified_on": occurred_on.isoformat(),
            "managed_move": False,
        },
    }


def deletion(
    upn: str,
    *,
    school_urn: str = "100000",
    occurred_on: dt.date = dt.date(2026, 3, 3),
    ground: str = "home_education",
    destination: str = "home_education",
    sen_provision: str = "N",
    year_group: int = 6,
    date_of_birth: str = "2015-05-01",
    la_notified_on: dt.date | None = None,
    recorded_at: dt.datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "pupil.deleted",
        "schema_version": 1,
        "upn": upn,
        "school_urn": school_urn,
        "occurred_on": occurred_on.isoformat(),
        "recorded_at": (recorded_at or dt.datetime.combine(occurred_on, dt.time(9, 15), dt.UTC)).isoformat(),
        "pupil": {"date_of_birth": date_of_birth, "year_group": year_group, "sen_provision": sen_provision},
        "data": {
            "ground": ground,
            "regulation": "2024",
            "destination": {"kind": destination},
            "la_notified_on": (la_notified_on or occurred_on).isoformat(),
            "ctf_destination": None,
        },
    }
