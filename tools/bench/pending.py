"""A figure whose part of the product does not exist yet is reported as "not available", never
guessed: put a `NotYetAvailable` in `tools.bench.runner.FIGURES` until the part lands, then
replace it by a figure class (see `tools.bench.figure.Figure`). None is pending today."""

from __future__ import annotations

from dataclasses import dataclass

from tools.bench.report import Result, Target
from tools.bench.session import Session


@dataclass(frozen=True)
class NotYetAvailable:
    name: str
    title: str
    reason: str
    targets: tuple[Target, ...] = ()
    unit: str = ""

    def result(self) -> Result:
        result = Result.not_available(self.name, self.title, self.reason, self.targets)
        result.unit = self.unit
        return result

    def run(self, session: Session) -> list[Result]:
        return [self.result()]
