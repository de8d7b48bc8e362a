"""What a figure is: a name (for `--only`), a title, and `run(session)` returning its results
(one or more rows of the report). Each figure measures its baseline itself, in the same run."""

from __future__ import annotations

from typing import Any, Protocol

from tools.bench.report import Result, Target
from tools.bench.session import Session


class Figure(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def run(self, session: Session) -> list[Result]: ...


class Throughput:
    """A figure in events/s, beside a bare Kafka client (`baseline_name`) doing the same I/O."""

    name: str
    title: str
    targets: tuple[Target, ...]
    baseline_name: str

    def result(self, value: float, baseline: float, details: dict[str, Any], note: str = "") -> Result:
        return Result(
            name=self.name,
            title=self.title,
            unit="events/s",
            value=value,
            baseline_name=self.baseline_name,
            baseline=baseline,
            targets=self.targets,
            details=details,
            note=note,
        )
