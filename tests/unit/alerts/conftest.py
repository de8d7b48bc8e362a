from __future__ import annotations

import pytest

from services.alerts.calendar import SchoolCalendar
from services.alerts.parameters import RuleParameters

from . import factories


@pytest.fixture(scope="session")
def cal() -> SchoolCalendar:
    return factories.calendar()


@pytest.fixture(scope="session")
def params() -> RuleParameters:
    return factories.params()
