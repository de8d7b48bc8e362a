"""Fixtures for the event contract's unit tests: the checked-in example events and a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from schemas.examples import valid_examples

# A fixed "now" for tests that build their own events: after every valid example.
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    """A fresh, editable copy of one valid example, by file name without `.json`."""
    examples = valid_examples()

    def get(name: str) -> dict[str, Any]:
        return examples[f"{name}.json"]

    return get
