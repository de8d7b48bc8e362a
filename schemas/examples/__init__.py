"""Example events of the contract, checked in as JSON under `v1/` (valid, one or more per type)
and `v1/invalid/` (each with the clock it is judged at and the (field, rule) pairs it must fail
with). The compatibility tests run all of them; other services' tests may reuse them.

Examples are only ever added: once published, an example that stops validating means the
contract broke."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from typing import Any


@dataclass(frozen=True)
class InvalidExample:
    description: str
    now: dt.datetime
    event: dict[str, Any]
    expected: frozenset[tuple[str, str]]


def _folder(version: int) -> Traversable:
    return resources.files(__name__).joinpath(f"v{version}")


def _json_files(folder: Traversable) -> list[Traversable]:
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)


def valid_examples(version: int = 1) -> dict[str, dict[str, Any]]:
    """File name -> a fresh copy of the example event."""
    return {f.name: json.loads(f.read_text(encoding="utf-8")) for f in _json_files(_folder(version))}


def invalid_examples(version: int = 1) -> dict[str, InvalidExample]:
    found = {}
    for f in _json_files(_folder(version).joinpath("invalid")):
        case = json.loads(f.read_text(encoding="utf-8"))
        found[f.name] = InvalidExample(
            description=case["description"],
            now=dt.datetime.fromisoformat(case["now"]),
            event=copy.deepcopy(case["event"]),
            expected=frozenset((e["field"], e["rule"]) for e in case["expected"]),
        )
    return found
