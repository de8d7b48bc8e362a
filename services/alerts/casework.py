"""What an LA officer does to an alert and to silences, shared by the JSON API and the console:
every step is taken under the officer's key id and name, appended to the alert's lifecycle like
the stream's own steps, and refused with the HTTP error shape (`ApiError`) when it may not be."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from fastapi.concurrency import run_in_threadpool

from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.http_errors import ApiError
from services.alerts.lifecycle import Alert, LifecycleError, Silence
from services.alerts.service import AlertService

SILENCE_MATCHERS = ("rule", "school_urn", "severity", "upn")


def actor(caller: KeyRecord) -> str:
    return f"key:{caller.key_id}"


def visible(caller: KeyRecord, alert: Alert) -> bool:
    return caller.role == "auditor" or alert.la_code == caller.la_code


def find(service: AlertService, caller: KeyRecord, alert_id: str) -> Alert:
    """The alert, or 404 when it does not exist or is another LA's (the same answer for both)."""
    alert = service.book.alerts.get(alert_id)
    if alert is None or not visible(caller, alert):
        raise ApiError(404, "not_found", "no alert with this id that this key may read")
    return alert


async def _record(service: AlertService, step: Alert) -> Alert:
    await service.record_steps([step])
    return step


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def acknowledge(service: AlertService, caller: KeyRecord, alert_id: str, note: str | None) -> Alert:
    find(service, caller, alert_id)
    try:
        step = service.book.acknowledge(alert_id, actor(caller), note, _now(), caller.name)
    except LifecycleError as exc:
        raise ApiError(409, exc.rule, str(exc)) from None
    return await _record(service, step)


async def resolve(
    service: AlertService, caller: KeyRecord, alert_id: str, outcome: str, note: str | None
) -> Alert:
    find(service, caller, alert_id)
    try:
        step = service.book.resolve(alert_id, actor(caller), outcome, note, _now(), caller.name)
    except LifecycleError as exc:
        raise ApiError(409, exc.rule, str(exc)) from None
    return await _record(service, step)


def colleagues(keyring: KeyRing, caller: KeyRecord) -> list[KeyRecord]:
    """The officers an alert of the caller's LA can be assigned to (the caller among them)."""
    return keyring.officers(caller.la_code) if caller.la_code else []


async def assign(
    service: AlertService, keyring: KeyRing, caller: KeyRecord, alert_id: str, to_key_id: str | None
) -> Alert:
    """Assign to the caller (`to_key_id` None) or to an active officer key of the same LA."""
    find(service, caller, alert_id)
    target = caller if to_key_id in (None, caller.key_id) else keyring.get(to_key_id or "")
    if target is None or not target.active or target.role != "la_officer" or target.la_code != caller.la_code:
        raise ApiError(422, "unknown_assignee", "assign to yourself or to an active officer key of your LA")
    try:
        step = service.book.assign(
            alert_id, actor(caller), caller.name, actor(target), target.display_name, _now()
        )
    except LifecycleError as exc:
        raise ApiError(409, exc.rule, str(exc)) from None
    return await _record(service, step)


async def add_note(service: AlertService, caller: KeyRecord, alert_id: str, note: str) -> Alert:
    find(service, caller, alert_id)
    if not note.strip():
        raise ApiError(422, "note", "write the note")
    step = service.book.add_note(alert_id, actor(caller), caller.name, note.strip(), _now())
    return await _record(service, step)


async def record_enquiry(
    service: AlertService, caller: KeyRecord, alert_id: str, kind: str, on: dt.date, note: str | None
) -> Alert:
    find(service, caller, alert_id)
    if on > _now().date():
        raise ApiError(422, "enquiry_on", "the enquiry's date cannot be in the future")
    try:
        step = service.book.record_enquiry(alert_id, actor(caller), caller.name, kind, on, note, _now())
    except LifecycleError as exc:
        raise ApiError(409 if exc.rule == "alert_closed" else 422, exc.rule, str(exc)) from None
    return await _record(service, step)


def silences_of(service: AlertService, la_code: str | None) -> list[Silence]:
    """The LA's silences (every LA's for None), newest first."""
    found = [
        s for s in service.book.silences.values() if la_code is None or s.matchers.get("la_code") == la_code
    ]
    return sorted(found, key=lambda s: (s.created_at, s.silence_id), reverse=True)


async def add_silence(
    service: AlertService,
    caller: KeyRecord,
    matchers: dict[str, str],
    reason: str,
    expires_at: dt.datetime,
    max_days: int,
) -> Silence:
    now = _now()
    if not matchers or set(matchers) - set(SILENCE_MATCHERS):
        raise ApiError(422, "matchers", f"give one or more matchers among {list(SILENCE_MATCHERS)}")
    if expires_at.tzinfo is None or expires_at <= now:
        raise ApiError(422, "expires_at", "expires_at must be a future time with a zone")
    if expires_at > now + dt.timedelta(days=max_days):
        raise ApiError(422, "expires_at", f"a silence lasts {max_days} days at most")
    # A silence is scoped to the officer's own LA.
    silence = Silence(
        silence_id=uuid.uuid4().hex,
        matchers={**matchers, "la_code": caller.la_code or ""},
        author=actor(caller),
        reason=reason,
        created_at=now,
        expires_at=expires_at,
        author_name=caller.name,
    )
    await run_in_threadpool(service.store.add_silence, silence)
    service.book.silences[silence.silence_id] = silence
    return silence


async def end_silence(service: AlertService, caller: KeyRecord, silence_id: str) -> Silence:
    known = service.book.silences.get(silence_id)
    if known is None or known.matchers.get("la_code") != caller.la_code:
        raise ApiError(404, "not_found", "no silence with this id in your LA")
    now = _now()
    if not known.active(now):
        raise ApiError(409, "silence_over", "the silence is over already")
    ended = replace(known, ended_at=now, ended_by=actor(caller))
    await run_in_threadpool(service.store.add_silence, ended)
    service.book.silences[silence_id] = ended
    return ended
