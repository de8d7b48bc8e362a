"""The one chooser of a reading purpose behind every console form that asks one (sign-in, an
alert, a pupil's timeline, the statistics pages)."""

from __future__ import annotations

import pytest

from rollwatch.app.console.purpose import chosen

PURPOSES = {"casework": "Working this alert"}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"purpose": "casework"}, "Working this alert"),
        ({"purpose": "other", "purpose_other": "  Annual audit  "}, "Annual audit"),
        ({"purpose": "other", "purpose_other": "ok"}, None),  # under 3 characters
        ({"purpose": "other", "purpose_other": "x" * 201}, None),
        ({"purpose": "other", "purpose_other": "Audit\u202eevil"}, None),  # bidi formatting
        ({"purpose": "other", "purpose_other": "two\rlines"}, None),
        ({"purpose": "unknown"}, None),
        ({}, None),
    ],
)
def test_a_purpose_is_a_listed_one_or_a_short_plain_line(form: dict[str, str], expected: str | None) -> None:
    assert chosen(form, PURPOSES) == expected
