"""The UPN check letter, as the DfE UPN guide defines it, against an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import CHECK_LETTERS, Upn, is_temporary_upn, is_valid_upn, upn_check_letter

UPN = TypeAdapter(Upn)
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # written out again on purpose: no I, O or S


def reference_check_letter(body: str) -> str:
    """docs/domain.md, "Identifiers", done the long way: weights 2..13 for positions 2..13."""
    assert len(body) == 12
    positions = range(2, 14)
    values = [int(char) if char in "0123456789" else ALPHABET.index(char) for char in body]
    return ALPHABET[sum(weight * value for weight, value in zip(positions, values, strict=True)) % 23]


def value_of(char: str) -> int:
    return int(char) if char.isdigit() else ALPHABET.index(char)


permanent_bodies = st.text(alphabet="0123456789", min_size=12, max_size=12)
temporary_bodies = st.builds(
    lambda digits, letter: digits + letter,
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from(ALPHABET),
)
bodies = st.one_of(permanent_bodies, temporary_bodies)


def test_alphabet_is_the_dfe_one() -> None:
    assert CHECK_LETTERS == ALPHABET
    assert len(ALPHABET) == 23
    assert not set("IOS") & set(ALPHABET)


@pytest.mark.parametrize("upn", ["H801200001001", "X00180001701A"])
def test_dfe_worked_examples_are_valid(upn: str) -> None:
    assert is_valid_upn(upn)
    assert UPN.validate_python(upn) == upn


def test_worked_example_arithmetic() -> None:
    # 8*2 + 1*4 + 2*5 + 1*10 + 1*13 = 53; 53 mod 23 = 7 -> H
    assert upn_check_letter("801200001001") == "H"
    # temporary: the final A counts as 0; 4 + 40 + 9 + 70 + 12 = 135; 135 mod 23 = 20 -> X
    assert upn_check_letter("00180001701A") == "X"


def test_temporary_upn_ends_in_a_letter() -> None:
    assert is_temporary_upn("X00180001701A")
    assert not is_temporary_upn("H801200001001")


@given(bodies)
def test_check_letter_matches_the_reference(body: str) -> None:
    assert upn_check_letter(body) == reference_check_letter(body)


@given(bodies)
def test_generated_upns_validate(body: str) -> None:
    upn = reference_check_letter(body) + body
    assert is_valid_upn(upn)
    assert UPN.validate_python(upn) == upn


@given(bodies, st.sampled_from(ALPHABET))
def test_any_other_check_letter_is_refused(body: str, letter: str) -> None:
    right = reference_check_letter(body)
    if letter == right:
        return
    with pytest.raises(ValidationError) as caught:
        UPN.validate_python(letter + body)
    assert caught.value.errors()[0]["ctx"]["rule"] == "upn_check_letter"


@given(bodies, st.integers(min_value=0, max_value=11), st.data())
def test_a_single_character_change_changes_the_check_letter(
    body: str, index: int, data: st.DataObject
) -> None:
    """Weights 2..13 are all coprime with 23, so changing one character to another of a different
    value always changes the check letter: the old UPN stops validating."""
    choices = "0123456789" + (ALPHABET if index == 11 else "")
    replacement = data.draw(st.sampled_from(choices).filter(lambda c: value_of(c) != value_of(body[index])))
    changed = body[:index] + replacement + body[index + 1 :]
    assert upn_check_letter(changed) != upn_check_letter(body)
    assert not is_valid_upn(upn_check_letter(body) + changed)


def test_last_character_letter_and_digit_of_equal_value_collide() -> None:
    """The one blind spot of the formula: a final letter counts as its index, so A..K weigh the
    same as 0..9. X00180001701A and X001800017010 are both valid (a temporary UPN and a
    permanent-looking one)."""
    assert is_valid_upn("X00180001701A")
    assert is_valid_upn("X001800017010")


@pytest.mark.parametrize(
    "upn",
    [
        "h801200001001",  # lower case
        "H80120000100",  # 12 characters
        "H8012000010011",  # 14 characters
        "I801200001001",  # I is never a check letter
        "H80120000100S",  # S is not allowed at the end either
        "H8012000A1001",  # letters only at the end
        " H801200001001",
    ],
)
def test_malformed_upns_are_refused_as_format(upn: str) -> None:
    with pytest.raises(ValidationError) as caught:
        UPN.validate_python(upn)
    assert caught.value.errors()[0]["ctx"]["rule"] == "upn_format"


def test_upn_must_be_a_string() -> None:
    with pytest.raises(ValidationError) as caught:
        UPN.validate_python(801200001001)
    assert caught.value.errors()[0]["type"] == "string_type"
