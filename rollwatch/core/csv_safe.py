"""Every CSV the product exports is written here, so that no cell runs as a formula when an officer
opens the file in a spreadsheet (CSV injection, OWASP): a text cell starting with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`, which spreadsheets show as text. The value is
otherwise kept as it is (a UPN, a school name, a date); numbers and booleans are not touched.

    text = csv_text(["event_id", "school_name"], rows)   # rows: mappings; other keys ignored
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would read as a formula is neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A CSV document with a header of `columns` and one line per row (keys not in `columns`
    are left out; missing ones are empty), every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()
