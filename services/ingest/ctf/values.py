"""Values read from a CTF: its dates, and the only way a value from the file may appear in a
message."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

_CODE_LIKE: Final = re.compile(r"^[A-Za-z0-9]+$")


def ctf_date(value: str | None) -> dt.date | None:
    if value is None or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def echo_code(value: str, limit: int = 3) -> str:
    """` 'X'` for a value from the file that looks like a code; nothing for anything else (a name,
    a date): such values are never echoed."""
    return f" '{value}'" if len(value) <= limit and _CODE_LIKE.match(value) else ""
