"""CSV cells a spreadsheet will not run: a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return) is read by Excel, LibreOffice and Google Sheets as a formula, so text from a
school's system (a provider's name) could run in an officer's spreadsheet (OWASP, "CSV
Injection"). Such a cell gets a leading apostrophe, which the spreadsheet shows as text."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The cell as text, with a leading `'` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
