"""The access log page's filters: each field checked and named with its rule; the last 30 days by
default; a pupil or a school, not both."""

from __future__ import annotations

import datetime as dt

from rollwatch.app.console.access_log_filter import parse

TODAY = dt.date(2026, 3, 10)


def test_no_filter_is_the_last_30_days() -> None:
    found, errors = parse({}, TODAY)
    assert errors == {}
    assert (found.first, found.last) == (dt.date(2026, 2, 9), TODAY)
    assert found.start == dt.datetime(2026, 2, 9, tzinfo=dt.UTC)
    assert found.end == dt.datetime(2026, 3, 11, tzinfo=dt.UTC)  # the last day included
    assert found.query() == "from=2026-02-09&to=2026-03-10"


def test_fields_are_cleaned_and_kept() -> None:
    params = {
        "reader": " 0123456789AB ",
        "pupil": "h 8012000 01001",
        "purpose": " audit ",
        "from": "2026-03-01",
    }
    found, errors = parse(params, TODAY)
    assert errors == {}
    assert (found.reader, found.pupil, found.purpose, found.first) == (
        "0123456789ab", "H801200001001", "audit", dt.date(2026, 3, 1)
    )  # fmt: skip


def test_each_bad_field_is_named_with_its_rule_and_left_out() -> None:
    params = {"reader": "sam", "pupil": "123", "school": "12", "from": "2026-02-30", "to": "2026-03-01"}
    found, errors = parse(params, TODAY)
    assert set(errors) == {"reader", "pupil", "school", "from"}
    assert errors["school"] == "Enter a URN of 6 digits"
    assert "real date" in errors["from"]
    assert (found.reader, found.pupil, found.school) == (None, None, None)
    _, reversed_dates = parse({"from": "2026-03-05", "to": "2026-03-01"}, TODAY)
    assert reversed_dates == {"from": "The 'from' date must be on or before the 'to' date"}
    _, both = parse({"pupil": "H801200001001", "school": "100046"}, TODAY)
    assert set(both) == {"school"}
