"""What is wrong with an event, said so that an MIS integrator can fix it: the field, the rule it
broke and a sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class EventInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def problems_from(error: ValidationError) -> list[Problem]:
    found = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "(event)"
        rule = _rule_name(item)
        found.append(Problem(field=field, rule=rule, message=item["msg"]))
    return found


def _rule_name(item: Any) -> str:
    ctx = item.get("ctx") or {}
    # Custom validators raise PydanticCustomError with their own rule name as the type.
    return str(ctx.get("rule") or item["type"])
