"""URN, LAESTAB, the CTF codes and UKPRN."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import CtfSchool, Laestab, Ukprn, Urn


def rule_of(adapter: TypeAdapter[Any], value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    error = caught.value.errors()[0]
    return str((error.get("ctx") or {}).get("rule") or error["type"])


URN = TypeAdapter(Urn)
LAESTAB = TypeAdapter(Laestab)
CTF = TypeAdapter(CtfSchool)
UKPRN = TypeAdapter(Ukprn)


def test_urn() -> None:
    assert URN.validate_python("100000") == "100000"
    for bad in ["10000", "1000000", "10000a", "\uff1100000"]:
        assert rule_of(URN, bad) == "urn_format"
    assert rule_of(URN, 100000) == "string_type"


def test_laestab_is_a_known_la_and_four_digits() -> None:
    assert LAESTAB.validate_python("8012345") == "8012345"  # Bristol
    assert LAESTAB.validate_python("9094001") == "9094001"  # Cumbria, closed 2023: old records still valid
    assert LAESTAB.validate_python("6814001") == "6814001"  # Cardiff: a school in Wales
    assert rule_of(LAESTAB, "9991234") == "la_code_unknown"
    assert rule_of(LAESTAB, "801234") == "laestab_format"
    assert rule_of(LAESTAB, "801-2345") == "laestab_format"


@pytest.mark.parametrize("code", ["MMMMMMM", "XXXXXXX"])
def test_ctf_codes_only_where_allowed(code: str) -> None:
    assert CTF.validate_python(code) == code
    assert rule_of(LAESTAB, code) == "laestab_special_code"


def test_ctf_school_accepts_a_laestab_and_checks_it() -> None:
    assert CTF.validate_python("2024001") == "2024001"  # Camden
    assert rule_of(CTF, "0004001") == "la_code_unknown"
    assert rule_of(CTF, "MMMMMM") == "laestab_format"


def test_ukprn() -> None:
    assert UKPRN.validate_python("10012345") == "10012345"
    assert rule_of(UKPRN, "20012345") == "ukprn_format"
    assert rule_of(UKPRN, "1001234") == "ukprn_format"
