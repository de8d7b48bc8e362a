"""The access log page's filters, from its query string: reader (a key id), pupil (a UPN), school
(a URN), words of the purpose, and a period of days (the last 30 by default). Pure: each field is
checked, and a bad one is named with its rule."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from services.tracker.audit_api import UPN_PATTERN

DEFAULT_DAYS = 30
_RULES = {
    "reader": (re.compile(r"^[0-9a-f]{12}$"), "Enter the reader's key id: 12 characters, 0-9 and a-f"),
    "pupil": (
        re.compile(UPN_PATTERN),
        "Enter a UPN of 13 characters: a letter, 11 digits, then a digit or a letter",
    ),
    "school": (re.compile(r"^[0-9]{6}$"), "Enter a URN of 6 digits"),
}
FIELDS = ("reader", "pupil", "school", "purpose", "from", "to")


@dataclass(frozen=True)
class AccessLogFilter:
    first: dt.date
    last: dt.date  # inclusive
    reader: str | None = None
    pupil: str | None = None
    school: str | None = None
    purpose: str | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The end of the last day (exclusive)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), dt.UTC)

    def query(self) -> str:
        """The filter as a query string (for the CSV link and the reader links)."""
        values = {
            "reader": self.reader,
            "pupil": self.pupil,
            "school": self.school,
            "purpose": self.purpose,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
        }
        return urlencode({key: value for key, value in values.items() if value})


def parse(params: Mapping[str, str], today: dt.date) -> tuple[AccessLogFilter, dict[str, str]]:
    """The filter the parameters ask for, and the problems found (field -> message). A field with a
    problem is left out of the filter."""
    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name, (pattern, message) in _RULES.items():
        value = re.sub(r"\s+", "", params.get(name, ""))
        value = value.upper() if name == "pupil" else value.lower()
        if value and not pattern.match(value):
            errors[name] = message
        values[name] = value if value and name not in errors else None
    if values["pupil"] and values["school"]:
        errors["school"] = "Enter a pupil or a school, not both: an entry is about one of them"
        values["school"] = None
    purpose = params.get("purpose", "").strip()
    if len(purpose) > 200:
        errors["purpose"] = "Enter at most 200 characters of the purpose"
    dates = {}
    for name in ("from", "to"):
        text = params.get(name, "").strip()
        try:
            dates[name] = dt.date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = f"Enter the '{name}' date as a real date, for example {today.isoformat()}"
            dates[name] = None
    last = dates["to"] or today
    first = dates["from"] or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        errors["from"] = "The 'from' date must be on or before the 'to' date"
        first = last
    return (
        AccessLogFilter(
            first=first,
            last=last,
            reader=values["reader"],
            pupil=values["pupil"],
            school=values["school"],
            purpose=purpose[:200] or None,
        ),
        errors,
    )
