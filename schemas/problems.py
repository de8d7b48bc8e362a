"""What is wrong with an event, said so that an MIS integrator can fix it: the field (a dotted path
such as `data.destination.kind`), the rule it broke (a stable machine name such as
`upn_check_letter`) and a sentence.

Validators raise `rule_error(...)` (a PydanticCustomError whose type and ctx `rule` are the rule
name); checks that span several fields collect `Violation`s and raise them together, each at its
own location, with `raise_violations`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


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

    def __reduce__(self) -> tuple[type[EventInvalid], tuple[list[Problem]]]:
        # Pickled with its problems (the tracker's parse worker sends it back), not its text.
        return EventInvalid, (self.problems,)


@dataclass(frozen=True)
class Violation:
    """A broken rule found by a check that looks at several fields at once."""

    loc: Loc
    rule: str
    message: str
    input: Any = None

    def problem(self) -> Problem:
        return Problem(field=field_name(self.loc), rule=self.rule, message=self.message)


def rule_error(rule: str, message: str) -> PydanticCustomError:
    """The error a validator raises: pydantic reports it with `rule` as both type and ctx rule."""
    # pydantic only substitutes `{key}` for keys of the context, i.e. `{rule}`: messages never use it.
    return PydanticCustomError(rule, message, {"rule": rule})


def raise_violations(title: str, violations: Iterable[Violation]) -> None:
    """Raise every violation at once. Raised inside a validator, pydantic keeps each location
    (prefixed by the validator's own), so one event reports all its problems together."""
    details = [
        InitErrorDetails(type=rule_error(v.rule, v.message), loc=v.loc, input=v.input) for v in violations
    ]
    if details:
        raise ValidationError.from_exception_data(title, details)


def field_name(loc: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in loc) or "(event)"


def problems_from(error: ValidationError) -> list[Problem]:
    found = []
    for item in error.errors(include_url=False):
        found.append(Problem(field=field_name(item["loc"]), rule=_rule_name(item), message=item["msg"]))
    return found


def _rule_name(item: Any) -> str:
    ctx = item.get("ctx") or {}
    # Custom validators raise PydanticCustomError with their own rule name in the context.
    return str(ctx.get("rule") or item["type"])
