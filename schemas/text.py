"""Free-text fields: never blank, bounded in length."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StrictStr, StringConstraints

from schemas.problems import rule_error


def _not_blank(value: str) -> str:
    if not value.strip():
        raise rule_error("text_blank", "must not be empty or only spaces")
    return value


ShortText = Annotated[StrictStr, StringConstraints(max_length=200), AfterValidator(_not_blank)]
LongText = Annotated[StrictStr, StringConstraints(max_length=2000), AfterValidator(_not_blank)]
