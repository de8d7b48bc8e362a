"""The identifiers of pupils and schools, validated as the DfE defines them (docs/domain.md,
"Identifiers").

- UPN: 13 characters. Character 1 is a check letter computed from characters 2-13; a temporary
  UPN ends in a letter instead of a digit.
- URN: the 6-digit establishment number of Get Information About Schools.
- LAESTAB: 7 digits, a known 3-digit LA code followed by a 4-digit establishment number.
  `MMMMMMM` (independent or outside England and Wales) and `XXXXXXX` (destination unknown) are
  Common Transfer File codes, accepted only in fields that carry a CTF school (`CtfSchool`)."""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, StrictStr, WithJsonSchema

from schemas.codelists import la_codes
from schemas.problems import rule_error

# The check letters: the alphabet without I, O and S. A letter's value is its index here.
CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"
_CHAR_VALUES: Final[dict[str, int]] = {str(d): d for d in range(10)} | {
    letter: index for index, letter in enumerate(CHECK_LETTERS)
}
_L = "A-HJ-NP-RT-Z"  # CHECK_LETTERS as a regex class
UPN_PATTERN: Final = f"^[{_L}][0-9]{{11}}[0-9{_L}]$"
_UPN_SHAPE = re.compile(UPN_PATTERN)

URN_PATTERN: Final = "^[0-9]{6}$"
LAESTAB_PATTERN: Final = "^[0-9]{7}$"
UKPRN_PATTERN: Final = "^1[0-9]{7}$"
_URN_SHAPE = re.compile(URN_PATTERN)
_LAESTAB_SHAPE = re.compile(LAESTAB_PATTERN)
_UKPRN_SHAPE = re.compile(UKPRN_PATTERN)

CTF_INDEPENDENT_OR_ABROAD: Final = "MMMMMMM"
CTF_UNKNOWN: Final = "XXXXXXX"
CTF_SPECIAL_CODES: Final = frozenset({CTF_INDEPENDENT_OR_ABROAD, CTF_UNKNOWN})


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters that follow it (positions 2-13 of a UPN).

    Each character is weighted by its position (2..13), a digit counting as itself and a letter
    as its index in CHECK_LETTERS; the sum mod 23 indexes CHECK_LETTERS."""
    if len(body) != 12:
        raise ValueError("a UPN body has 12 characters")
    total = 0
    weight = 2
    for char in body:
        total += _CHAR_VALUES[char] * weight
        weight += 1
    return CHECK_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    return _UPN_SHAPE.match(value) is not None and value[0] == upn_check_letter(value[1:])


def is_temporary_upn(value: str) -> bool:
    """A temporary UPN ends in a letter; a permanent one in a digit."""
    return not value[-1].isdigit()


def _check_upn(value: str) -> str:
    if len(value) != 13 or _UPN_SHAPE.match(value) is None:
        raise rule_error(
            "upn_format",
            "a UPN is 13 characters: a check letter (not I, O or S), 11 digits, then a digit or, "
            "for a temporary UPN, a letter (not I, O or S); capital letters only",
        )
    expected = upn_check_letter(value[1:])
    if value[0] != expected:
        raise rule_error(
            "upn_check_letter",
            f"the check letter does not match: characters 2-13 give '{expected}', not '{value[0]}'",
        )
    return value


def _check_urn(value: str) -> str:
    if _URN_SHAPE.match(value) is None or len(value) != 6:
        raise rule_error("urn_format", "a URN is 6 digits")
    return value


def _check_laestab(value: str) -> str:
    if value in CTF_SPECIAL_CODES:
        raise rule_error(
            "laestab_special_code",
            f"{value} is a CTF code, allowed only in previous_school and ctf_destination; "
            "here give a real LAESTAB or leave it out",
        )
    return _check_real_laestab(value)


def _check_real_laestab(value: str) -> str:
    if _LAESTAB_SHAPE.match(value) is None or len(value) != 7:
        raise rule_error("laestab_format", "a LAESTAB is 7 digits: the 3-digit LA code and a 4-digit number")
    if value[:3] not in _KNOWN_LA_CODES:
        raise rule_error(
            "la_code_unknown", f"'{value[:3]}' is not a known LA code (first 3 digits of a LAESTAB)"
        )
    return value


def _check_ctf_school(value: str) -> str:
    if value in CTF_SPECIAL_CODES:
        return value
    if _LAESTAB_SHAPE.match(value) is None or len(value) != 7:
        raise rule_error(
            "laestab_format",
            "give a 7-digit LAESTAB, MMMMMMM (independent school or outside England and Wales) "
            "or XXXXXXX (destination unknown)",
        )
    return _check_real_laestab(value)


def _check_ukprn(value: str) -> str:
    if _UKPRN_SHAPE.match(value) is None or len(value) != 8:
        raise rule_error("ukprn_format", "a UKPRN is 8 digits starting with 1")
    return value


_KNOWN_LA_CODES: Final = la_codes()

Upn = Annotated[
    StrictStr,
    AfterValidator(_check_upn),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UPN_PATTERN,
            "description": "Unique pupil number: check letter, then 12 characters (a temporary UPN "
            "ends in a letter). The check letter is verified.",
        }
    ),
]
Urn = Annotated[
    StrictStr,
    AfterValidator(_check_urn),
    WithJsonSchema({"type": "string", "pattern": URN_PATTERN, "description": "6-digit establishment URN"}),
]
Laestab = Annotated[
    StrictStr,
    AfterValidator(_check_laestab),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LAESTAB_PATTERN,
            "description": "7-digit LAESTAB whose first 3 digits are a known LA code",
        }
    ),
]
CtfSchool = Annotated[
    StrictStr,
    AfterValidator(_check_ctf_school),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([0-9]{7}|MMMMMMM|XXXXXXX)$",
            "description": "A LAESTAB, or MMMMMMM (independent school or outside England and Wales), "
            "or XXXXXXX (destination unknown)",
        }
    ),
]
Ukprn = Annotated[
    StrictStr,
    AfterValidator(_check_ukprn),
    WithJsonSchema(
        {"type": "string", "pattern": UKPRN_PATTERN, "description": "8-digit UK provider reference"}
    ),
]
