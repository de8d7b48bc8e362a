"""Why a reader opens a child's records: asked once per record and session, before anything is
shown, and written to the access log with each read (as the API's `?purpose=`). The form and its
answer are the same for an alert's page, a pupil's timeline and the LA's statistics pages; sign-in
asks the session's purpose with the same choices (`chosen`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic_core import PydanticCustomError

from rollwatch.app.console.sessions import Session
from rollwatch.app.console.web import render
from rollwatch.core.access.keys import KeyRecord
from schemas.text import plain_line


@dataclass(frozen=True)
class PurposeForm:
    action: str  # where the form posts
    caption: str
    question: str
    hint: str
    submit: str
    purposes: dict[str, str]  # code -> the purpose in words, as the access log keeps it
    next: str | None = None  # where to go once answered, when the action does not say


def chosen(form: dict[str, str], purposes: dict[str, str]) -> str | None:
    """The purpose in words: one of `purposes`, or "other" with 3 to 200 characters of its own on
    one line (no control or bidirectional formatting character, as the API's `?purpose=`); None
    when the form gives none."""
    choice = form.get("purpose", "")
    other = form.get("purpose_other", "").strip()
    if choice in purposes:
        return purposes[choice]
    if choice != "other" or not 3 <= len(other) <= 200:
        return None
    try:
        return plain_line(other)
    except PydanticCustomError:
        return None


def ask(
    request: Request,
    form: PurposeForm,
    session: Session,
    reader: KeyRecord,
    *,
    answered: dict[str, str] | None = None,
) -> HTMLResponse:
    """The purpose page; with `answered` (the form as posted), again with the error."""
    return render(
        request,
        "purpose.html",
        {
            "title": form.question,
            "form": form,
            "error": answered is not None,
            "other": (answered or {}).get("purpose_other", "").strip(),
        },
        session=session,
        officer=reader,
        status_code=422 if answered is not None else 200,
    )
