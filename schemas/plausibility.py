"""Warnings: things that are probably wrong but may be true, so the event is still accepted.

A warning is a `Problem` like an error (field, rule, message); `validate_event` returns them
beside the event. None of these checks can refuse an event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from schemas.codelists import ap_arrangements
from schemas.dates import academic_year, age_on
from schemas.envelope import Envelope
from schemas.events import ApReferredData, ApReviewRequestedData, DeletedData, SuspendedData
from schemas.identifiers import CTF_INDEPENDENT_OR_ABROAD, CTF_UNKNOWN
from schemas.problems import Problem

# Age on 31 August before the academic year, minus this, is the usual year group (4 -> reception).
RECEPTION_AGE = 4
# Deferred or accelerated pupils sit one year either side.
YEAR_GROUP_TOLERANCE = 1
# 45 school days in one academic year is the legal maximum of suspensions (two sessions a day).
SUSPENSION_SESSIONS_LIMIT = 90


def warnings_for(event: Envelope) -> list[Problem]:
    found = list(_year_group(event))
    data = event.data
    if isinstance(data, SuspendedData):
        found.extend(_suspension(data))
    elif isinstance(data, ApReferredData):
        found.extend(_ap_review(data))
    elif isinstance(data, DeletedData):
        found.extend(_ctf_destination(data))
    elif isinstance(data, ApReviewRequestedData):
        found.extend(_review_request(data, event))
    return found


def expected_year_group(date_of_birth: dt.date, on: dt.date) -> int:
    """The usual year group on `on`, from the age on 31 August before its academic year."""
    cutoff = dt.date(academic_year(on), 8, 31)
    return age_on(date_of_birth, cutoff) - RECEPTION_AGE


def _year_group(event: Envelope) -> Iterator[Problem]:
    pupil = event.pupil
    expected = expected_year_group(pupil.date_of_birth, event.occurred_on)
    if abs(pupil.year_group - expected) > YEAR_GROUP_TOLERANCE:
        yield Problem(
            "pupil.year_group",
            "year_group_implausible",
            f"year_group {pupil.year_group} is unusual for the pupil's age: the expected year group "
            f"is {expected} (one either side is normal for deferred or accelerated pupils)",
        )


def _suspension(data: SuspendedData) -> Iterator[Problem]:
    if data.sessions > SUSPENSION_SESSIONS_LIMIT:
        yield Problem(
            "data.sessions",
            "suspension_over_45_days",
            f"{data.sessions} sessions is more than 45 school days, the most a pupil may be suspended "
            "in one academic year",
        )


def _ap_review(data: ApReferredData) -> Iterator[Problem]:
    interval = ap_arrangements()[data.arrangement].review_interval_days
    if interval is not None and (data.review_by - data.start_on).days > interval:
        yield Problem(
            "data.review_by",
            "review_interval_long",
            f"a '{data.arrangement}' placement should be reviewed within {interval} days of start_on",
        )


def _review_request(data: ApReviewRequestedData, event: Envelope) -> Iterator[Problem]:
    if data.requested_by == "local_authority" and event.pupil.sen_provision != "E":
        yield Problem(
            "data.requested_by",
            "review_request_by_la_without_ehc_plan",
            "the LA may request a review meeting only for a pupil with an EHC plan (reg 4A(1)(b) of "
            "the 2010 regulations); the pupil's sen_provision is not E",
        )


def _ctf_destination(data: DeletedData) -> Iterator[Problem]:
    ctf = data.ctf_destination
    destination = data.destination
    if ctf is None:
        return
    if destination.kind == "unknown" and ctf != CTF_UNKNOWN:
        yield Problem(
            "data.ctf_destination",
            "ctf_destination_mismatch",
            "the destination is unknown, so the CTF should go to XXXXXXX (the Lost Pupils Database)",
        )
    elif destination.laestab is not None and ctf not in (CTF_UNKNOWN, CTF_INDEPENDENT_OR_ABROAD):
        if ctf != destination.laestab:
            yield Problem(
                "data.ctf_destination",
                "ctf_destination_mismatch",
                "the CTF went to a different school from destination.laestab",
            )
    elif destination.laestab is not None and ctf == CTF_UNKNOWN:
        yield Problem(
            "data.ctf_destination",
            "ctf_destination_mismatch",
            "the destination school is known, but the CTF went to XXXXXXX (destination unknown)",
        )
