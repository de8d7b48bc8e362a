"""`in_list`: the right-hand side of an SQL `IN` for ids that need no escaping."""

from __future__ import annotations

import pytest

from rollwatch.core.clickhouse import LONG_LIST, in_list


def test_a_short_list_is_literals() -> None:
    assert in_list(["A1", "B-2"]) == "('A1','B-2')"
    assert in_list([]) == "('')"  # matches nothing


def test_a_long_list_is_one_string_the_engine_splits_to_the_column_type() -> None:
    values = [f"v{i}" for i in range(LONG_LIST)]
    joined = ",".join(values)
    assert in_list(values) == f"(SELECT arrayJoin(splitByChar(',', '{joined}')))"
    assert in_list(values, of="UUID") == f"(SELECT toUUID(arrayJoin(splitByChar(',', '{joined}'))))"


@pytest.mark.parametrize("value", ["a'b", "a,b", "a b", "a\\\\b"])
def test_anything_but_letters_digits_and_hyphens_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and hyphens"):
        in_list([value])
    with pytest.raises(ValueError, match="letters, digits and hyphens"):
        in_list([value] * LONG_LIST)
