"""One pupil's events, for scenario tests: every builder returns a valid event of the contract
(schemas/examples/v1), with the pupil's snapshot (year group from the date of birth and the
event's date, SEN, looked after, child in need) filled in the same way each time.

    pupil = Pupil(upn_for(886, 4000, 25, 1), born_for_year_group(9), sen_provision="K")
    joined = pupil.enrolled("100050", dt.date(2025, 9, 3))
    away = pupil.suspended("100050", dt.date(2025, 11, 3), sessions=4)
    left = pupil.deleted("100050", dt.date(2025, 12, 1), ground="home_education")

Dates default to what a prompt school would send: recorded on the day, the LA told on the day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from schemas.codelists import regulation_2024_in_force
from schemas.identifiers import upn_check_letter
from schemas.plausibility import expected_year_group

Event = dict[str, Any]

RECORDED_AT = dt.time(12, 0)  # noon UTC: the same day in England, summer time or not


def born_for_year_group(year_group: int, academic_year: int = 2025) -> dt.date:
    """A date of birth that puts a pupil in `year_group` in the academic year starting in
    September of `academic_year` (1 December, so no birthday falls near 31 August)."""
    return dt.date(academic_year - 5 - year_group, 12, 1)


def temporary_upn_for(la: int, estab: int, year: int, serial: int, letter: str = "A") -> str:
    """A temporary UPN (ending in a letter) with the right check letter."""
    body = f"{la:03d}{estab:04d}{year % 100:02d}{serial:02d}{letter}"
    return upn_check_letter(body) + body


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, RECORDED_AT, dt.UTC)


@dataclass(frozen=True)
class Pupil:
    upn: str
    date_of_birth: dt.date
    sen_provision: str = "N"  # E: EHC plan, K: SEN support, N: none
    looked_after: bool | None = None
    child_in_need: bool | None = None
    child_protection_plan: bool | None = None
    former_upn: str | None = None  # an earlier (temporary) UPN of the same child, sent with every event
    placed_by_la: bool | None = None  # s434A: registered under arrangements made by an LA
    s47_enquiries: bool | None = None

    def year_group(self, on: dt.date) -> int:
        return expected_year_group(self.date_of_birth, on)

    def _event(
        self,
        kind: str,
        school_urn: str,
        occurred_on: dt.date,
        data: dict[str, Any],
        recorded_at: dt.datetime | None = None,
    ) -> Event:
        pupil: dict[str, Any] = {
            "date_of_birth": self.date_of_birth.isoformat(),
            "year_group": self.year_group(occurred_on),
            "sen_provision": self.sen_provision,
        }
        if self.looked_after is not None:
            pupil["looked_after"] = self.looked_after
        if self.child_in_need is not None:
            pupil["child_in_need"] = self.child_in_need
        for flag in ("placed_by_la", "s47_enquiries", "child_protection_plan"):
            if getattr(self, flag) is not None:
                pupil[flag] = getattr(self, flag)
        event: Event = {
            "event_id": str(uuid.uuid4()),
            "type": kind,
            "schema_version": 1,
            "upn": self.upn,
            "school_urn": school_urn,
            "occurred_on": occurred_on.isoformat(),
            "recorded_at": (recorded_at or noon(occurred_on)).isoformat(),
            "pupil": pupil,
            "data": data,
        }
        if self.former_upn is not None:
            event["former_upn"] = self.former_upn
        return event

    def enrolled(
        self,
        school_urn: str,
        on: dt.date,
        *,
        previous_school: str | None = None,
        la_notified_on: dt.date | str | None = "same day",
        status: str = "single",
        managed_move: bool = False,
    ) -> Event:
        """`pupil.enrolled`; the LA told on the day of entry unless `la_notified_on` says otherwise
        (None: no notification recorded)."""
        notified = on if la_notified_on == "same day" else la_notified_on
        assert notified is None or isinstance(notified, dt.date)
        return self._event(
            "pupil.enrolled",
            school_urn,
            on,
            {
                "enrolment_status": status,
                "previous_school": previous_school,
                "la_notified_on": notified.isoformat() if notified else None,
                "managed_move": managed_move,
            },
        )

    def deleted(
        self,
        school_urn: str,
        on: dt.date,
        *,
        ground: str,
        destination: str | None = None,
        laestab: str | None = None,
        la_notified_on: dt.date | str | None = "same day",
        recorded_on: dt.date | None = None,
        ctf_destination: str | None = None,
        la_consent_on: dt.date | None = None,
    ) -> Event:
        """`pupil.deleted` on a reg 9(1) ground, under the regulations in force on the day; the
        destination kind defaults to the ground's obvious one (home education, died, ...). The LA
        told on the day unless `la_notified_on` says otherwise (None: no notification recorded)."""
        kind = destination or {"home_education": "home_education", "died": "died"}.get(ground, "unknown")
        notified = on if la_notified_on == "same day" else la_notified_on
        assert notified is None or isinstance(notified, dt.date)
        target: dict[str, Any] = {"kind": kind}
        if laestab is not None:
            target["laestab"] = laestab
        data: dict[str, Any] = {
            "ground": ground,
            "regulation": "2024" if on >= regulation_2024_in_force() else "2006",
            "destination": target,
            "la_notified_on": notified.isoformat() if notified else None,
            "ctf_destination": ctf_destination or laestab,
        }
        if la_consent_on is not None:
            data["la_consent_on"] = la_consent_on.isoformat()
        return self._event(
            "pupil.deleted", school_urn, on, data, recorded_at=noon(recorded_on) if recorded_on else None
        )

    def suspended(
        self,
        school_urn: str,
        start_on: dt.date,
        *,
        sessions: int,
        reasons: tuple[str, ...] = ("PD",),
        misses_public_examination: bool | None = None,
    ) -> Event:
        """`pupil.suspended` for `sessions` half-days from `start_on` (recorded that day)."""
        data: dict[str, Any] = {
            "start_on": start_on.isoformat(),
            "sessions": sessions,
            "reasons": list(reasons),
        }
        if misses_public_examination is not None:
            data["misses_public_examination"] = misses_public_examination
        return self._event("pupil.suspended", school_urn, start_on, data)

    def permanently_excluded(
        self, school_urn: str, on: dt.date, *, reasons: tuple[str, ...] = ("PA",), review: str = "pending"
    ) -> Event:
        return self._event(
            "pupil.permanently_excluded", school_urn, on, {"reasons": list(reasons), "review": review}
        )

    def referred_to_ap(
        self,
        school_urn: str,
        start_on: dt.date,
        *,
        review_by: dt.date,
        provider_urn: str,
        arrangement: str = "school_commissioned",
        tier: str = "time_limited",
        planned_end_on: dt.date | None = None,
        recorded_on: dt.date | None = None,
    ) -> Event:
        """`pupil.ap_referred`: a placement from `start_on`, planned to end a year later unless
        `planned_end_on` says; a later referral of the same placement (same school, provider and
        arrangement) is its review, on `recorded_on`, with a new `review_by`."""
        return self._event(
            "pupil.ap_referred",
            school_urn,
            recorded_on or start_on,
            {
                "provider": {"urn": provider_urn},
                "arrangement": arrangement,
                "tier": tier,
                "start_on": start_on.isoformat(),
                "review_by": review_by.isoformat(),
                "planned_end_on": (planned_end_on or start_on + dt.timedelta(days=365)).isoformat(),
                "objective": "Return to full-time lessons at the home school.",
            },
        )

    def review_requested(self, referral: Event, on: dt.date, *, by: str = "parent") -> Event:
        """`pupil.ap_review_requested`: a written request, on `on`, for a review meeting."""
        return self._event(
            "pupil.ap_review_requested",
            referral["school_urn"],
            on,
            {"referral_event_id": referral["event_id"], "requested_by": by},
        )

    def part_time(
        self, school_urn: str, start_on: dt.date, *, sessions: int, planned_end_on: dt.date, **more: Any
    ) -> Event:
        """`pupil.part_time_timetable`: `sessions` a week at the school from `start_on`."""
        data = {"start_on": start_on.isoformat(), "sessions_per_week": sessions,
                "planned_end_on": planned_end_on.isoformat()} | more  # fmt: skip
        return self._event("pupil.part_time_timetable", school_urn, start_on, data)

    def ap_ended(self, referral: Event, ended_on: dt.date, *, outcome: str = "returned") -> Event:
        return self._event(
            "pupil.ap_ended",
            referral["school_urn"],
            ended_on,
            {"referral_event_id": referral["event_id"], "ended_on": ended_on.isoformat(), "outcome": outcome},
        )

    def retraction(self, event: Event, on: dt.date, *, reason: str = "Sent in error.") -> Event:
        """`event.retracted`: the school that sent `event` withdraws it on `on`."""
        return self._event(
            "event.retracted", event["school_urn"], on, {"retracts": event["event_id"], "reason": reason}
        )


def roll_check(school_urn: str, on: dt.date, on_roll: int, *, at: dt.time = dt.time(16, 0)) -> Event:
    """`school.roll_checked`: the school's count of its admission register at the end of `on`
    (recorded that afternoon, UTC)."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "school.roll_checked",
        "schema_version": 1,
        "school_urn": school_urn,
        "occurred_on": on.isoformat(),
        "recorded_at": dt.datetime.combine(on, at, dt.UTC).isoformat(),
        "data": {"on_roll": on_roll},
    }
