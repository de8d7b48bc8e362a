"""The checked-in GIAS fixtures (tests/fixtures/gias) and ways to spoil them for error tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tools.gias_fixture import GiasExtract, next_extract, synthetic_extract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gias"
JANUARY = FIXTURES / "edubasealldata20250106.csv"
JANUARY_LINKS = FIXTURES / "links_edubasealldata20250106.csv"
FEBRUARY = FIXTURES / "edubasealldata20250203.csv"
FEBRUARY_LINKS = FIXTURES / "links_edubasealldata20250203.csv"


def fixture_extracts() -> tuple[GiasExtract, GiasExtract]:
    """The two extracts the checked-in files were written from (see tests/fixtures/gias/README.md)."""
    january = synthetic_extract(40, 1, la_codes=["201", "330", "886"], conversion_share=0.5)
    february, _ = next_extract(january, step_seed=1)
    return january, february


def rewrite(source: Path, target: Path, change: Callable[[list[str]], list[str]]) -> Path:
    """Copy a GIAS file through `change`, which gets and returns its lines (decoded, without line ends)."""
    lines = source.read_bytes().decode("cp1252").split("\r\n")
    trailing = lines[-1] == ""
    body = change(lines[:-1] if trailing else lines)
    target.write_bytes(("\r\n".join(body) + ("\r\n" if trailing else "")).encode("cp1252"))
    return target
