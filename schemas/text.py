"""Free-text fields: never blank, bounded in length, and free of control and bidirectional
formatting characters (which can hide or reorder what a person reads in the console, a CSV or a
log: "Trojan Source"). Multi-line text may hold line breaks and tabs; a line holds neither.

`plain_line` and `plain_text` are also the checks of the API's own free-text inputs (notes,
reasons, purposes), so that every field refuses the same characters with the same rule."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StrictStr, StringConstraints

from schemas.problems import rule_error

# C0 and C1 controls and DEL; the bidirectional embeddings, overrides, isolates and marks.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_IN_A_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_IN_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")  # tab, LF and CR allowed


def _refuse(found: re.Match[str]) -> None:
    char = found.group()
    name = unicodedata.name(char, "a control character")
    raise rule_error(
        "text_control_character",
        f"contains U+{ord(char):04X} ({name}) at position {found.start() + 1}: control and "
        "bidirectional formatting characters are not allowed in text",
    )


def plain_line(value: str) -> str:
    """One line of text: no control or bidirectional formatting character at all."""
    found = _IN_A_LINE.search(value)
    if found:
        _refuse(found)
    return value


def plain_text(value: str) -> str:
    """Text of one or more lines: tabs and line breaks allowed, other controls not."""
    found = _IN_TEXT.search(value)
    if found:
        _refuse(found)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise rule_error("text_blank", "must not be empty or only spaces")
    return value


ShortText = Annotated[
    StrictStr, StringConstraints(max_length=200), AfterValidator(_not_blank), AfterValidator(plain_line)
]
LongText = Annotated[
    StrictStr, StringConstraints(max_length=2000), AfterValidator(_not_blank), AfterValidator(plain_text)
]
